/**
 * A training run started from the page, driven as `digit-train train` drives it: the engine's
 * Trainer, `runEpoch` with `onBatch`/`shouldStop`, a return to the event loop every 100
 * mini-batches (so the server keeps answering), and on stop the checkpoint Ctrl-C writes
 * (saveModel of the weights and everything `--resume` needs, to a temporary name and renamed).
 *
 * The run belongs to the server, not to a request: a page that goes away leaves it running.
 * Every UPDATE_EVERY mini-batches it records a point for the page: the average training cost
 * of those batches and the accuracy on the first PROBE_SIZE test images (the forward pass of
 * `predict`), with the first mistakes among them; each finished epoch adds the full test score.
 *
 * The network is an MLP (`hidden`: as `digit-train --hidden H --eta η --batch m --seed S`) or a
 * layer list (`layers`: as `digit-train --layers L --output softmax --cost cross-entropy --eta η
 * --batch m --seed S`, the conv recipe of the README). A layer list runs the readable engine, far
 * slower per image: the run also returns to the event loop after YIELD_MS, and its epoch's test
 * score is computed in chunks of EVAL_CHUNK images with returns in between, so the page keeps
 * being answered.
 */
import type { Mnist } from '../data/mnist.js';
import { subset } from '../data/dataset.js';
import { saveModel, type AnyModel } from '../model/model.js';
import { runModel } from '../model/snapshot.js';
import { predictSet } from '../nn/metrics.js';
import { createNetwork, type Network } from '../nn/network.js';
import { createLayered, createLayeredWorkspace, isLayered, type LayeredNetwork } from '../nn/layered.js';
import { evaluateSet } from '../nn/layered-data.js';
import { layerSpecs, parseLayerList } from '../model/layer-list.js';
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, NonFiniteError, Trainer, type TrainOptions, type TrainProgress } from '../train/train.js';
import { VERSION } from '../version.js';
import { cloneAny, firstLayerWeights, type AnyNetwork, type FirstLayer } from './digits.js';

/** Mini-batches between two returns to the event loop (as in `digit-train train`). */
export const YIELD_EVERY = 100;
/** Milliseconds of training between two returns to the event loop, whatever the mini-batches. */
export const YIELD_MS = 50;
/** Test images evaluated between two returns to the event loop (layer lists). */
export const EVAL_CHUNK = 500;
/** Mini-batches between two points of the live view. */
export const UPDATE_EVERY = 200;
/** Test images evaluated at every point. */
export const PROBE_SIZE = 1000;
/** Mistakes sent with each point. */
export const SHOWN_MISTAKES = 12;
/** First-layer neurons drawn while training. */
export const TRAIN_NEURONS = 16;

interface RunSettings {
  epochs: number;
  eta: number;
  batch: number;
  seed: number;
}

/** An MLP of these hidden sizes, or a layer list (as --layers takes it). */
export type TrainRequest = (RunSettings & { hidden: number[] }) | (RunSettings & { layers: string });

