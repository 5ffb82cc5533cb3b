/**
 * The epoch loop: shuffle, mini-batch SGD steps, evaluation. It never prints; progress goes
 * out through callbacks (progress bar, --json lines, checkpoints and Ctrl-C plug in there).
 *
 * Everything a run needs to continue exactly where it stopped is in `TrainProgress`, which the
 * model file stores: an interrupted run resumed from it ends with the same model, bit for bit,
 * as a run that was never interrupted.
 */
import { ElasticDistortion, type ElasticOptions } from '../data/augment.js';
import type { DigitSet } from '../data/dataset.js';
import { LimitError } from '../errors.js';
import { evaluateSet, moveNetworkInto, sharesWithSecondThread, startSecondThread, stopSecondThread, trainMiniBatch, type EvalResult, type StepOptions } from '../nn/fast/engine.js';
import { layeredMemory } from '../nn/fast/layered.js';
import { cloneLayered, isLayered, type LayeredNetwork } from '../nn/layered.js';
import type { Network } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { createWorkspace, type Workspace } from '../nn/workspace.js';
import { availableParallelism } from 'node:os';
import { evaluateSet as evaluateLayeredSet, LayeredEngine } from './layered.js';
import { ThreadChooser, type ThreadSetting, type ThreadSwitch } from './threads.js';

export type TrainOptions = {
  /** Learning rate η. */
  eta: number;
  /** Mini-batch size m. */
  batch: number;
  /** L2 regularisation λ (network2.py's semantics); 0 for none. */
  lambda: number;
  /** Classical momentum μ; 0 for plain SGD. */
  momentum: number;
  /** Shuffle the training order every epoch (seeded Fisher–Yates). */
  shuffle: boolean;
  /** After every epoch η ← etaDecay · η (1 or absent: constant). */
  etaDecay?: number;
  /** Halve η when the validation accuracy has not improved for this many epochs (0: never). */
  etaPatience: number;
  /** With etaPatience: stop once η has been halved this many times (0: never stop for that). */
  etaHalvings: number;
  /** Stop after this many epochs without a validation improvement (0: never). */
  earlyStop: number;
  /** Also compute the accuracy on the whole training set each epoch (a full extra pass). */
  trainAccuracy: boolean;
};

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  eta: 3.0,
  batch: 10,
  lambda: 0,
  momentum: 0,
  shuffle: true,
  etaDecay: 1,
  etaPatience: 0,
  etaHalvings: 0,
  earlyStop: 0,
  trainAccuracy: false,
};

/** What one epoch measured. Accuracies are fractions in [0, 1]. */
export interface EpochRecord {
  epoch: number;
  /** Average cost over the epoch's training examples, each measured in the forward pass of its
   *  mini-batch, before that batch's step (plus the L2 term when λ > 0). */
  trainCost: number;
  trainAccuracy?: number;
  test?: SetScore;
  validation?: SetScore;
  /** η used during this epoch. */
  eta: number;
  trainSeconds: number;
  evalSeconds: number;
}

export interface SetScore {
  correct: number;
  count: number;
  accuracy: number;
  cost: number;
}

/** The state of a run between two mini-batches; stored in model files for --resume. */
export interface TrainProgress {
  /** Completed epochs. */
  epoch: number;
  /** Mini-batches already done in epoch `epoch + 1` (0 between epochs). */
  batchInEpoch: number;
  /** The generator's state at the start of epoch `epoch + 1` (before its shuffle). */
  rngState: number;
  /** The running cost sum and example count of the epoch in progress. */
  epochCostSum: number;
  epochSeen: number;
  epochTrainSeconds: number;
  /** Current η (a schedule may have lowered it). */
  eta: number;
  halvings: number;
  /** Best validation accuracy so far, the epoch it was reached, epochs since. */
  bestAccuracy: number;
  bestEpoch: number;
  sinceBest: number;
  /** true once a schedule or early stopping has ended the run. */
  finished: boolean;
  history: EpochRecord[];
  /** Layer-list networks: the state of the generator of the dropout masks, carried on from
   *  mini-batch to mini-batch (absent for an MLP, which draws nothing while training). */
  noiseState?: number;
}

export function newProgress(rng: Random, eta: number): TrainProgress {
  return {
    epoch: 0,
    batchInEpoch: 0,
    rngState: rng.state,
    epochCostSum: 0,
    epochSeen: 0,
    epochTrainSeconds: 0,
    eta,
    halvings: 0,
    bestAccuracy: -1,
    bestEpoch: 0,
    sinceBest: 0,
    finished: false,
    history: [],
  };
}

export interface TrainData {
  train: DigitSet;
  test?: DigitSet | null;
  validation?: DigitSet | null;
}

export interface TrainCallbacks {
  /** After every mini-batch: batches done and in all, in this epoch. */
  onBatch?: (done: number, total: number) => void;
  /** Asked after every mini-batch: true ends the run there (the progress stays resumable). */
  shouldStop?: () => boolean;
}

