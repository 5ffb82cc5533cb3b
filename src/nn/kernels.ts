/**
 * The fast loops: the same mathematics as backprop.ts, arranged for speed.
 *
 *  1. The first layer reads only the non-zero pixels of each image (most MNIST pixels are 0):
 *     z^1 = W^1 x + b^1 = b^1 + Σ_{i : x_i ≠ 0} x_i · (row i of the input-major W^1).
 *     Each z_j is summed in the same order as the dense loop, so the result is bit for bit the
 *     same; blocks of 5 hidden units are kept in local variables across the pixel loop.
 *  2. After all deltas of the batch are computed with the old weights (BP1, BP2), each δ is
 *     scaled by −η/m and the gradient is added straight into the parameters (BP3 and BP4 fused
 *     into the SGD step): W^l += Σ_x a^(l−1)_x (−η/m · δ^l_x)ᵀ, only over non-zero a.
 *  3. L2 (network2.py's weight decay) and momentum, when asked for, add dense passes over the
 *     parameters; without them no dense pass over W^1 happens at all.
 *
 * The gradient summed per parameter is the same as in backprop.ts; the order of the additions
 * differs, so a training trajectory agrees with the readable path to within rounding (the tests
 * measure how close).
 */
import type { DigitSet } from '../data/dataset.js';
import { PIXEL } from '../data/dataset.js';
import { activate, activateOutput, argmax, exampleCost, mulDerivative, outputDelta } from './functions.js';
import type { Network } from './network.js';
import type { Workspace } from './workspace.js';

export interface StepOptions {
  /** Learning rate η. */
  eta: number;
  /** L2 regularisation λ (0: none): weights shrink by (1 − ηλ/n) per step, biases untouched. */
  lambda: number;
  /** Size of the training set, the n of ηλ/n. */
  n: number;
  /** Classical momentum μ (0: plain SGD): v ← μv − η∇C, p ← p + v. */
  momentum: number;
}

/**
 * Copies the non-zero pixels of m images into ws (scaled to [0, 1]) and their labels into ws.y.
 * Image x of the batch is set image order[start + x], or start + x when order is null.
 */
export function gatherSparse(set: DigitSet, order: Int32Array | null, start: number, m: number, ws: Workspace, n1: number): void {
  const { labels, nzStart, nzIndex, nzValue } = set;
  const xValue = ws.xValue;
  const xRow = ws.xRow;
  let q = 0;
  for (let x = 0; x < m; x++) {
    const e = order === null ? start + x : order[start + x];
    ws.y[x] = labels[e];
    ws.nzStart[x] = q;
    for (let p = nzStart[e], end = nzStart[e + 1]; p < end; p++) {
      xValue[q] = PIXEL[nzValue[p]];
      xRow[q] = nzIndex[p] * n1;
      q++;
    }
  }
  ws.nzStart[m] = q;
}

/** z^1 = W^1 x + b^1 over the gathered non-zero pixels, then a^1 = f(z^1). */
function forwardFirstLayer(net: Network, ws: Workspace, m: number): void {
  const H = net.sizes[1];
  const W = net.W[0];
  const b = net.b[0];
  const z = ws.z[1];
  const { xValue, xRow, nzStart } = ws;
  const H5 = H - (H % 5);
  // Block of hidden units outermost: while one block is summed for every example of the batch,
  // its slice of the weight rows stays in the L1 cache.
  for (let j = 0; j < H5; j += 5) {
    const b0 = b[j], b1 = b[j + 1], b2 = b[j + 2], b3 = b[j + 3], b4 = b[j + 4];
    for (let x = 0; x < m; x++) {
      let s0 = b0, s1 = b1, s2 = b2, s3 = b3, s4 = b4;
      for (let q = nzStart[x], q1 = nzStart[x + 1]; q < q1; q++) {
        const v = xValue[q];
        const r = xRow[q] + j;
        s0 += W[r] * v;
        s1 += W[r + 1] * v;
        s2 += W[r + 2] * v;
        s3 += W[r + 3] * v;
        s4 += W[r + 4] * v;
      }
      const zo = x * H + j;
      z[zo] = s0;
      z[zo + 1] = s1;
      z[zo + 2] = s2;
      z[zo + 3] = s3;
      z[zo + 4] = s4;
    }
  }
  for (let j = H5; j < H; j++) {
    for (let x = 0; x < m; x++) {
      let s = b[j];
      for (let q = nzStart[x], q1 = nzStart[x + 1]; q < q1; q++) s += W[xRow[q] + j] * xValue[q];
      z[x * H + j] = s;
    }
  }
  finishLayer(net, ws, 1, m);
}

