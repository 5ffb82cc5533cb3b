/** `digit-train bench`: the training benchmark (see src/bench/bench.ts), as a table or JSON. */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { compareBaseline, defaultReferencePath, runBench, workloadName, type BenchResult, type Workload } from '../bench/bench.js';
import { readBaseline } from '../bench/baseline.js';
import { checkRunSize } from '../model/limits.js';
import { colorsFor } from '../ui/terminal.js';
import { VERSION } from '../version.js';
import { dataOption, stepSummary } from './common.js';
import { githubActionBenchmark } from '../bench/github.js';
import { markdownTable } from '../ci/step-summary.js';
import { layerSpecs, parseLayerList } from '../model/layer-list.js';
import { WIDE } from '../nn/fast/engine.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';

export const BENCH_FORMATS = ['table', 'json', 'github-action-benchmark'] as const;

export const benchOptions = {
  epochs: { flags: '--epochs <n>', description: 'measured epochs per workload (median reported)', default: 3, parse: parsers.positiveInt },
  warmup: { flags: '--warmup <n>', description: 'epochs run before measuring', default: 1, parse: parsers.nonNegativeInt },
  trainSize: { flags: '--train-size <n>', description: 'train on the first n images only (short CI runs; no reference comparison)', parse: parsers.positiveInt },
  hidden: { flags: '--hidden <sizes>', description: 'hidden layer sizes to measure, comma-separated', default: '30,100', parse: parsers.layers },
  layers: {
    flags: '--layers <list>',
    description: 'instead of --hidden, a layer-list network to measure (as train --layers; activations default to relu; softmax output, log-likelihood cost, η 0.01), e.g. conv:20x5,pool:2,conv:40x5,pool:2,dense:100',
    parse: parseLayerList,
  },
  threads: {
    flags: '--threads <list>',
    description: `thread counts to measure, comma-separated (1, 2): the conv layers of --layers; with --hidden, hidden sizes of ${WIDE} or more (smaller ones run on one)`,
    default: '1,2',
    parse: threadList,
  },
  batch: { flags: '--batch <sizes>', description: 'mini-batch sizes to measure, comma-separated', default: '10,100', parse: parsers.batchSizes },
  compareReference: {
    flags: '--compare-reference [path]',
    description: 'also time the C reference in the same run, interleaved, and report our time as a ratio to it (batch 10 only)',
    defaultText: 'off; path bench/reference.c, compiled with cc -O3 -march=native',
  },
  rounds: { flags: '--rounds <n>', description: 'interleaved rounds of ours and the reference', default: 3, parse: parsers.positiveInt },
  referenceTimeout: { flags: '--reference-timeout <s>', description: 'seconds one run of the reference may take before it is stopped', default: 600, parse: parsers.positiveNumber },
  baseline: { flags: '--baseline <file>', description: 'compare with a stored `bench --json` result; exit 1 when slower than the tolerance', parse: parsers.text },
  tolerance: { flags: '--tolerance <x>', description: 'allowed slow-down against --baseline (ratio)', default: 1.25, parse: parsers.positiveNumber },
  seed: { flags: '--seed <n>', description: 'seed of the generator', default: 1, parse: parsers.seed },
  data: dataOption,
  json: { flags: '--json', description: 'print one JSON object (with Node version, CPU, date and options) instead of a table (same as --format json)' },
  format: {
    flags: '--format <f>',
    description: 'output: a table, one JSON object, or the [{name, unit, value, range, extra}] array of benchmark trackers (customSmallerIsBetter)',
    default: 'table',
    choices: BENCH_FORMATS,
  },
} as const satisfies OptionTable;

type BenchArgs = ArgsOf<typeof benchOptions>;

function threadList(raw: string, flag: string): (1 | 2)[] {
  const list = raw.split(',').map((t) => t.trim());
  if (list.some((t) => t !== '1' && t !== '2')) throw new UserError(`${flag}: ${JSON.stringify(raw)} is not a comma-separated list of 1 and 2`);
  return [...new Set(list.map(Number) as (1 | 2)[])];
}

export function registerBench(program: Command): void {
  const cmd = program.command('bench').description('measure training speed (seconds per epoch, ratio to the C reference)');
  addOptions(cmd, benchOptions);
  cmd.action((raw: Record<string, unknown>) => runBenchCommand(parseOptions(benchOptions, raw)));
}

