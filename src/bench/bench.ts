/**
 * The training benchmark: seconds per epoch, examples per second, evaluation and data-load
 * seconds, peak memory, start-up time; and, side by side in the same run, a C reference
 * implementation (reference.c and its reference-epoch binary, not part of this repository,
 * found by path), so our speed is quoted as a ratio that machine noise hits alike.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import { subset } from '../data/dataset.js';
import { createNetwork } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer } from '../nn/train.js';

export interface Workload {
  hidden: number;
  batch: number;
}

/** A workload's name in tables and in --baseline comparisons. */
export function workloadName(w: Workload): string {
  return `784-${w.hidden}-10 batch ${w.batch}`;
}

export interface BenchOptions {
  workloads: Workload[];
  /** Measured epochs per workload (after `warmup` epochs). */
  epochs: number;
  warmup: number;
  trainSize?: number;
  /** Path of reference-epoch, or null for no comparison. */
  reference: string | null;
  /** Rounds of (ours, reference) for the ratio. */
  rounds: number;
  seed: number;
  dataDir?: string;
}

export interface WorkloadResult {
  name: string;
  hidden: number;
  batch: number;
  trainImages: number;
  /** Median training seconds per epoch, and every measured epoch. */
  trainSeconds: number;
  trainSecondsAll: number[];
  examplesPerSecond: number;
  /** Median seconds to evaluate the test set. */
  evalSeconds: number;
  testAccuracy: number;
  /** Our seconds per epoch / the reference's, per round, and their median (when compared). */
  reference?: { variant: string; ratios: number[]; ratio: number; oursSeconds: number[]; referenceSeconds: number[] };
}