/** a^l = f(z^l) for the m examples (the output layer's f for l = L). */
function finishLayer(net: Network, ws: Workspace, l: number, m: number): void {
  const n = net.sizes[l];
  const L = net.sizes.length - 1;
  if (l < L) activate(net.activation, ws.z[l], ws.a[l], 0, m * n);
  else for (let x = 0; x < m; x++) activateOutput(net.output, ws.z[l], ws.a[l], x * n, n);
}

/** z^l = W^l a^(l−1) + b^l, a^l = f(z^l), for layers 2..L (dense; blocks of 5 outputs in local variables). */
function forwardUpperLayers(net: Network, ws: Workspace, m: number): void {
  const { sizes } = net;
  const L = sizes.length - 1;
  for (let l = 2; l <= L; l++) {
    const nIn = sizes[l - 1];
    const nOut = sizes[l];
    const W = net.W[l - 1];
    const b = net.b[l - 1];
    const aPrev = ws.a[l - 1];
    const z = ws.z[l];
    const n5 = nOut - (nOut % 5);
    for (let x = 0; x < m; x++) {
      const ao = x * nIn;
      const zo = x * nOut;
      for (let j = 0; j < n5; j += 5) {
        let s0 = b[j], s1 = b[j + 1], s2 = b[j + 2], s3 = b[j + 3], s4 = b[j + 4];
        for (let k = 0; k < nIn; k++) {
          const v = aPrev[ao + k];
          const r = k * nOut + j;
          s0 += W[r] * v;
          s1 += W[r + 1] * v;
          s2 += W[r + 2] * v;
          s3 += W[r + 3] * v;
          s4 += W[r + 4] * v;
        }
        z[zo + j] = s0;
        z[zo + j + 1] = s1;
        z[zo + j + 2] = s2;
        z[zo + j + 3] = s3;
        z[zo + j + 4] = s4;
      }
      for (let j = n5; j < nOut; j++) {
        let s = b[j];
        for (let k = 0; k < nIn; k++) s += W[k * nOut + j] * aPrev[ao + k];
        z[zo + j] = s;
      }
    }
    finishLayer(net, ws, l, m);
  }
}

/** Forward pass of a gathered batch (gatherSparse) through the whole network. */
export function forwardSparse(net: Network, ws: Workspace, m: number): void {
  forwardFirstLayer(net, ws, m);
  forwardUpperLayers(net, ws, m);
}

/**
 * One SGD step on the mini-batch order[start … start+m) of `set`. Returns the sum of the m
 * examples' costs before the step (without the L2 term).
 */
