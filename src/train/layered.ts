/**
 * Training and evaluation of a layer-list network (nn/layered.ts) on a DigitSet, on the
 * WebAssembly kernels where they run (nn/fast/layered.ts; the network's parameters move into
 * their memory) and else on the readable loops, with the same results. Buffers are allocated
 * once, here.
 */
import type { DigitSet } from '../data/dataset.js';
import type { ElasticDistortion } from '../data/augment.js';
import { evaluateSet, gatherAugmented, gatherLayered } from '../nn/layered-data.js';
import { layeredMemory, type LayeredMemory } from '../nn/fast/layered.js';
import type { FastBackend } from '../nn/fast/wasm.js';
import {
  backpropLayered,
  feedforwardLayered,
  sgdStepLayered,
  type EvalCounts,
  type LayeredNetwork,
  type LayeredStep,
  type LayeredWorkspace,
} from '../nn/layered.js';
import type { Random } from '../nn/random.js';

export { evaluateSet } from '../nn/layered-data.js';

export class LayeredEngine {
  readonly ws: LayeredWorkspace;
  readonly evalWs: LayeredWorkspace;
  /** Data augmentation: elastic distortions of every training image (null: none); its buffers are the engine's. */
  elastic: ElasticDistortion | null = null;

  constructor(
    readonly net: LayeredNetwork,
    batch: number,
    momentum: boolean,
    /** Data augmentation: shift every training image by up to this many pixels (0: none). */
    readonly shift = 0,
    /** The kernels (this process's choice unless asked: see nn/fast/wasm.ts). */
    backend?: FastBackend,
    /** Start a second thread for the conv layers (WebAssembly only; `threads` switches its use). */
    twoThreads = false,
  ) {
    this.mem = layeredMemory(net, batch, momentum, 100, backend, twoThreads);
    this.ws = this.mem.ws;
    this.evalWs = this.mem.evalWs;
  }

  private readonly mem: LayeredMemory;

  /** Threads the conv layers use now: 2 only if a second thread was started (the results are the same either way). */
  get threads(): 1 | 2 {
    return this.mem.threads.split && this.mem.threads.thread ? 2 : 1;
  }

  set threads(n: 1 | 2) {
    this.mem.threads.split = n === 2;
  }

  /** Whether a second thread is there to use. */
  get canUseTwoThreads(): boolean {
    return this.mem.threads.thread !== null;
  }

  /** Ends the second thread (the engine then runs on one). */
  close(): void {
    this.mem.close();
    this.mem.threads.thread = null;
    this.mem.threads.split = false;
  }

  get velocity(): Float64Array {
    return this.ws.velocity;
  }

  /**
   * One SGD step on a mini-batch. `noise` draws each image's augmentation (with `shift` > 0: dx, dy
   * uniform in −shift … shift; with `elastic`: a displacement field; new every time an image is
   * used, never stored) and the dropout masks. Returns the sum of the batch's costs before the step.
   */
  step(set: DigitSet, order: Int32Array, start: number, m: number, opt: LayeredStep, noise: Random): number {
    const { net, ws, shift, elastic } = this;
    if (shift > 0 || elastic) gatherAugmented(set, order, start, m, ws, noise, shift, elastic);
    else gatherLayered(set, order, start, m, ws);
    feedforwardLayered(net, ws, m, noise);
    const cost = backpropLayered(net, ws, m);
    sgdStepLayered(net, ws, opt);
    return cost;
  }

  evaluate(set: DigitSet, record?: { predicted?: Uint8Array; outputs?: Float64Array }): EvalCounts {
    return evaluateSet(this.net, this.evalWs, set, record);
  }
}