function runBenchCommand(args: BenchArgs): void {
  if (args.json && args.format !== 'table' && args.format !== 'json') throw new UserError(`--json and --format ${args.format}: choose one`);
  const format = args.json ? 'json' : args.format;
  const workloads: Workload[] = [];
  if (args.layers) {
    const layers = layerSpecs(args.layers, 'relu', 10, 'softmax');
    for (const batch of args.batch) for (const threads of args.threads) workloads.push({ hidden: 0, batch, layers, threads });
  } else {
    for (const hidden of args.hidden) {
      const counts = hidden >= WIDE ? args.threads : [1]; // a narrower MLP runs on one thread
      for (const batch of args.batch) for (const threads of counts) workloads.push(threads === 2 ? { hidden, batch, threads } : { hidden, batch });
    }
  }
  // Checked before anything is measured (src/bench/baseline.ts).
  const baseline: BenchResult | undefined = args.baseline ? readBaseline(args.baseline, workloads.map(workloadName)) : undefined;
  for (const w of workloads) if (!w.layers) checkRunSize([784, w.hidden, 10], w.batch, 1, `--hidden ${w.hidden}`);
  if (args.trainSize !== undefined) for (const w of workloads) if (w.batch > args.trainSize) throw new UserError(`--batch ${w.batch} is larger than --train-size ${args.trainSize}`);
  const reference = args.compareReference === undefined ? null : args.compareReference === true ? defaultReferencePath() : String(args.compareReference);
  const bin = fileURLToPath(new URL('../../bin/digit-train.js', import.meta.url));
  const c = colorsFor(process.stderr);
  const result = runBench(
    { workloads, epochs: args.epochs, warmup: args.warmup, trainSize: args.trainSize, reference, rounds: args.rounds, referenceTimeout: args.referenceTimeout, seed: args.seed, dataDir: args.data },
    VERSION,
    bin,
    (line) => {
      if (format === 'table') process.stderr.write(c.dim(`… ${line}\n`));
    },
  );
  if (format === 'json') console.log(JSON.stringify(result));
  else if (format === 'github-action-benchmark') console.log(JSON.stringify(githubActionBenchmark(result), null, 2));
  else printTable(result);
  stepSummary(benchSummary(result));
  if (baseline) {
    const verdict = compareBaseline(result, baseline, args.tolerance);
    for (const l of verdict.lines) (format !== 'table' ? process.stderr : process.stdout).write(`${l}\n`);
    if (!verdict.ok) throw new UserError('training is slower than the baseline allows (see above)', 1);
  }
}

/** The Markdown summary for $GITHUB_STEP_SUMMARY: one row per workload. */
function benchSummary(r: BenchResult): string {
  const withRatio = r.workloads.some((w) => w.reference);
  return [
    `### digit-train bench`,
    '',
    `digit-train ${r.version}, Node ${r.node}, ${r.cpu} (${r.cores} cores); data load ${r.loadSeconds.toFixed(3)} s, start-up ${r.startupSeconds.toFixed(3)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
    '',
    markdownTable(
      ['workload', 'train s/epoch (median)', 'examples/s', 'eval s', 'test accuracy', ...(withRatio ? ['ratio to C'] : [])],
      r.workloads.map((w) => [
        w.name,
        w.trainSeconds.toFixed(3),
        Math.round(w.examplesPerSecond).toLocaleString('en-US'),
        w.evalSeconds.toFixed(3),
        `${(100 * w.testAccuracy).toFixed(2)}%`,
        ...(withRatio ? [w.reference ? `${w.reference.ratio.toFixed(2)}×` : ''] : []),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
  ].join('\n');
}

function printTable(r: BenchResult): void {
  console.log(`digit-train ${r.version} bench — Node ${r.node}, ${r.cpu} (${r.cores} cores), ${r.kernels} kernels, ${r.date}`);
  console.log(`data load ${r.loadSeconds.toFixed(3)} s · start-up (--help) ${r.startupSeconds.toFixed(3)} s · peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  const head = ['workload', 'train s/epoch', 'examples/s', 'eval s', 'test acc', 'ratio to C', 'eval ratio to C'];
  const rows = r.workloads.map((w) => [
    w.name,
    w.trainSeconds.toFixed(3),
    Math.round(w.examplesPerSecond).toLocaleString('en-US'),
    w.evalSeconds.toFixed(3),
    `${(100 * w.testAccuracy).toFixed(2)}%`,
    w.reference ? `${w.reference.ratio.toFixed(2)}× (${w.reference.ratios.map((x) => x.toFixed(2)).join(', ')})` : '',
    w.reference?.evalRatio !== undefined ? `${w.reference.evalRatio.toFixed(2)}×` : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(fmt(head));
  for (const row of rows) console.log(fmt(row));
}