export interface BenchResult {
  tool: 'digit-train bench';
  version: string;
  node: string;
  cpu: string;
  cores: number;
  date: string;
  options: Omit<BenchOptions, 'workloads'> & { workloads: string[] };
  loadSeconds: number;
  /** Median wall seconds of `digit-train --help`, as a process. */
  startupSeconds: number;
  peakRssMB: number;
  workloads: WorkloadResult[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
export { median };

/** Our training: `epochs` epochs of a fresh 784-H-10 network; returns each epoch's train and eval seconds. */
export function timeEpochs(data: Mnist, w: Workload, epochs: number, seed: number, trainSize?: number) {
  const train = trainSize ? subset(data.train, 0, trainSize) : data.train;
  const rng = new Random(seed);
  const net = createNetwork({ sizes: [train.inputSize, w.hidden, data.classes], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
  const trainer = new Trainer(net, { train, test: data.test }, { ...DEFAULT_TRAIN_OPTIONS, batch: w.batch }, newProgress(rng, 3));
  const out: { train: number; evalS: number; accuracy: number }[] = [];
  for (let e = 0; e < epochs; e++) {
    const r = trainer.runEpoch()!;
    out.push({ train: r.trainSeconds, evalS: r.evalSeconds, accuracy: r.test!.accuracy });
  }
  return { trainImages: train.count, epochs: out };
}

/** Default location of the C reference's reference-epoch binary: $DIGIT_TRAIN_REFERENCE ('' when unset). */
export function defaultReferencePath(): string {
  return process.env.DIGIT_TRAIN_REFERENCE ?? '';
}

/**
 * Runs the C reference for `epochs` epochs (first one discarded as warm-up) and returns the
 * training seconds of the others. For 784-30-10 it calls reference-epoch; for other hidden
 * sizes it compiles reference.c (beside it) with -DHID=n, the same flags as its f64-sparse variant.
 */
export function runReference(reference: string, dataDir: string, w: Workload, epochs: number, seed: number, build: { dir: string; cache: Map<number, string> }): number[] {
  if (w.batch !== 10) throw new Error('the C reference trains with batch 10 only');
  let out: string;
  if (w.hidden === 30) {
    out = execFileSync(reference, [dataDir, String(epochs + 1), String(seed), 'f64-sparse'], { encoding: 'utf8' });
  } else {
    let bin = build.cache.get(w.hidden);
    if (!bin) {
      bin = join(build.dir, `ref-${w.hidden}`);
      const src = join(dirname(reference), 'reference.c');
      execFileSync('gcc', ['-O3', '-march=native', '-DREAL=double', `-DHID=${w.hidden}`, `-DHP=${w.hidden}`, '-DSPARSE=1', '-o', bin, src, '-lm']);
      build.cache.set(w.hidden, bin);
    }
    out = execFileSync(bin, [dataDir, String(epochs + 1), String(seed)], { encoding: 'utf8' });
  }
  const secs = [...out.matchAll(/train_s ([0-9.]+)/g)].map((m) => Number(m[1]));
  if (secs.length !== epochs + 1) throw new Error(`unexpected output from the C reference: ${out.slice(0, 200)}`);
  return secs.slice(1);
}

/** Median wall seconds of `digit-train --help` as a new process (5 runs after one warm-up). */
export function timeStartup(bin: string, runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} --help failed: ${r.stderr}`);
    if (i > 0) times.push((performance.now() - t) / 1000);
  }
  return median(times);
}

export function runBench(opts: BenchOptions, version: string, bin: string, onProgress: (line: string) => void = () => {}): BenchResult {
  if (opts.reference !== null && !existsSync(opts.reference)) throw new UserError(`--compare-reference: ${opts.reference} does not exist`);
  const t0 = performance.now();
  const data = loadMnist({ dir: opts.dataDir });
  const loadSeconds = (performance.now() - t0) / 1000;
  onProgress(`data loaded in ${loadSeconds.toFixed(3)} s`);
  const startupSeconds = timeStartup(bin);
  onProgress(`start-up (--help) ${startupSeconds.toFixed(3)} s`);

  const build = { dir: mkdtempSync(join(tmpdir(), 'digit-train-bench-')), cache: new Map<number, string>() };
  const results: WorkloadResult[] = [];
  try {
    for (const w of opts.workloads) {
      const name = workloadName(w);
      const runs = timeEpochs(data, w, opts.warmup + opts.epochs, opts.seed, opts.trainSize);
      const measured = runs.epochs.slice(opts.warmup);
      const trainSecondsAll = measured.map((e) => e.train);
      const trainSeconds = median(trainSecondsAll);
      const result: WorkloadResult = {
        name,
        hidden: w.hidden,
        batch: w.batch,
        trainImages: runs.trainImages,
        trainSeconds,
        trainSecondsAll,
        examplesPerSecond: runs.trainImages / trainSeconds,
        evalSeconds: median(measured.map((e) => e.evalS)),
        testAccuracy: measured[measured.length - 1]?.accuracy ?? runs.epochs[runs.epochs.length - 1].accuracy,
      };
      onProgress(`${name}: ${trainSeconds.toFixed(3)} s/epoch`);
      const comparable = opts.reference !== null && w.batch === 10 && !opts.trainSize && data.name === 'MNIST';
      if (comparable) {
        // Interleave: ours, C, ours, C … so that machine noise hits both alike.
        const ours: number[] = [];
        const theirs: number[] = [];
        const ratios: number[] = [];
        for (let r = 0; r < opts.rounds; r++) {
          const o = median(timeEpochs(data, w, 3, opts.seed + r).epochs.slice(1).map((e) => e.train));
          const c = median(runReference(opts.reference!, data.dir, w, 2, opts.seed + r, build));
          ours.push(o);
          theirs.push(c);
          ratios.push(o / c);
          onProgress(`${name} round ${r + 1}: ours ${o.toFixed(3)} s, C ${c.toFixed(3)} s, ratio ${(o / c).toFixed(2)}`);
        }
        result.reference = { variant: 'f64-sparse', ratios, ratio: median(ratios), oursSeconds: ours, referenceSeconds: theirs };
      }
      results.push(result);
    }
  } finally {
    rmSync(build.dir, { recursive: true, force: true });
  }
  return {
    tool: 'digit-train bench',
    version,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    date: new Date().toISOString(),
    options: { ...opts, workloads: opts.workloads.map(workloadName) },
    loadSeconds,
    startupSeconds,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    workloads: results,
  };
}

export interface BaselineVerdict {
  ok: boolean;
  lines: string[];
}

/**
 * Compares training seconds per epoch with a stored result, workload by workload. When both
 * runs measured the reference ratio, the ratios are compared (machine speed cancels out);
 * otherwise the seconds. Fails when any is worse than `tolerance` times the baseline.
 */
export function compareBaseline(current: BenchResult, baseline: BenchResult, tolerance: number): BaselineVerdict {
  const lines: string[] = [];
  let ok = true;
  for (const w of current.workloads) {
    const b = baseline.workloads.find((x) => x.name === w.name);
    if (!b) {
      lines.push(`${w.name}: not in the baseline`);
      continue;
    }
    const useRatio = w.reference && b.reference;
    const now = useRatio ? w.reference!.ratio : w.trainSeconds;
    const then = useRatio ? b.reference!.ratio : b.trainSeconds;
    const change = now / then;
    const bad = change > tolerance;
    if (bad) ok = false;
    lines.push(`${w.name}: ${useRatio ? 'ratio to C' : 's/epoch'} ${now.toFixed(3)} vs baseline ${then.toFixed(3)} (×${change.toFixed(2)}, tolerance ×${tolerance})${bad ? ': REGRESSION' : ''}`);
  }
  return { ok, lines };
}
