/**
 * Training and evaluation of a layer-list network (nn/layered.ts) on a DigitSet: the readable
 * path, the one for conv, pool and dropout layers (an MLP described by sizes runs the fast
 * backend instead). Buffers are allocated once, here.
 */
import type { DigitSet } from '../data/dataset.js';
import { evaluateSet, gatherLayered, gatherShifted } from '../nn/layered-data.js';
import {
  backpropLayered,
  createLayeredWorkspace,
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
  ) {
    this.ws = createLayeredWorkspace(net, batch, momentum);
    this.evalWs = createLayeredWorkspace(net, 100);
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

