/**
 * The training benchmark: seconds per epoch, examples per second, evaluation and data-load
 * seconds, peak memory, start-up time; and, side by side in the same run, the C reference
 * (bench/reference.c, see reference.ts), so our speed is quoted as a ratio that machine noise hits alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import { subset } from '../data/dataset.js';
import { fastBackend, type FastBackend } from '../nn/fast/wasm.js';
import { createLayered, describeLayers, type LayerSpec } from '../nn/layered.js';
import { createNetwork } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer } from '../train/train.js';
import { compileReference, REFERENCE_SOURCE, requireCompiler, runReferenceBinary } from './reference.js';

export interface Workload {
  /** 784-hidden-10 sigmoid MLP (network.py's), unless `layers` is given. */
  hidden: number;
  batch: number;
  /** A layer-list network instead (a conv network: softmax output, log-likelihood cost). With `threads` 2, the conv layers (or a wide MLP's first layer) are shared with a second thread. */
  layers?: LayerSpec[];
  threads?: 1 | 2;
}

/** A workload's name in tables and in --baseline comparisons. */
export function workloadName(w: Workload): string {
  if (w.layers) return `${describeLayers(w.layers)} batch ${w.batch}, ${w.threads ?? 1} thread${w.threads === 2 ? 's' : ''}`;
  return `784-${w.hidden}-10 batch ${w.batch}${w.threads === 2 ? ', 2 threads' : ''}`;
}

export interface BenchOptions {
  workloads: Workload[];
  /** Measured epochs per workload (after `warmup` epochs). */
  epochs: number;
  warmup: number;
  trainSize?: number;
  /** The C source of the reference (REFERENCE_SOURCE by default), or null for no comparison. */
  reference: string | null;
  /** Rounds of (ours, reference) for the ratio. */
  rounds: number;
  /** Seconds one run of the reference may take (default 600). */
  referenceTimeout?: number;
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
  reference?: {
    variant: string;
    ratios: number[];
    ratio: number;
    oursSeconds: number[];
    referenceSeconds: number[];
    /** The same for the evaluation of the test set (10,000 images) after each epoch. */
    evalRatios?: number[];
    evalRatio?: number;
    oursEvalSeconds?: number[];
    referenceEvalSeconds?: number[];
  };
}

