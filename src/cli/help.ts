/**
 * What the command line says beyond each command's own options: examples at the end of every
 * --help, train's options in the top-level help (train is the default command), and
 * "unknown command 'trian' (did you mean train?)" for a word that is no command.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';

/** Two or three examples per command, shown at the end of its --help. */
export const EXAMPLES: Record<string, string[]> = {
  train: [
    'digit-train --epochs 30 --batch 10 --eta 3           # network.py’s setting, saves model.json',
    'digit-train --hidden 100 --output softmax --cost cross-entropy --eta 0.1 --lambda 5 --out big.json',
    'digit-train --resume model.json --epochs 10          # 10 more epochs of a saved run',
  ],
  eval: ['digit-train eval model.json', 'digit-train eval model.json --min-accuracy 95   # exit 1 below 95 %', 'digit-train eval model.json --split validation --json'],
  predict: ['digit-train predict model.json --index 0', 'digit-train predict model.json my-digit.png', 'digit-train predict model.json photo.png --invert --json'],
  show: ['digit-train show --index 0 --count 8', 'digit-train show --split train --index 100'],
  info: ['digit-train info model.json', 'digit-train info model.json --json'],
  explain: ['digit-train explain', 'digit-train explain --model model.json --index 8', 'digit-train explain --chain 4'],
  bench: ['digit-train bench', 'digit-train bench --train-size 5000 --epochs 2 --json > bench.json', 'digit-train bench --format github-action-benchmark > bench.json'],
  gradcheck: ['digit-train gradcheck', 'digit-train gradcheck --hidden 5,4 --activation tanh --output softmax --cost cross-entropy'],
  report: ['digit-train report model.json', 'digit-train report model.json --out report.html --open'],
  serve: ['digit-train serve                           # an untrained network: draw, teach, train', 'digit-train serve model.json --open', 'digit-train serve model.json --port 8080 --out taught.json'],
  export: ['digit-train export model.json model.onnx', 'digit-train export network2-model.json digits.onnx      # network2.py files too'],
};

/** Damerau–Levenshtein distance (optimal string alignment): typos, one swap of neighbours counts 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The command names closest to `word` (distance ≤ 2 and less than its length), nearest first. */
export function similarCommands(word: string, names: string[]): string[] {
  const scored = names.map((n) => ({ n, d: editDistance(word.toLowerCase(), n) })).filter(({ d, n }) => d <= 2 && d < Math.min(word.length, n.length));
  const best = Math.min(...scored.map((s) => s.d));
  return scored.filter((s) => s.d === best).map((s) => s.n);
}

/**
 * train is the default command and takes no operands, so any word left over for it is a
 * command that does not exist (`digit-train trian`, `digit-train evl model.json`).
 */
export function catchUnknownCommands(program: Command): void {
  const train = program.commands.find((c) => c.name() === 'train');
  if (!train) return;
  train.allowExcessArguments(true);
  train.hook('preAction', (cmd) => {
    if (cmd.args.length === 0) return;
    const word = cmd.args[0];
    const names = program.commands.map((c) => c.name()).concat('help');
    const similar = similarCommands(word, names);
    const hint = similar.length ? ` (did you mean ${similar.join(' or ')}?)` : ` (commands: ${names.join(', ')})`;
    throw new UserError(`unknown command '${word}'${hint}`);
  });
}

export function addHelpExamples(program: Command): void {
  for (const cmd of program.commands) {
    const examples = EXAMPLES[cmd.name()];
    if (examples) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  }
  const train = program.commands.find((c) => c.name() === 'train');
  if (!train) return;
  program.addHelpText('after', () => {
    const help = train.createHelp();
    const options = help.visibleOptions(train);
    const width = Math.max(...options.map((o) => help.optionTerm(o).length));
    const lines = options.map((o) => help.formatItem(help.optionTerm(o), width, help.optionDescription(o), help));
    return `\nOptions of train (the default command: \`digit-train [train] [options]\`):\n${lines.join('\n')}\n\nExamples:\n${EXAMPLES.train.map((e) => `  $ ${e}`).join('\n')}\n  $ digit-train eval model.json\n`;
  });
}
