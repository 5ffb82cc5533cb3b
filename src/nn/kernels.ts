/**
 * The fast loops: the same mathematics as backprop.ts, arranged for speed.
 *
 *  1. The first layer reads only the non-zero pixels of each image (most MNIST pixels are 0):
 *     z^1 = W^1 x + b^1 = b^1 + Σ_{i : x_i ≠ 0} x_i · (row i of the input-major W^1).
 *     Each z_j is summed in the same order as the dense loop, so the result is bit for bit the
 *     same; blocks of 6 hidden units are kept in local variables across the pixel loop.
 *  2. After all deltas of the batch are computed with the old weights (BP1, BP2), each δ is
 *     scaled by −η/m and the gradient is added straight into the parameters (BP3 and BP4 fused
 *     into the SGD step): W^l += Σ_x a^(l−1)_x (−η/m · δ^l_x)ᵀ, only over non-zero a.
 *  3. L2 (network2.py's weight decay) and momentum, when asked for, add dense passes over the
 *     parameters; without them no dense pass over W^1 happens at all.
 *
 * The gradient summed per parameter is the same as in backprop.ts; the order of the additions
 * differs, so a training trajectory agrees with the readable path to within rounding (the tests
 * measure how close).
 *
 * The matrix loops (the sparse first layer, the dense upper layers, BP2's Wᵀδ, the fused updates)
 * are written in asm.js (EngineAsm below), the typed subset of JavaScript that V8 compiles ahead
 * of time to machine code without the map and overflow checks it puts around every typed-array
 * access in ordinary code: here the first layer's forward loop ran about twice as fast that way,
 * its update about 1.3× and a whole epoch 1.4×. It is still JavaScript: an engine that does not
 * compile asm.js runs it as ordinary code, with the same results, only slower. Activations, costs and δ^L stay in functions.ts, shared with backprop.ts.
 */
import type { DigitSet } from '../data/dataset.js';
import { PIXEL } from '../data/dataset.js';
import { activate, activateOutput, argmax, exampleCost, mulDerivative, outputDelta } from './functions.js';
import type { Network } from './network.js';
import { moveNetworkInto, type Workspace } from './workspace.js';

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

/**
 * z^1 = W^1 x + b^1 over the gathered non-zero pixels, then a^1 = f(z^1), with the parameters at
 * `params` (the network's own, or ws.params holding a copy: see `parametersIn`).
 */
function forwardFirstLayer(net: Network, ws: Workspace, m: number, params: Float64Array): void {
  const H = net.sizes[1];
  ws.kernels.forward(address(net.W[0], net, params), address(net.b[0], net, params), ws.z[1].byteOffset, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, m, H);
  if (net.sizes.length === 2) finishLayer(net, ws, 1, m); // no hidden layer: this is the output
  else activate(net.activation, ws.z[1], ws.a[1], 0, m * H);
}

/**
 * Where the kernels find the parameters in ws.heap: the network's own when they live there (a
 * Trainer moves them there once), otherwise a copy made now into ws.params.
 */
function parametersIn(net: Network, ws: Workspace): Float64Array {
  if (net.params.buffer === ws.heap) return net.params;
  ws.params.set(net.params);
  return ws.params;
}

/** Byte address in the heap of a view into net.params (W[l] or b[l]), for parameters at `params`. */
function address(view: Float64Array, net: Network, params: Float64Array): number {
  return params.byteOffset + (view.byteOffset - net.params.byteOffset);
}

/** a^l = f(z^l) for the m examples (the output layer's f for l = L). */
function finishLayer(net: Network, ws: Workspace, l: number, m: number): void {
  const n = net.sizes[l];
  const L = net.sizes.length - 1;
  if (l < L) activate(net.activation, ws.z[l], ws.a[l], 0, m * n);
  else for (let x = 0; x < m; x++) activateOutput(net.output, ws.z[l], ws.a[l], x * n, n);
}

