/**
 * A layer-list network (layered.ts) on a DigitSet: mini-batches gathered as dense images
 * (pixels scaled to [0, 1]), and evaluation over a whole set.
 */
import type { ElasticDistortion } from '../data/augment.js';
import { gatherImage, PIXEL, type DigitSet } from '../data/dataset.js';
import { evaluateLayered, inputsOf, outputsOf, type EvalCounts, type LayeredNetwork, type LayeredWorkspace } from './layered.js';
import type { Network } from './network.js';
import type { Random } from './random.js';

/** Puts images order[start … start+m) of `set` (start … start+m when order is null) into ws.a[0] and ws.y. */
export function gatherLayered(set: DigitSet, order: Int32Array | null, start: number, m: number, ws: LayeredWorkspace): void {
  const n = set.inputSize;
  for (let x = 0; x < m; x++) {
    const e = order === null ? start + x : order[start + x];
    gatherImage(set, e, ws.a[0], x * n);
    ws.y[x] = set.labels[e];
  }
}

/** Accuracy and cost of a layered network on `set`, in chunks of ws.m examples. */
export function evaluateSet(net: LayeredNetwork, ws: LayeredWorkspace, set: DigitSet, record?: { predicted?: Uint8Array; outputs?: Float64Array }): EvalCounts {
  if (inputsOf(net) !== set.inputSize) throw new RangeError(`the network takes ${inputsOf(net)} inputs, the set has ${set.inputSize}`);
  return evaluateLayered(net, ws, set.count, (w, start, m) => gatherLayered(set, null, start, m, w), record);
}

/** Inputs per example of either kind of network. */
export function inputCount(net: Network | LayeredNetwork): number {
  return 'kind' in net && net.kind === 'layered' ? inputsOf(net) : (net as Network).sizes[0];
}

/** Outputs (classes) of either kind of network. */
export function outputCount(net: Network | LayeredNetwork): number {
  return 'kind' in net && net.kind === 'layered' ? outputsOf(net) : (net as Network).sizes[(net as Network).sizes.length - 1];
}

/**
 * Image e of `set` shifted by (dx, dy) pixels (right and down for positive values), into out
 * from `at`, pixels scaled to [0, 1]: out(i, j) = image(i − dy, j − dx), 0 where that falls
 * outside the image. Data augmentation: the shifted digit is still the same digit.
 */
export function gatherShifted(set: DigitSet, e: number, out: Float64Array, at: number, dx: number, dy: number): void {
  const { rows, cols, images } = set;
  const base = e * rows * cols;
  for (let i = 0; i < rows; i++) {
    const si = i - dy;
    const o = at + i * cols;
    if (si < 0 || si >= rows) {
      out.fill(0, o, o + cols);
      continue;
    }
    const src = base + si * cols;
    for (let j = 0; j < cols; j++) {
      const sj = j - dx;
      out[o + j] = sj >= 0 && sj < cols ? PIXEL[images[src + sj]] : 0;
    }
  }
}

/**
 * As gatherLayered, each image augmented as it is gathered, from `noise`: with shift > 0, moved
 * by (dx, dy) drawn uniform in −shift … shift (dx first); with `elastic`, then distorted by a new
 * random displacement field (data/augment.ts). Drawn anew every time an image is used, never stored.
 */
export function gatherAugmented(set: DigitSet, order: Int32Array, start: number, m: number, ws: LayeredWorkspace, noise: Random, shift: number, elastic: ElasticDistortion | null): void {
  const n = set.inputSize;
  for (let x = 0; x < m; x++) {
    const e = order[start + x];
    const dx = shift > 0 ? Math.floor(noise.next() * (2 * shift + 1)) - shift : 0;
    const dy = shift > 0 ? Math.floor(noise.next() * (2 * shift + 1)) - shift : 0;
    if (elastic) elastic.apply(set, e, ws.a[0], x * n, noise, dx, dy);
    else gatherShifted(set, e, ws.a[0], x * n, dx, dy);
    ws.y[x] = set.labels[e];
  }
}
