/**
 * Keeps the README's option tables in step with the option definitions (the one source of
 * truth): `npx tsx scripts/readme-options.ts` rewrites every block between
 * <!-- options:COMMAND --> and <!-- /options:COMMAND -->; `--check` only says whether they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderReadmeOptions } from '../src/cli/readme.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = renderReadmeOptions(before);
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error('README.md option tables are out of date: run npx tsx scripts/readme-options.ts');
    process.exit(1);
  }
} else if (after !== before) {
  writeFileSync(path, after);
  console.log('README.md option tables updated');
}