/** The network a request asks for (throws UserError, LayerListError or StackLayoutError for a layer list that is no network). */
export function networkOf(request: TrainRequest, data: Mnist, rng: Random): AnyNetwork {
  if ('layers' in request) {
    const input = { channels: 1, height: data.train.rows, width: data.train.cols };
    // As `digit-train --layers L --output softmax --cost cross-entropy`: sigmoid unless a layer says otherwise, scaled N(0, 1/n_in) start.
    return createLayered({ input, layers: layerSpecs(parseLayerList(request.layers, 'layers'), 'sigmoid', data.classes, 'softmax'), cost: 'cross-entropy' }, rng, 'scaled');
  }
  // As `digit-train --hidden H --eta η --batch m --seed S`: sigmoid, quadratic cost, network.py's N(0, 1) start, monitoring the test set.
  return createNetwork({ sizes: [data.train.inputSize, ...request.hidden, data.classes], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng, 'normal');
}

export interface Point {
  /** Mini-batches done since the start of the run. */
  step: number;
  /** Fractional epoch. */
  epoch: number;
  /** Average training cost of the mini-batches since the previous point. */
  cost: number;
  /** Accuracy on the probe images. */
  accuracy: number;
}

export interface Mistake {
  index: number;
  label: number;
  predicted: number;
  pixels: number[];
}

export type RunState = 'running' | 'stopping' | 'stopped' | 'done' | 'failed';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class TrainingRun {
  state: RunState = 'running';
  message = '';
  readonly net: AnyNetwork;
  readonly trainer: Trainer;
  readonly progress: TrainProgress;
  readonly options: TrainOptions;
  readonly points: Point[] = [];
  readonly epochs: { epoch: number; cost: number; accuracy: number | null }[] = [];
  mistakes: Mistake[] = [];
  readonly lastEpoch: number;
  readonly batchesPerEpoch: number;
  /** Resolves when the run has ended (done, stopped with its checkpoint written, or failed). */
  readonly finished: Promise<void>;
  private stopRequested = false;
  private steps = 0;
  private costSum = 0;
  private costCount = 0;
  private readonly probe;

  constructor(
    readonly request: TrainRequest,
    readonly data: Mnist,
    readonly out: string,
  ) {
    const rng = new Random(request.seed);
    this.net = networkOf(request, data, rng);
    this.options = { ...DEFAULT_TRAIN_OPTIONS, eta: request.eta, batch: request.batch };
    this.progress = newProgress(rng, request.eta);
    // A layer list's test score is computed here, in chunks (testInChunks), not by the trainer in one go.
    this.trainer = new Trainer(this.net, { train: data.train, test: isLayered(this.net) ? null : data.test, validation: null }, this.options, this.progress);
    this.lastEpoch = request.epochs;
    this.batchesPerEpoch = Math.ceil(data.train.count / request.batch);
    this.probe = subset(data.test, 0, Math.min(PROBE_SIZE, data.test.count));
    this.sample();
    this.finished = this.loop();
  }

  /** Asks the run to stop after the current mini-batch; resolves once the checkpoint is written. */
  stop(): Promise<void> {
    if (this.state === 'running') {
      this.stopRequested = true;
      this.state = 'stopping';
    }
    return this.finished;
  }

  /** The model file's content now, as `digit-train train` writes it (a checkpoint unless the run is done). */
  snapshot(): AnyModel {
    // what `digit-train --hidden H --eta η --batch m --seed S [--train-size n]` records (the engine's options come with the trainer)
    const resumable = { seed: this.request.seed, monitor: ['test'], keep: 'last' as const, trainSize: this.data.train.count };
    const layered = isLayered(this.net);
    const model = runModel({ trainer: this.trainer, data: this.data, resumable, activation: layered ? 'sigmoid' : (this.net as Network).activation, init: layered ? 'scaled' : 'normal' }, false);
    return { net: cloneAny(this.net), meta: model.meta } as AnyModel;
  }

  /** The first-layer weights as the page draws them. */
  weights(): FirstLayer {
    return firstLayerWeights(this.net, TRAIN_NEURONS);
  }

  /** The test score of a layer list after an epoch, EVAL_CHUNK images at a time with returns to the event loop; stops early (null) when a stop is asked for. */
  private async testInChunks(): Promise<{ correct: number; count: number; accuracy: number; cost: number } | null> {
    const net = this.net as LayeredNetwork;
    const ws = createLayeredWorkspace(net, 100);
    const test = this.data.test;
    let correct = 0;
    let cost = 0;
    for (let start = 0; start < test.count; start += EVAL_CHUNK) {
      if (this.stopRequested) return null;
      const r = evaluateSet(net, ws, subset(test, start, Math.min(test.count, start + EVAL_CHUNK)));
      correct += r.correct;
      cost += r.cost * r.count;
      await tick();
    }
    return { correct, count: test.count, accuracy: correct / test.count, cost: cost / test.count };
  }

  private sample(): void {
    const p = predictSet(this.net, this.probe);
    let correct = 0;
    const mistakes: Mistake[] = [];
    const n = this.probe.inputSize;
    for (let i = 0; i < this.probe.count; i++) {
      if (p.predicted[i] === this.probe.labels[i]) correct++;
      else if (mistakes.length < SHOWN_MISTAKES) mistakes.push({ index: i, label: this.probe.labels[i], predicted: p.predicted[i], pixels: Array.from(this.probe.images.subarray(i * n, (i + 1) * n)) });
    }
    this.mistakes = mistakes;
    if (this.costCount > 0 || this.points.length === 0) {
      this.points.push({ step: this.steps, epoch: this.steps / this.batchesPerEpoch, cost: this.costCount ? this.costSum / this.costCount : NaN, accuracy: correct / this.probe.count });
    }
    this.costSum = 0;
    this.costCount = 0;
  }

  private async loop(): Promise<void> {
    const { trainer, progress } = this;
    try {
      for (let e = progress.epoch + 1; e <= this.lastEpoch && !progress.finished; e++) {
        let record = null;
        while (record === null) {
          let sinceYield = 0;
          const t0 = performance.now();
          let seen = progress.epochSeen;
          let sum = progress.epochCostSum;
          record = trainer.runEpoch({
            onBatch: () => {
              // The engine keeps the epoch's running cost sum; the difference is this batch's.
              this.costSum += progress.epochCostSum - sum;
              this.costCount += progress.epochSeen - seen;
              sum = progress.epochCostSum;
              seen = progress.epochSeen;
              if (++this.steps % UPDATE_EVERY === 0) this.sample();
            },
            shouldStop: () => ++sinceYield >= YIELD_EVERY || performance.now() - t0 >= YIELD_MS || this.stopRequested,
          });
          if (this.stopRequested) break;
          if (record === null) await tick();
          if (this.stopRequested) break;
        }
        if (record && isLayered(this.net)) {
          const test = await this.testInChunks();
          if (test) record.test = test; // the record is the one in progress.history: the checkpoint has it too
        }
        if (record) this.epochs.push({ epoch: record.epoch, cost: record.trainCost, accuracy: record.test ? record.test.accuracy : null });
        if (this.stopRequested) {
          // Ctrl-C's checkpoint: the weights and everything --resume needs.
          saveModel(this.out, this.snapshot());
          const where = progress.batchInEpoch ? `in epoch ${progress.epoch + 1} after mini-batch ${progress.batchInEpoch}` : `after epoch ${progress.epoch}`;
          this.message = `stopped ${where}; checkpoint saved to ${this.out}; resume with: digit-train --resume ${quote(this.out)} --epochs ${this.lastEpoch - progress.epoch} --out ${quote(this.out)}`;
          this.state = 'stopped';
          return;
        }
        await tick();
      }
      this.sample();
      saveModel(this.out, this.snapshot());
      this.message = `done: ${progress.epoch} epochs; saved ${this.out}`;
      this.state = 'done';
    } catch (err) {
      this.state = 'failed';
      this.message =
        err instanceof NonFiniteError ? `training diverged: ${err.message} (η ${progress.eta}); nothing was saved; try a smaller η` : (err as Error).message;
    }
  }
}

/** A path as a shell word. */
function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
