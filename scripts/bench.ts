/**
 * `npm run bench`: the benchmark with the C reference side by side (when DIGIT_TRAIN_REFERENCE
 * names its reference-epoch binary), its JSON kept in bench-result.json for CI to store and compare with `--baseline`.
 * Extra arguments go to `digit-train bench` (e.g. `npm run bench -- --epochs 5`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultReferencePath } from '../src/bench/bench.js';

const bin = fileURLToPath(new URL('../bin/digit-train.js', import.meta.url));
const out = fileURLToPath(new URL('../bench-result.json', import.meta.url));
const args = ['bench', '--json', ...(defaultReferencePath() !== '' && existsSync(defaultReferencePath()) ? ['--compare-reference'] : []), ...process.argv.slice(2)];
const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(out, r.stdout);
const result = JSON.parse(r.stdout) as { workloads: { name: string; trainSeconds: number; reference?: { ratio: number } }[] };
for (const w of result.workloads) {
  console.log(`${w.name.padEnd(24)} ${w.trainSeconds.toFixed(3)} s/epoch${w.reference ? `  ${w.reference.ratio.toFixed(2)}× the C reference` : ''}`);
}
console.log(`full result: ${out}`);
