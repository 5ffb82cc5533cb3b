/**
 * Training and evaluation of a layer-list network (nn/layered.ts) on a DigitSet, on the
 * WebAssembly kernels where they run (nn/fast/layered.ts; the network's parameters move into
 * their memory) and else on the readable loops, with the same results. Buffers are allocated
 * once, here.
 */
import type { DigitSet } from '../data/dataset.js';
import { evaluateSet, gatherLayered, gatherShifted } from '../nn/layered-data.js';
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
   * One SGD step on a mini-batch. `noise` draws each image's shift (with `shift` > 0: dx, dy
   * uniform in −shift … shift, new every time an image is used, never stored) and the dropout
   * masks. Returns the sum of the batch's costs before the step.
   */
  step(set: DigitSet, order: Int32Array, start: number, m: number, opt: LayeredStep, noise: Random): number {
    const { net, ws, shift } = this;
    if (shift > 0) {
      for (let x = 0; x < m; x++) {
        const e = order[start + x];
        const dx = Math.floor(noise.next() * (2 * shift + 1)) - shift;
        const dy = Math.floor(noise.next() * (2 * shift + 1)) - shift;
        gatherShifted(set, e, ws.a[0], x * set.inputSize, dx, dy);
        ws.y[x] = set.labels[e];
      }
    } else gatherLayered(set, order, start, m, ws);
    feedforwardLayered(net, ws, m, noise);
    const cost = backpropLayered(net, ws, m);
    sgdStepLayered(net, ws, opt);
    return cost;
  }

  evaluate(set: DigitSet, record?: { predicted?: Uint8Array; outputs?: Float64Array }): EvalCounts {
    return evaluateSet(this.net, this.evalWs, set, record);
  }
}