/** L2 penalty (λ / 2n) Σ w² over all weights (network2.py's). */
export function l2Penalty(net: Pick<Network, 'W'>, lambda: number, n: number): number {
  if (lambda === 0) return 0;
  let s = 0;
  for (const W of net.W) for (let i = 0; i < W.length; i++) s += W[i] * W[i];
  return (0.5 * lambda * s) / n;
}

export class NonFiniteError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(`the cost became NaN or infinite in epoch ${epoch}, mini-batch ${batch}`);
    this.name = 'NonFiniteError';
  }
}

/**
 * A training run: the network, its data, the options, and the progress. Buffers are allocated
 * here, once.
 */
export class Trainer {
  /** The fast backend's buffers (an MLP), or null for a layer-list network, which runs `layered`. */
  readonly ws: Workspace | null = null;
  readonly evalWs: Workspace | null = null;
  readonly layered: LayeredEngine | null = null;
  readonly order: Int32Array;
  /** Parameters of the best epoch so far (by validation accuracy; test accuracy without a
   *  validation set), for --keep best, early stopping and the η schedule. */
  readonly best: Float64Array;
  /** The generator states before and after the shuffle now in `order` (an epoch run in several calls shuffles once). */
  private orderState = -1;
  private orderStateAfter = 0;

  constructor(
    readonly net: Network | LayeredNetwork,
    readonly data: TrainData,
    readonly options: TrainOptions,
    readonly progress: TrainProgress,
    velocity?: Float64Array,
    /** Layer-list networks: data augmentation, random shifts of up to `shift` pixels and elastic distortions (see LayeredEngine). */
    augment: { shift: number; elastic?: ElasticOptions } = { shift: 0 },
    /** Threads for the conv layers of a layer list or an MLP's wide first layer (other networks run on one): 'auto' times both as it goes (train/threads.ts). */
    threads: ThreadSetting = 'auto',
  ) {
    if (augment.shift > 0 && !isLayered(net)) throw new RangeError('shifted images are for layer-list networks (the MLP backend reads the images unshifted)');
    if (augment.elastic && augment.elastic.alpha > 0 && !isLayered(net)) throw new RangeError('elastic distortions are for layer-list networks (the MLP backend reads the images undistorted)');
    if (options.batch > data.train.count) throw new LimitError('batch', options.batch, data.train.count, 'the training set');
    if (isLayered(net)) {
      const second = threads !== 1 && net.layers.some((l) => l.kind === 'conv') && availableParallelism() > 1;
      this.layered = new LayeredEngine(net, options.batch, options.momentum !== 0, augment.shift, undefined, second);
      if (this.layered.canUseTwoThreads && threads === 'auto') this.chooser = new ThreadChooser(this.layered);
      if (velocity) this.layered.velocity.set(velocity);
      if (augment.elastic && augment.elastic.alpha > 0) this.layered.elastic = new ElasticDistortion(data.train.rows, data.train.cols, augment.elastic);
      progress.noiseState ??= (progress.rngState ^ 0x9e3779b9) >>> 0; // the dropout masks' own generator
    } else {
      const ws = createWorkspace(net, options.batch, options.momentum !== 0);
      const evalWs = createWorkspace(net, 100);
      this.ws = ws;
      this.evalWs = evalWs;
      moveNetworkInto(net, ws); // the parameters now live in the kernels' memory (net.params is a new view)
      if (velocity) ws.velocity.set(velocity);
      if (threads !== 1 && sharesWithSecondThread(net) && availableParallelism() > 1 && startSecondThread(ws) && startSecondThread(evalWs)) {
        const both: ThreadSwitch = {
          get threads() {
            return ws.threads.split ? 2 : 1;
          },
          set threads(n: 1 | 2) {
            ws.threads.split = evalWs.threads.split = n === 2;
          },
        };
        if (threads === 'auto') this.chooser = new ThreadChooser(both);
      }
    }
    this.order = new Int32Array(data.train.count);
    this.best = new Float64Array(net.params.length);
  }

  /** With --threads auto: times one thread against two as the run goes. */
  private readonly chooser: ThreadChooser | null = null;

  /** Ends the second thread, if any (the trainer can still run, on one). */
  close(): void {
    this.layered?.close();
    if (this.ws) stopSecondThread(this.ws);
    if (this.evalWs) stopSecondThread(this.evalWs);
  }

  /** Momentum velocity (empty when momentum is off). */
  get velocity(): Float64Array {
    return this.layered ? this.layered.velocity : this.ws!.velocity;
  }

  private evaluateOn(set: DigitSet): EvalResult {
    return this.layered ? this.layered.evaluate(set) : evaluateSet(this.net as Network, this.evalWs!, set);
  }

  private stepOptions(): StepOptions {
    return { eta: this.progress.eta, lambda: this.options.lambda, n: this.data.train.count, momentum: this.options.momentum };
  }