export function trainMiniBatch(
  net: Network,
  ws: Workspace,
  set: DigitSet,
  order: Int32Array | null,
  start: number,
  m: number,
  opt: StepOptions,
): number {
  const { sizes } = net;
  const L = sizes.length - 1;
  gatherSparse(set, order, start, m, ws, sizes[1]);
  forwardSparse(net, ws, m);

  // BP1: δ^L = ∂C/∂a ⊙ σ'(z^L), and the cost of each example
  const nL = sizes[L];
  let cost = 0;
  for (let x = 0; x < m; x++) {
    cost += exampleCost(net.cost, net.output, ws.z[L], ws.a[L], x * nL, nL, ws.y[x]);
    outputDelta(net.cost, net.output, ws.a[L], ws.delta[L], x * nL, nL, ws.y[x]);
  }
  // BP2: δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ f'(z^l), with the weights from before this step
  for (let l = L - 1; l >= 1; l--) {
    const n = sizes[l];
    const nUp = sizes[l + 1];
    const W = net.W[l];
    const up = ws.delta[l + 1];
    const d = ws.delta[l];
    for (let x = 0; x < m; x++) {
      const uo = x * nUp;
      for (let k = 0; k < n; k++) {
        const row = k * nUp;
        let s = 0;
        for (let j = 0; j < nUp; j++) s += W[row + j] * up[uo + j];
        d[x * n + k] = s;
      }
    }
    mulDerivative(net.activation, ws.z[l], ws.a[l], d, m * n);
  }

  // The step. Deltas scaled by −η/m, then BP3/BP4 added into the target: the parameters
  // themselves, or the velocity when momentum is on.
  const scale = -opt.eta / m;
  for (let l = 1; l <= L; l++) {
    const d = ws.delta[l];
    for (let i = 0, n = m * sizes[l]; i < n; i++) d[i] *= scale;
  }
  const p = net.params;
  const useVelocity = opt.momentum !== 0;
  const target = useVelocity ? ws.velocity : p;
  if (useVelocity) {
    const v = ws.velocity;
    const mu = opt.momentum;
    for (let i = 0; i < v.length; i++) v[i] *= mu;
    if (opt.lambda !== 0) addWeightDecay(net, v, p, -opt.eta * opt.lambda / opt.n);
  } else if (opt.lambda !== 0) {
    addWeightDecay(net, p, p, -opt.eta * opt.lambda / opt.n);
  }
  addGradientStep(net, ws, m, target);
  if (useVelocity) {
    const v = ws.velocity;
    for (let i = 0; i < p.length; i++) p[i] += v[i];
  }
  return cost;
}

/** target[w] += c · p[w] for every weight (not the biases): the L2 term −ηλ/n · w. */
function addWeightDecay(net: Network, target: Float64Array, p: Float64Array, c: number): void {
  let at = 0;
  for (let l = 0; l + 1 < net.sizes.length; l++) {
    const nW = net.sizes[l] * net.sizes[l + 1];
    for (let i = at; i < at + nW; i++) target[i] += c * p[i];
    at += nW + net.sizes[l + 1];
  }
}

/**
 * BP4 on the first layer, over the non-zero pixels only: row i of W^1 += x_i · (−η/m) δ^1_x,
 * for each example x in turn. Blocks of 10 hidden units (then 1 at a time) keep their
 * (−η/m) δ in local variables across the pixel loop (10 measured faster than 5 or the plain
 * loop here); each weight still receives its additions in example order, so the result is the
 * same as the plain loop's.
 */
function addFirstLayerStep(ws: Workspace, m: number, H: number, d: Float64Array, W: Float64Array, wAt: number): void {
  const { xValue, xRow, nzStart } = ws;
  const H10 = H - (H % 10);
  // Block of hidden units outermost (its slice of the weight rows stays in L1), then the
  // examples in order, so each weight receives its additions in example order.
  for (let j = 0; j < H10; j += 10) {
    const at = wAt + j;
    for (let x = 0; x < m; x++) {
      const o = x * H + j;
      const d0 = d[o], d1 = d[o + 1], d2 = d[o + 2], d3 = d[o + 3], d4 = d[o + 4];
      const d5 = d[o + 5], d6 = d[o + 6], d7 = d[o + 7], d8 = d[o + 8], d9 = d[o + 9];
      for (let q = nzStart[x], q1 = nzStart[x + 1]; q < q1; q++) {
        const v = xValue[q];
        const r = at + xRow[q];
        W[r] += v * d0;
        W[r + 1] += v * d1;
        W[r + 2] += v * d2;
        W[r + 3] += v * d3;
        W[r + 4] += v * d4;
        W[r + 5] += v * d5;
        W[r + 6] += v * d6;
        W[r + 7] += v * d7;
        W[r + 8] += v * d8;
        W[r + 9] += v * d9;
      }
    }
  }
  for (let j = H10; j < H; j++) {
    const at = wAt + j;
    for (let x = 0; x < m; x++) {
      const dj = d[x * H + j];
      for (let q = nzStart[x], q1 = nzStart[x + 1]; q < q1; q++) W[at + xRow[q]] += xValue[q] * dj;
    }
  }
}

