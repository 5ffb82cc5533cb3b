/**
 * Training and evaluation of a layer-list network (nn/layered.ts) on a DigitSet: the readable
 * path, the one for conv, pool and dropout layers (an MLP described by sizes runs the fast
 * backend instead). Buffers are allocated once, here.
 */
import type { DigitSet } from '../data/dataset.js';
import { evaluateSet, gatherLayered } from '../nn/layered-data.js';
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
  ) {
    this.ws = createLayeredWorkspace(net, batch, momentum);
    this.evalWs = createLayeredWorkspace(net, 100);
  }

  get velocity(): Float64Array {
    return this.ws.velocity;
  }

  /** One SGD step on a mini-batch (dropout masks from `noise`). Returns the sum of its costs before the step. */
  step(set: DigitSet, order: Int32Array, start: number, m: number, opt: LayeredStep, noise: Random): number {
    const { net, ws } = this;
    gatherLayered(set, order, start, m, ws);
    feedforwardLayered(net, ws, m, noise);
    const cost = backpropLayered(net, ws, m);
    sgdStepLayered(net, ws, opt);
    return cost;
  }

  evaluate(set: DigitSet, record?: { predicted?: Uint8Array; outputs?: Float64Array }): EvalCounts {
    return evaluateSet(this.net, this.evalWs, set, record);
  }
}

