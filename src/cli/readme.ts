/** The README's option tables, rendered from the commands' option definitions. */
import { buildProgram } from './main.js';
import { optionSpecsOf } from './options.js';
import { optionsTable } from './options.js';

/** Replaces each block <!-- options:NAME --> … <!-- /options:NAME --> with the table of command NAME. */
export function renderReadmeOptions(readme: string): string {
  const program = buildProgram();
  return readme.replace(/<!-- options:([a-z-]+) -->[\s\S]*?<!-- \/options:\1 -->/g, (_, name: string) => {
    const cmd = program.commands.find((c) => c.name() === name);
    const specs = cmd ? optionSpecsOf(cmd) : undefined;
    if (!specs) throw new Error(`README names options of unknown command ${name}`);
    return `<!-- options:${name} -->\n${optionsTable(specs)}\n<!-- /options:${name} -->`;
  });
}