/** z^l = W^l a^(l−1) + b^l, a^l = f(z^l), for layers 2..L, with the parameters at `params` (as forwardFirstLayer). */
function forwardUpperLayers(net: Network, ws: Workspace, m: number, params: Float64Array): void {
  const { sizes } = net;
  for (let l = 2; l < sizes.length; l++) {
    ws.kernels.dense(address(net.W[l - 1], net, params), address(net.b[l - 1], net, params), ws.a[l - 1].byteOffset, ws.z[l].byteOffset, m, sizes[l - 1], sizes[l]);
    finishLayer(net, ws, l, m);
  }
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
  moveNetworkInto(net, ws); // the step updates the parameters in place, in ws.heap
  gatherSparse(set, order, start, m, ws, net.sizes[1]);
  forwardFirstLayer(net, ws, m, net.params);
  const cost = backwardPass(net, ws, m, opt.eta);
  for (let l = net.sizes.length - 2; l >= 0; l--) stepLayer(net, ws, m, opt, l);
  return cost;
}

/**
 * After the first layer's forward pass: the upper layers' forward pass, BP1 and BP2 for the
 * whole network (with the weights from before the step), and every δ scaled by −η/m, ready
 * for `stepLayer`. Returns the sum of the m examples' costs.
 */
export function backwardPass(net: Network, ws: Workspace, m: number, eta: number): number {
  const { sizes } = net;
  const L = sizes.length - 1;
  forwardUpperLayers(net, ws, m, net.params);

  // BP1: δ^L = ∂C/∂a ⊙ σ'(z^L), and the cost of each example
  const nL = sizes[L];
  let cost = 0;
  for (let x = 0; x < m; x++) {
    cost += exampleCost(net.cost, net.output, ws.z[L], ws.a[L], x * nL, nL, ws.y[x]);
    outputDelta(net.cost, net.output, ws.a[L], ws.delta[L], x * nL, nL, ws.y[x]);
  }
  // BP2: δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ f'(z^l)
  for (let l = L - 1; l >= 1; l--) {
    const n = sizes[l];
    const nUp = sizes[l + 1];
    const W = net.W[l];
    const up = ws.delta[l + 1];
    const d = ws.delta[l];
    ws.kernels.transposed(W.byteOffset, up.byteOffset, d.byteOffset, m, n, nUp);
    mulDerivative(net.activation, ws.z[l], ws.a[l], d, m * n);
  }
  // Every δ scaled by −η/m: the step below adds the gradient straight into the parameters.
  const scale = -eta / m;
  for (let l = 1; l <= L; l++) {
    const d = ws.delta[l];
    for (let i = 0, n = m * sizes[l]; i < n; i++) d[i] *= scale;
  }
  return cost;
}

/**
 * The step for weight layer l (layer l → l+1):
 *   plain SGD:  w ← (1 − ηλ/n) w + Σ_x a_k (−η/m δ_j),  b ← b + Σ_x (−η/m δ_j)      (BP3, BP4)
 *   momentum:   v ← μ v − (ηλ/n) w + Σ_x …,  p ← p + v
 * Deltas must already be scaled (backwardPass); for l = 0 the parameters (and velocity) must
 * be in ws.heap (trainMiniBatch sees to it).
 */
export function stepLayer(net: Network, ws: Workspace, m: number, opt: StepOptions, l: number): void {
  const nIn = net.sizes[l];
  const nOut = net.sizes[l + 1];
  const W = net.W[l];
  const b = net.b[l];
  const momentum = opt.momentum !== 0;
  const tW = momentum ? ws.velocityW[l] : W;
  const tB = momentum ? ws.velocityB[l] : b;
  const decay = (-opt.eta * opt.lambda) / opt.n;
  const k = ws.kernels;
  if (momentum) {
    k.scale(tW.byteOffset, tW.length, opt.momentum);
    k.scale(tB.byteOffset, nOut, opt.momentum);
  }
  if (decay !== 0) k.addScaled(W.byteOffset, tW.byteOffset, W.length, decay);
  const d = ws.delta[l + 1];
  // BP3: b += Σ_x (−η/m) δ_x
  for (let x = 0; x < m; x++) for (let j = 0; j < nOut; j++) tB[j] += d[x * nOut + j];
  // BP4: W += Σ_x a_x (−η/m δ_x)ᵀ, over the non-zero pixels for the first layer
  if (l === 0) k.update(tW.byteOffset, d.byteOffset, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, m, nOut);
  else k.addDense(tW.byteOffset, ws.a[l].byteOffset, d.byteOffset, m, nIn, nOut);
  if (momentum) {
    k.addScaled(tW.byteOffset, W.byteOffset, W.length, 1);
    k.addScaled(tB.byteOffset, b.byteOffset, nOut, 1);
  }
}