  /**
   * Runs (or finishes) one epoch. Returns its record, or null when `shouldStop` paused it
   * mid-way (the progress then says where to go on; calling runEpoch again does).
   */
  runEpoch(cb: TrainCallbacks = {}): EpochRecord | null {
    const { net, ws, order, options, progress } = this;
    const train = this.data.train;
    const n = train.count;
    const m = options.batch;
    const batches = Math.ceil(n / m);
    // The order of this epoch depends only on the generator's state at its start, so a run
    // resumed mid-epoch recomputes it exactly.
    const rng = new Random(progress.rngState);
    if (this.orderState !== progress.rngState) {
      for (let i = 0; i < n; i++) order[i] = i;
      if (options.shuffle) rng.shuffle(order);
      this.orderState = progress.rngState;
    } else if (options.shuffle) {
      rng.state = this.orderStateAfter; // the order is already there: only move the generator on
    }
    this.orderStateAfter = rng.state;
    const step = this.stepOptions();
    const layered = this.layered;
    const noise = layered ? new Random(progress.noiseState ?? 0) : null; // shifts and dropout masks (layer lists only)
    const t0 = performance.now();
    for (let b = progress.batchInEpoch; b < batches; b++) {
      const start = b * m;
      const size = Math.min(m, n - start);
      let c: number;
      if (layered) {
        this.chooser?.begin();
        c = layered.step(train, order, start, size, step, noise!);
        this.chooser?.end();
        progress.noiseState = noise!.state;
      } else {
        this.chooser?.begin();
        c = trainMiniBatch(net as Network, ws!, train, order, start, size, step);
        this.chooser?.end();
      }
      if (!Number.isFinite(c)) throw new NonFiniteError(progress.epoch + 1, b + 1);
      progress.epochCostSum += c;
      progress.epochSeen += size;
      progress.batchInEpoch = b + 1;
      cb.onBatch?.(b + 1, batches);
      if (b + 1 < batches && cb.shouldStop?.()) {
        progress.epochTrainSeconds += (performance.now() - t0) / 1000;
        return null;
      }
    }
    const trainSeconds = progress.epochTrainSeconds + (performance.now() - t0) / 1000;
    if (!allFinite(net.params)) throw new NonFiniteError(progress.epoch + 1, batches);

    const t1 = performance.now();
    const record: EpochRecord = {
      epoch: progress.epoch + 1,
      trainCost: progress.epochCostSum / progress.epochSeen + l2Penalty(net, options.lambda, n),
      eta: progress.eta,
      trainSeconds,
      evalSeconds: 0,
    };
    if (options.trainAccuracy) record.trainAccuracy = score(this.evaluateOn(train)).accuracy;
    if (this.data.validation) record.validation = score(this.evaluateOn(this.data.validation));
    if (this.data.test) record.test = score(this.evaluateOn(this.data.test));
    record.evalSeconds = (performance.now() - t1) / 1000;

    progress.history.push(record);
    progress.epoch += 1;
    progress.batchInEpoch = 0;
    progress.rngState = rng.state;
    progress.epochCostSum = 0;
    progress.epochSeen = 0;
    progress.epochTrainSeconds = 0;
    this.afterEpoch(record);
    return record;
  }

  /** η schedule (the decay every epoch; halving) and early stopping, by validation accuracy (test accuracy when there is no validation set). */
  private afterEpoch(record: EpochRecord): void {
    const { options, progress } = this;
    if (options.etaDecay !== undefined && options.etaDecay !== 1) progress.eta *= options.etaDecay;
    const monitored = record.validation ?? record.test;
    if (!monitored) return;
    if (monitored.accuracy > progress.bestAccuracy) {
      progress.bestAccuracy = monitored.accuracy;
      progress.bestEpoch = record.epoch;
      progress.sinceBest = 0;
      this.best.set(this.net.params);
      return;
    }
    progress.sinceBest += 1;
    if (options.earlyStop > 0 && progress.sinceBest >= options.earlyStop) progress.finished = true;
    if (options.etaPatience > 0 && progress.sinceBest % options.etaPatience === 0) {
      progress.eta /= 2;
      progress.halvings += 1;
      if (options.etaHalvings > 0 && progress.halvings >= options.etaHalvings) progress.finished = true;
    }
  }
}

function score(r: EvalResult): SetScore {
  return { correct: r.correct, count: r.count, accuracy: r.correct / r.count, cost: r.cost };
}

export function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Accuracy and cost of `net` on `set` (allocates its own small workspace; a layer list is evaluated on a copy living in the kernels' memory). */
export function evaluate(net: Network | LayeredNetwork, set: DigitSet, record?: { predicted?: Uint8Array; outputs?: Float64Array }): SetScore {
  if (isLayered(net)) {
    const copy = cloneLayered(net);
    return score(evaluateLayeredSet(copy, layeredMemory(copy, 1, false).evalWs, set, record));
  }
  return score(evaluateSet(net, createWorkspace(net, 100), set, record));
}
