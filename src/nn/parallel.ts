/**
 * Two threads for one training run: the first layer (by far the most work: every non-zero pixel
 * times every hidden unit, forward and in the update) is split by hidden units between this
 * thread and a worker; the rest of the network stays here. Parameters and the first layer's
 * z, a, δ live in SharedArrayBuffers; each thread only ever writes its own hidden units' weights,
 * so every number is computed exactly as with one thread (the tests compare bit for bit).
 *
 * Per mini-batch s (both threads gather the batch's pixels themselves):
 *   main:    GO=s · forward own units · wait FWD≥s · upper layers, BP1, BP2 (all units, old weights),
 *            upper layers' step · DELTA=s · step own first-layer units
 *   worker:  wait GO≥s · forward its units · FWD=s · wait DELTA≥s · step its units · UPD=s
 * Waiting spins briefly, then sleeps in Atomics.wait: a mini-batch is only tens of microseconds.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DigitSet } from '../data/dataset.js';
import { layerViews, type Network } from './network.js';
import type { StepOptions } from './kernels.js';
import type { SharedLayerOne } from './workspace.js';

/** Slots of the control block (Int32Array over a SharedArrayBuffer). */
export const GO = 0;
export const FWD = 1;
export const DELTA = 2;
export const UPD = 3;
export const QUIT = 4;
export const FAILED = 5;
const CONTROL_SLOTS = 8;

/** Fields of the command block (Float64Array over a SharedArrayBuffer), written before GO. */
export const CMD_START = 0; // first example of the batch in `order`
export const CMD_SIZE = 1;
export const CMD_ETA = 2;
export const CMD_LAMBDA = 3;
export const CMD_N = 4;
export const CMD_MOMENTUM = 5;
const COMMAND_FIELDS = 8;

const SPINS = 20_000;

/** Waits until ctl[slot] ≥ value: spins, then sleeps. Throws if the other thread failed. */
export function waitAtLeast(ctl: Int32Array, slot: number, value: number): void {
  let spins = 0;
  for (;;) {
    const v = Atomics.load(ctl, slot);
    if (v >= value) return;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error('the training worker thread failed');
    if (++spins > SPINS) Atomics.wait(ctl, slot, v, 20);
  }
}

export function signal(ctl: Int32Array, slot: number, value: number): void {
  Atomics.store(ctl, slot, value);
  Atomics.notify(ctl, slot);
}

/** What the worker is given once: shared memory, its units, a copy of the training set's pixel lists. */
export interface WorkerInit {
  sizes: number[];
  activation: Network['activation'];
  output: Network['output'];
  cost: Network['cost'];
  params: Float64Array;
  layer1: SharedLayerOne;
  order: Int32Array;
  control: Int32Array;
  command: Float64Array;
  batch: number;
  j0: number;
  j1: number;
  set: Pick<DigitSet, 'count' | 'rows' | 'cols' | 'labels' | 'nzStart' | 'nzIndex' | 'nzValue'>;
}

function workerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'parallel-worker.js');
  // Under the test runner this file is the TypeScript source: use the compiled worker.
  return existsSync(sibling) ? sibling : join(here, '..', '..', 'dist', 'nn', 'parallel-worker.js');
}

/** Moves a network's parameters into shared memory (in place: the same object, new views). */
export function shareNetwork(net: Network): void {
  const shared = new Float64Array(new SharedArrayBuffer(8 * net.params.length));
  shared.set(net.params);
  net.params = shared;
  [net.W, net.b] = layerViews(net.sizes, shared);
}

/** The split of H hidden units: [0, split) here, [split, H) in the worker; a multiple of 5. */
export function splitPoint(H: number): number {
  return Math.max(5, Math.round(H / 10) * 5);
}

export class FirstLayerWorker {
  readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
  readonly command = new Float64Array(new SharedArrayBuffer(8 * COMMAND_FIELDS));
  private readonly worker: Worker;
  /** Sequence number of the last mini-batch handed out. */
  seq = 0;

  constructor(net: Network, layer1: SharedLayerOne, order: Int32Array, set: DigitSet, batch: number, j0: number, j1: number) {
    const init: WorkerInit = {
      sizes: net.sizes,
      activation: net.activation,
      output: net.output,
      cost: net.cost,
      params: net.params,
      layer1,
      order,
      control: this.control,
      command: this.command,
      batch,
      j0,
      j1,
      set: { count: set.count, rows: set.rows, cols: set.cols, labels: set.labels, nzStart: set.nzStart, nzIndex: set.nzIndex, nzValue: set.nzValue },
    };
    this.worker = new Worker(workerFile(), { workerData: init });
    this.worker.unref();
    this.worker.on('error', () => Atomics.store(this.control, FAILED, 1));
  }

  /** Hands out the next mini-batch; returns its sequence number. */
  go(start: number, size: number, opt: StepOptions): number {
    const c = this.command;
    c[CMD_START] = start;
    c[CMD_SIZE] = size;
    c[CMD_ETA] = opt.eta;
    c[CMD_LAMBDA] = opt.lambda;
    c[CMD_N] = opt.n;
    c[CMD_MOMENTUM] = opt.momentum;
    signal(this.control, GO, ++this.seq);
    return this.seq;
  }

  /** Waits until the worker has finished every step handed out (before evaluating or saving). */
  drain(): void {
    waitAtLeast(this.control, UPD, this.seq);
  }

  async close(): Promise<void> {
    signal(this.control, QUIT, 1);
    signal(this.control, GO, this.seq + 1);
    await this.worker.terminate();
  }
}