/** BP3 + BP4 into `target` (laid out as Network.params), deltas already scaled by −η/m. */
function addGradientStep(net: Network, ws: Workspace, m: number, target: Float64Array): void {
  const { sizes } = net;
  const L = sizes.length - 1;
  let at = 0;
  for (let l = 1; l <= L; l++) {
    const nIn = sizes[l - 1];
    const nOut = sizes[l];
    const wAt = at;
    const bAt = at + nIn * nOut;
    at = bAt + nOut;
    const d = ws.delta[l];
    // BP3: b^l += Σ_x (−η/m) δ^l_x
    for (let x = 0; x < m; x++) for (let j = 0; j < nOut; j++) target[bAt + j] += d[x * nOut + j];
    if (l === 1) {
      addFirstLayerStep(ws, m, nOut, d, target, wAt);
    } else {
      // BP4: row k of W^l += a^(l−1)_k · (−η/m) δ^l, blocks of 5 δ in local variables
      const aPrev = ws.a[l - 1];
      const n5 = nOut - (nOut % 5);
      for (let x = 0; x < m; x++) {
        const ao = x * nIn;
        const o = x * nOut;
        for (let j = 0; j < n5; j += 5) {
          const d0 = d[o + j], d1 = d[o + j + 1], d2 = d[o + j + 2], d3 = d[o + j + 3], d4 = d[o + j + 4];
          for (let k = 0; k < nIn; k++) {
            const v = aPrev[ao + k];
            const r = wAt + k * nOut + j;
            target[r] += v * d0;
            target[r + 1] += v * d1;
            target[r + 2] += v * d2;
            target[r + 3] += v * d3;
            target[r + 4] += v * d4;
          }
        }
        for (let j = n5; j < nOut; j++) {
          const dj = d[o + j];
          for (let k = 0; k < nIn; k++) target[wAt + k * nOut + j] += aPrev[ao + k] * dj;
        }
      }
    }
  }
}

export interface EvalResult {
  correct: number;
  count: number;
  /** Average cost per example (without any L2 term). */
  cost: number;
}

/**
 * Runs the network over `set` in chunks of ws.m examples. Optionally records each image's
 * predicted class and its output activations (count · n_L numbers).
 */
export function evaluateSet(
  net: Network,
  ws: Workspace,
  set: DigitSet,
  record?: { predicted?: Uint8Array; outputs?: Float64Array },
): EvalResult {
  const L = net.sizes.length - 1;
  const nL = net.sizes[L];
  let correct = 0;
  let cost = 0;
  for (let start = 0; start < set.count; start += ws.m) {
    const m = Math.min(ws.m, set.count - start);
    gatherSparse(set, null, start, m, ws, net.sizes[1]);
    forwardSparse(net, ws, m);
    const a = ws.a[L];
    for (let x = 0; x < m; x++) {
      const guess = argmax(a, x * nL, nL);
      if (guess === ws.y[x]) correct++;
      cost += exampleCost(net.cost, net.output, ws.z[L], a, x * nL, nL, ws.y[x]);
      if (record?.predicted) record.predicted[start + x] = guess;
      if (record?.outputs) for (let j = 0; j < nL; j++) record.outputs[(start + x) * nL + j] = a[x * nL + j];
    }
  }
  return { correct, count: set.count, cost: cost / set.count };
}