export interface BenchResult {
  tool: 'digit-train bench';
  version: string;
  node: string;
  cpu: string;
  cores: number;
  /** Which fast kernels ran: WebAssembly SIMD, or the TypeScript fallback. */
  kernels: FastBackend;
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

/** Our training: `epochs` epochs of a fresh network (784-H-10, or the layer list); returns each epoch's train and eval seconds. */
export function timeEpochs(data: Mnist, w: Workload, epochs: number, seed: number, trainSize?: number) {
  const train = trainSize ? subset(data.train, 0, trainSize) : data.train;
  const rng = new Random(seed);
  const side = Math.round(Math.sqrt(train.inputSize));
  const net = w.layers
    ? createLayered({ input: { channels: 1, height: side, width: train.inputSize / side }, layers: w.layers, cost: 'cross-entropy' }, rng)
    : createNetwork({ sizes: [train.inputSize, w.hidden, data.classes], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
  const options = { ...DEFAULT_TRAIN_OPTIONS, batch: w.batch, ...(w.layers ? { eta: 0.01 } : {}) };
  const trainer = new Trainer(net, { train, test: data.test }, options, newProgress(rng, options.eta), undefined, undefined, w.threads ?? 1);
  const out: { train: number; evalS: number; accuracy: number }[] = [];
  try {
    for (let e = 0; e < epochs; e++) {
      const r = trainer.runEpoch()!;
      out.push({ train: r.trainSeconds, evalS: r.evalSeconds, accuracy: r.test!.accuracy });
    }
  } finally {
    trainer.close();
  }
  return { trainImages: train.count, epochs: out };
}

/** The C reference compared by default: the project's own bench/reference.c. */
export function defaultReferencePath(): string {
  return REFERENCE_SOURCE;
}

/**
 * Runs the C reference (`reference`, a C source compiled once per hidden size into build.dir)
 * for `epochs` epochs (the first one discarded as warm-up) and returns the training and
 * evaluation seconds of the others.
 */
export function runReference(reference: string, dataDir: string, w: Workload, epochs: number, seed: number, build: { dir: string }, timeoutSeconds = 600): { train: number[]; evalS: number[] } {
  if (w.batch !== 10) throw new Error('the C reference trains with batch 10 only');
  const bin = compileReference(reference, build.dir, w.hidden, 'f64');
  const runs = runReferenceBinary(bin, dataDir, epochs + 1, seed, undefined, timeoutSeconds, reference).slice(1);
  return { train: runs.map((r) => r.trainSeconds), evalS: runs.map((r) => r.evalSeconds) };
}

/** Refuses a reference that is not a regular file (the C source to compile), before anything is measured. */
export function checkReference(reference: string): void {
  let st;
  try {
    st = statSync(reference);
  } catch {
    throw new UserError(`--compare-reference: ${reference} does not exist`);
  }
  if (!st.isFile()) throw new UserError(`--compare-reference: ${reference} is not a regular file`);
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
  if (opts.reference !== null) {
    checkReference(opts.reference);
    requireCompiler();
  }
  // The reference is compiled first, for every hidden size it will run: a source that does not
  // compile is one line before anything is loaded or measured.
  const build = { dir: mkdtempSync(join(tmpdir(), 'digit-train-bench-')) };
  try {
    for (const w of opts.workloads) if (opts.reference !== null && !w.layers && w.batch === 10 && !opts.trainSize) compileReference(opts.reference, build.dir, w.hidden, 'f64');
    return measure(opts, version, bin, build, onProgress);
  } finally {
    rmSync(build.dir, { recursive: true, force: true });
  }
}

function measure(opts: BenchOptions, version: string, bin: string, build: { dir: string }, onProgress: (line: string) => void): BenchResult {
  const t0 = performance.now();
  const data = loadMnist({ dir: opts.dataDir });
  const loadSeconds = (performance.now() - t0) / 1000;
  onProgress(`data loaded in ${loadSeconds.toFixed(3)} s`);
  const timeout = opts.referenceTimeout ?? 600;
  const compares = (w: Workload) => opts.reference !== null && !w.layers && w.batch === 10 && !opts.trainSize && data.name === 'MNIST';
  // One short run of the reference first: a program that prints garbage or hangs is found before our timing.
  const startupSeconds = timeStartup(bin);
  onProgress(`start-up (--help) ${startupSeconds.toFixed(3)} s`);

  const results: WorkloadResult[] = [];
  {
    const probe = opts.workloads.find((w) => compares(w));
    if (probe) runReference(opts.reference!, data.dir, probe, 0, opts.seed, build, timeout);

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
      const comparable = compares(w);
      if (comparable) {
        // Interleave: ours, C, ours, C … so that machine noise hits both alike.
        const ours: number[] = [];
        const theirs: number[] = [];
        const ratios: number[] = [];
        const oursEval: number[] = [];
        const theirsEval: number[] = [];
        const evalRatios: number[] = [];
        for (let r = 0; r < opts.rounds; r++) {
          const mine = timeEpochs(data, w, 3, opts.seed + r).epochs.slice(1);
          const o = median(mine.map((e) => e.train));
          const oe = median(mine.map((e) => e.evalS));
          const ref = runReference(opts.reference!, data.dir, w, 2, opts.seed + r, build, timeout);
          const c = median(ref.train);
          const ce = median(ref.evalS);
          ours.push(o);
          theirs.push(c);
          ratios.push(o / c);
          oursEval.push(oe);
          theirsEval.push(ce);
          evalRatios.push(oe / ce);
          onProgress(`${name} round ${r + 1}: ours ${o.toFixed(3)} s, C ${c.toFixed(3)} s, ratio ${(o / c).toFixed(2)}; evaluation ours ${oe.toFixed(3)} s, C ${ce.toFixed(3)} s`);
        }
        result.reference = {
          variant: 'f64-sparse',
          ratios,
          ratio: median(ratios),
          oursSeconds: ours,
          referenceSeconds: theirs,
          evalRatios,
          evalRatio: median(evalRatios),
          oursEvalSeconds: oursEval,
          referenceEvalSeconds: theirsEval,
        };
      }
      results.push(result);
    }
  }
  return {
    tool: 'digit-train bench',
    version,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernels: fastBackend(),
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