/** The asm.js loops, linked to one workspace's heap (see EngineAsm). */
export interface AsmKernels {
  forward(pW: number, pB: number, pZ: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  update(pW: number, pD: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  dense(pW: number, pB: number, pA: number, pZ: number, m: number, nIn: number, nOut: number): void;
  transposed(pW: number, pUp: number, pD: number, m: number, n: number, nUp: number): void;
  addDense(pW: number, pA: number, pD: number, m: number, nIn: number, nOut: number): void;
  scale(pX: number, n: number, c: number): void;
  addScaled(pX: number, pY: number, n: number, c: number): void;
}

/** The kernels over `heap` (an ArrayBuffer of an asm.js size: see workspace.ts). */
export function kernelsOn(heap: ArrayBuffer): AsmKernels {
  return EngineAsm(globalThis, null, heap);
}

/* eslint-disable */
/**
 * The matrix loops in asm.js. Its annotations are types: `x | 0` an int, `+x` a double. Memory
 * is one ArrayBuffer seen as F (doubles) and I (ints); every p… argument is a byte address in
 * it, and F[p >> 3] is the double at byte p. The batch's pixels are gathered by gatherSparse:
 * example x owns entries nzStart[x] … nzStart[x+1]) of xValue (at pV) and xRow (at pR).
 * (V8 still compares every address with the memory's size, since an asm.js read out of range
 * gives undefined rather than a fault: with no vector instructions either, that is most of what
 * separates these loops from the C reference's.)
 */
function EngineAsm(stdlib: typeof globalThis, foreign: unknown, heap: ArrayBuffer): AsmKernels {
  'use asm';
  var F = new stdlib.Float64Array(heap);
  var I = new stdlib.Int32Array(heap);
  var imul = stdlib.Math.imul;

  /**
   * z^1 = W^1 x + b^1 for the m examples (W^1 at pW, b^1 at pB, z^1 to pZ; H hidden units):
   * one example at a time, blocks of 6 hidden units (then 3, then 1) summed in local variables
   * across the example's pixel list: z_j = b_j + Σ_q xValue[q] · W[xRow[q] + j], the terms in
   * pixel order, as the dense sum over all 784 pixels (whose extra terms are all 0 · w).
   */
  function forward(pW: number, pB: number, pZ: number, pV: number, pR: number, pS: number, m: number, H: number): void {
    pW = pW | 0; pB = pB | 0; pZ = pZ | 0; pV = pV | 0; pR = pR | 0; pS = pS | 0; m = m | 0; H = H | 0;
    var x = 0, q = 0, q0 = 0, q1 = 0, j = 0, o = 0, r = 0;
    var v = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      q0 = I[(pS + (x << 2)) >> 2] | 0;
      q1 = I[(pS + (x << 2) + 4) >> 2] | 0;
      o = imul(x, H) | 0;
      j = 0;
      for (; ((j + 6) | 0) <= (H | 0); j = (j + 6) | 0) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3]; s1 = +F[(r + 8) >> 3]; s2 = +F[(r + 16) >> 3]; s3 = +F[(r + 24) >> 3]; s4 = +F[(r + 32) >> 3]; s5 = +F[(r + 40) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          s0 = s0 + +F[r >> 3] * v;
          s1 = s1 + +F[(r + 8) >> 3] * v;
          s2 = s2 + +F[(r + 16) >> 3] * v;
          s3 = s3 + +F[(r + 24) >> 3] * v;
          s4 = s4 + +F[(r + 32) >> 3] * v;
          s5 = s5 + +F[(r + 40) >> 3] * v;
        }
        r = (pZ + ((o + j) << 3)) | 0;
        F[r >> 3] = s0; F[(r + 8) >> 3] = s1; F[(r + 16) >> 3] = s2; F[(r + 24) >> 3] = s3; F[(r + 32) >> 3] = s4; F[(r + 40) >> 3] = s5;
      }
      if (((j + 3) | 0) <= (H | 0)) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3]; s1 = +F[(r + 8) >> 3]; s2 = +F[(r + 16) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          s0 = s0 + +F[r >> 3] * v;
          s1 = s1 + +F[(r + 8) >> 3] * v;
          s2 = s2 + +F[(r + 16) >> 3] * v;
        }
        r = (pZ + ((o + j) << 3)) | 0;
        F[r >> 3] = s0; F[(r + 8) >> 3] = s1; F[(r + 16) >> 3] = s2;
        j = (j + 3) | 0;
      }
      for (; (j | 0) < (H | 0); j = (j + 1) | 0) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          s0 = s0 + +F[r >> 3] * v;
        }
        r = (pZ + ((o + j) << 3)) | 0;
        F[r >> 3] = s0;
      }
    }
  }

  /**
   * BP4 fused into the SGD step on the first layer: row xRow[q] of W (at pW) += xValue[q] · δ_x,
   * δ (at pD) already scaled by −η/m, for each example x in turn (so every weight receives its
   * additions in example order) and each of its non-zero pixels; blocks of 15 hidden units
   * (then 5, then 1) keep their δ in local variables across the pixel list.
   */
  function update(pW: number, pD: number, pV: number, pR: number, pS: number, m: number, H: number): void {
    pW = pW | 0; pD = pD | 0; pV = pV | 0; pR = pR | 0; pS = pS | 0; m = m | 0; H = H | 0;
    var x = 0, q = 0, q0 = 0, q1 = 0, j = 0, o = 0, r = 0;
    var v = 0.0, d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0, d4 = 0.0, d5 = 0.0, d6 = 0.0, d7 = 0.0;
    var d8 = 0.0, d9 = 0.0, d10 = 0.0, d11 = 0.0, d12 = 0.0, d13 = 0.0, d14 = 0.0;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      q0 = I[(pS + (x << 2)) >> 2] | 0;
      q1 = I[(pS + (x << 2) + 4) >> 2] | 0;
      o = imul(x, H) | 0;
      j = 0;
      for (; ((j + 15) | 0) <= (H | 0); j = (j + 15) | 0) {
        r = (pD + ((o + j) << 3)) | 0;
        d0 = +F[r >> 3]; d1 = +F[(r + 8) >> 3]; d2 = +F[(r + 16) >> 3]; d3 = +F[(r + 24) >> 3]; d4 = +F[(r + 32) >> 3];
        d5 = +F[(r + 40) >> 3]; d6 = +F[(r + 48) >> 3]; d7 = +F[(r + 56) >> 3]; d8 = +F[(r + 64) >> 3]; d9 = +F[(r + 72) >> 3];
        d10 = +F[(r + 80) >> 3]; d11 = +F[(r + 88) >> 3]; d12 = +F[(r + 96) >> 3]; d13 = +F[(r + 104) >> 3]; d14 = +F[(r + 112) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          F[r >> 3] = +F[r >> 3] + v * d0;
          F[(r + 8) >> 3] = +F[(r + 8) >> 3] + v * d1;
          F[(r + 16) >> 3] = +F[(r + 16) >> 3] + v * d2;
          F[(r + 24) >> 3] = +F[(r + 24) >> 3] + v * d3;
          F[(r + 32) >> 3] = +F[(r + 32) >> 3] + v * d4;
          F[(r + 40) >> 3] = +F[(r + 40) >> 3] + v * d5;
          F[(r + 48) >> 3] = +F[(r + 48) >> 3] + v * d6;
          F[(r + 56) >> 3] = +F[(r + 56) >> 3] + v * d7;
          F[(r + 64) >> 3] = +F[(r + 64) >> 3] + v * d8;
          F[(r + 72) >> 3] = +F[(r + 72) >> 3] + v * d9;
          F[(r + 80) >> 3] = +F[(r + 80) >> 3] + v * d10;
          F[(r + 88) >> 3] = +F[(r + 88) >> 3] + v * d11;
          F[(r + 96) >> 3] = +F[(r + 96) >> 3] + v * d12;
          F[(r + 104) >> 3] = +F[(r + 104) >> 3] + v * d13;
          F[(r + 112) >> 3] = +F[(r + 112) >> 3] + v * d14;
        }
      }
      for (; ((j + 5) | 0) <= (H | 0); j = (j + 5) | 0) {
        r = (pD + ((o + j) << 3)) | 0;
        d0 = +F[r >> 3]; d1 = +F[(r + 8) >> 3]; d2 = +F[(r + 16) >> 3]; d3 = +F[(r + 24) >> 3]; d4 = +F[(r + 32) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          F[r >> 3] = +F[r >> 3] + v * d0;
          F[(r + 8) >> 3] = +F[(r + 8) >> 3] + v * d1;
          F[(r + 16) >> 3] = +F[(r + 16) >> 3] + v * d2;
          F[(r + 24) >> 3] = +F[(r + 24) >> 3] + v * d3;
          F[(r + 32) >> 3] = +F[(r + 32) >> 3] + v * d4;
        }
      }
      for (; (j | 0) < (H | 0); j = (j + 1) | 0) {
        r = (pD + ((o + j) << 3)) | 0;
        d0 = +F[r >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          F[r >> 3] = +F[r >> 3] + v * d0;
        }
      }
    }
  }

  /**
   * z = W a + b for a dense layer (W input-major: row k holds the weights from input k) over m
   * examples, W at pW, b at pB, a (m × nIn) at pA, z (m × nOut) to pZ. Blocks of 5 outputs
   * summed in local variables across the inputs, each z_j = b_j + Σ_k in input order.
   */
  function dense(pW: number, pB: number, pA: number, pZ: number, m: number, nIn: number, nOut: number): void {
    pW = pW | 0; pB = pB | 0; pA = pA | 0; pZ = pZ | 0; m = m | 0; nIn = nIn | 0; nOut = nOut | 0;
    var x = 0, j = 0, k = 0, a = 0, z = 0, r = 0, w = 0, stride = 0;
    var v = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
    stride = nOut << 3;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      a = (pA + (imul(x, nIn) << 3)) | 0;
      z = (pZ + (imul(x, nOut) << 3)) | 0;
      for (j = 0; ((j + 5) | 0) <= (nOut | 0); j = (j + 5) | 0) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3]; s1 = +F[(r + 8) >> 3]; s2 = +F[(r + 16) >> 3]; s3 = +F[(r + 24) >> 3]; s4 = +F[(r + 32) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          v = +F[(a + (k << 3)) >> 3];
          s0 = s0 + +F[w >> 3] * v;
          s1 = s1 + +F[(w + 8) >> 3] * v;
          s2 = s2 + +F[(w + 16) >> 3] * v;
          s3 = s3 + +F[(w + 24) >> 3] * v;
          s4 = s4 + +F[(w + 32) >> 3] * v;
          w = (w + stride) | 0;
        }
        r = (z + (j << 3)) | 0;
        F[r >> 3] = s0; F[(r + 8) >> 3] = s1; F[(r + 16) >> 3] = s2; F[(r + 24) >> 3] = s3; F[(r + 32) >> 3] = s4;
      }
      for (; (j | 0) < (nOut | 0); j = (j + 1) | 0) {
        s0 = +F[(pB + (j << 3)) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          s0 = s0 + +F[w >> 3] * +F[(a + (k << 3)) >> 3];
          w = (w + stride) | 0;
        }
        F[(z + (j << 3)) >> 3] = s0;
      }
    }
  }

  /**
   * The matrix part of BP2, d = Wᵀ δ_up for m examples: d_k = Σ_j W[k·nUp + j] · up_j (j in
   * order), W at pW, δ_up (m × nUp) at pUp, d (m × n) to pD. Four rows of W at a time: four
   * independent sums instead of one chain of additions.
   */
  function transposed(pW: number, pUp: number, pD: number, m: number, n: number, nUp: number): void {
    pW = pW | 0; pUp = pUp | 0; pD = pD | 0; m = m | 0; n = n | 0; nUp = nUp | 0;
    var x = 0, j = 0, k = 0, up = 0, d = 0, w = 0, row = 0;
    var u = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    row = nUp << 3;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      up = (pUp + (imul(x, nUp) << 3)) | 0;
      d = (pD + (imul(x, n) << 3)) | 0;
      for (k = 0; ((k + 4) | 0) <= (n | 0); k = (k + 4) | 0) {
        w = (pW + imul(k, row)) | 0;
        s0 = 0.0; s1 = 0.0; s2 = 0.0; s3 = 0.0;
        for (j = 0; (j | 0) < (nUp | 0); j = (j + 1) | 0) {
          u = +F[(up + (j << 3)) >> 3];
          s0 = s0 + +F[(w + (j << 3)) >> 3] * u;
          s1 = s1 + +F[(w + row + (j << 3)) >> 3] * u;
          s2 = s2 + +F[(w + (row << 1) + (j << 3)) >> 3] * u;
          s3 = s3 + +F[(w + imul(row, 3) + (j << 3)) >> 3] * u;
        }
        F[(d + (k << 3)) >> 3] = s0; F[(d + (k << 3) + 8) >> 3] = s1; F[(d + (k << 3) + 16) >> 3] = s2; F[(d + (k << 3) + 24) >> 3] = s3;
      }
      for (; (k | 0) < (n | 0); k = (k + 1) | 0) {
        w = (pW + imul(k, row)) | 0;
        s0 = 0.0;
        for (j = 0; (j | 0) < (nUp | 0); j = (j + 1) | 0) s0 = s0 + +F[(w + (j << 3)) >> 3] * +F[(up + (j << 3)) >> 3];
        F[(d + (k << 3)) >> 3] = s0;
      }
    }
  }

  /**
   * BP4 fused into the step on a dense layer: row k of W (at pW) += a_k · δ for each example in
   * turn, δ (m × nOut, at pD) already scaled by −η/m, a (m × nIn) at pA; blocks of 5 δ in local
   * variables across the inputs.
   */
  function addDense(pW: number, pA: number, pD: number, m: number, nIn: number, nOut: number): void {
    pW = pW | 0; pA = pA | 0; pD = pD | 0; m = m | 0; nIn = nIn | 0; nOut = nOut | 0;
    var x = 0, j = 0, k = 0, a = 0, o = 0, w = 0, stride = 0;
    var v = 0.0, d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0, d4 = 0.0;
    stride = nOut << 3;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      a = (pA + (imul(x, nIn) << 3)) | 0;
      o = (pD + (imul(x, nOut) << 3)) | 0;
      for (j = 0; ((j + 5) | 0) <= (nOut | 0); j = (j + 5) | 0) {
        w = (o + (j << 3)) | 0;
        d0 = +F[w >> 3]; d1 = +F[(w + 8) >> 3]; d2 = +F[(w + 16) >> 3]; d3 = +F[(w + 24) >> 3]; d4 = +F[(w + 32) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          v = +F[(a + (k << 3)) >> 3];
          F[w >> 3] = +F[w >> 3] + v * d0;
          F[(w + 8) >> 3] = +F[(w + 8) >> 3] + v * d1;
          F[(w + 16) >> 3] = +F[(w + 16) >> 3] + v * d2;
          F[(w + 24) >> 3] = +F[(w + 24) >> 3] + v * d3;
          F[(w + 32) >> 3] = +F[(w + 32) >> 3] + v * d4;
          w = (w + stride) | 0;
        }
      }
      for (; (j | 0) < (nOut | 0); j = (j + 1) | 0) {
        d0 = +F[(o + (j << 3)) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          F[w >> 3] = +F[w >> 3] + +F[(a + (k << 3)) >> 3] * d0;
          w = (w + stride) | 0;
        }
      }
    }
  }

  /** x ← c·x for the n doubles at pX (momentum's v ← μv). */
  function scale(pX: number, n: number, c: number): void {
    pX = pX | 0; n = n | 0; c = +c;
    var end = 0;
    end = (pX + (n << 3)) | 0;
    for (; (pX | 0) < (end | 0); pX = (pX + 8) | 0) F[pX >> 3] = c * +F[pX >> 3];
  }

  /** y ← y + c·x for the n doubles at pX and pY (L2's decay term; momentum's p ← p + v with c = 1). */
  function addScaled(pX: number, pY: number, n: number, c: number): void {
    pX = pX | 0; pY = pY | 0; n = n | 0; c = +c;
    var end = 0;
    end = (pX + (n << 3)) | 0;
    for (; (pX | 0) < (end | 0); pX = (pX + 8) | 0, pY = (pY + 8) | 0) F[pY >> 3] = +F[pY >> 3] + c * +F[pX >> 3];
  }

  return { forward: forward, update: update, dense: dense, transposed: transposed, addDense: addDense, scale: scale, addScaled: addScaled };
}
/* eslint-enable */

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
  const params = parametersIn(net, ws); // copied once, when the network lives elsewhere
  for (let start = 0; start < set.count; start += ws.m) {
    const m = Math.min(ws.m, set.count - start);
    gatherSparse(set, null, start, m, ws, net.sizes[1]);
    forwardFirstLayer(net, ws, m, params);
    forwardUpperLayers(net, ws, m, params);
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
