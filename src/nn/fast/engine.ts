/**
 * The fast backend: training and evaluation on the same mathematics as the readable
 * network.ts, arranged for speed; the loops themselves are in assembly/kernels.ts (WebAssembly
 * SIMD) and plain.ts (the same in TypeScript; see wasm.ts), each the twin of the
 * readable operation of the same name (layers/dense.ts).
 *
 *  1. The first layer reads only the non-zero pixels of each image (most MNIST pixels are 0):
 *     z^1 = W^1 x + b^1 = b^1 + Σ_{i : x_i ≠ 0} x_i · (row i of the input-major W^1)
 *     (denseForwardSparse). Each z_j is summed in the same order as denseForward, so the result
 *     is bit for bit the same.
 *  2. After all deltas of the batch are computed with the old weights (BP1, BP2), each δ is
 *     scaled by −η/m and the gradient is added straight into the parameters (BP3 and BP4 fused
 *     into the SGD step, denseUpdate / denseUpdateSparse): W^l += Σ_x a^(l−1)_x (−η/m · δ^l_x)ᵀ,
 *     only over non-zero a.
 *  3. L2 (network2.py's weight decay) and momentum, when asked for, add dense passes over the
 *     parameters (scale, addScaled); without them no dense pass over W^1 happens at all.
 *
 *  4. A mini-batch crosses into the kernels a few times only: the set's pixel lists are copied
 *     once into the kernels' memory (residentSet), where the kernels gather the batch; the
 *     sigmoid (with a port of V8's own Math.exp, bit for bit), the quadratic cost and δ^L of a
 *     sigmoid output, σ', the −η/m scaling and BP3's bias sums are kernels too (assembly/steps.ts).
 *     The other activations and costs run in functions.ts, as before.
 *
 *  5. With a second thread (startSecondThread), a wide first layer (≥ WIDE units) is shared:
 *     the worker computes z^1 for the first half of the batch's examples and updates the rows of
 *     W^1 of the first half of the pixels, this thread the rest, and the element-wise passes over
 *     layer 1 and W^1 (σ, σ', momentum and L2) are halved. (Halving the units of every row
 *     instead, for z^1 and W^1 alike, made both threads slower than one: they wrote the same rows
 *     at the same time.) Every number is computed whole by one thread, by the same operations:
 *     the results are the same bit for bit.
 *
 * The gradient summed per parameter is the same as network.ts's backprop; the order of the
 * additions differs, so a training trajectory agrees with the readable path to within rounding
 * (the tests measure how close). Activations and costs are functions.ts's, shared with network.ts
 * (the kernels' twins do the same operations in the same order).
 */
import type { DigitSet } from '../../data/dataset.js';
import { PIXEL } from '../../data/dataset.js';
import { activate, activateOutput, argmax, costFunction, mulDerivative, type Activation } from '../functions.js';
import { adoptParameters, type Network } from '../network.js';
import type { HeapSet, Workspace } from '../workspace.js';
import { KernelThread, THREAD_OPS } from './threads.js';

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
 * The set's pixel lists and labels in ws's heap, copied there the first time the set is used
 * with ws (3 bytes per non-zero pixel: 22 MB for MNIST's 50,000 training images), so that the
 * kernels gather a mini-batch themselves. Growing the heap remakes ws's views; a network living
 * there (`net`) is given its new views too. A set of at most ws.m images (one batch: a predict,
 * an explain) is not copied (null): gatherSparse reads it where it is, so a workspace serving
 * many small sets does not grow with each. The sets are taken as they are when first seen (a
 * DigitSet is not changed once made).
 */
export function residentSet(ws: Workspace, set: DigitSet, net?: Network): HeapSet | null {
  if (set.count <= ws.m) return null;
  const known = ws.resident.get(set);
  if (known) return known;
  const { count, nzStart, nzIndex, nzValue, labels } = set;
  const p0 = nzStart[0];
  const nnz = nzStart[count] - p0;
  const align = (n: number) => Math.ceil(n / 64) * 64;
  const sizes = [(count + 1) * 4, nnz * 2, nnz, count].map(align);
  const here = net !== undefined && net.params.buffer === ws.heap;
  const at = ws.extend(sizes[0] + sizes[1] + sizes[2] + sizes[3]);
  if (here) adoptParameters(net, ws.params);
  const r: HeapSet = { start: at, index: at + sizes[0], value: at + sizes[0] + sizes[1], labels: at + sizes[0] + sizes[1] + sizes[2], bytes: sizes[0] + sizes[1] + sizes[2] + sizes[3] };
  const start = new Int32Array(ws.heap, r.start, count + 1);
  for (let e = 0; e <= count; e++) start[e] = nzStart[e] - p0;
  new Uint16Array(ws.heap, r.index, nnz).set(nzIndex.subarray(p0, p0 + nnz));
  new Uint8Array(ws.heap, r.value, nnz).set(nzValue.subarray(p0, p0 + nnz));
  new Uint8Array(ws.heap, r.labels, count).set(labels.subarray(0, count));
  ws.resident.set(set, r);
  return r;
}

/**
 * Copies the non-zero pixels of m images into ws (scaled to [0, 1]) and their labels into ws.y.
 * Image x of the batch is set image order[start + x], or start + x when order is null. (The
 * kernel does the copying, from the set's lists in ws's heap: see residentSet, which must have
 * been called for a network living in ws; a small set is copied from where it is.)
 */
export function gatherSparse(set: DigitSet, order: Int32Array | null, start: number, m: number, ws: Workspace, n1: number): void {
  const r = residentSet(ws, set);
  if (r === null) {
    const { labels, nzStart, nzIndex, nzValue } = set;
    const { xValue, xRow } = ws;
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
    return;
  }
  const examples = ws.examples;
  for (let x = 0; x < m; x++) examples[x] = order === null ? start + x : order[start + x];
  ws.kernels.gatherSparse(r.start, r.index, r.value, r.labels, ws.pixel.byteOffset, examples.byteOffset, m, n1, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, ws.y.byteOffset);
}

/** a = f(z) for the n numbers of z and a (the sigmoid in the kernels, the others in functions.ts). */
function activateAll(ws: Workspace, f: Activation, z: Float64Array, a: Float64Array, n: number): void {
  if (f !== 'sigmoid') return activate(f, z, a, 0, n);
  const half = workerShare(ws, n, ELEMENTWISE);
  if (half) ws.threads.thread!.start(THREAD_OPS.sigmoid, z.byteOffset, a.byteOffset, half);
  ws.kernels.sigmoid(z.byteOffset + half * 8, a.byteOffset + half * 8, n - half);
  if (half) ws.threads.thread!.finish();
}

/** x ← c·x over n numbers at byte pX, halved with the second thread when it is in use and n is large. */
function scaleAll(ws: Workspace, pX: number, n: number, c: number): void {
  const half = workerShare(ws, n, ELEMENTWISE);
  if (half) ws.threads.thread!.start(THREAD_OPS.scale, pX, half, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, c);
  ws.kernels.scale(pX + half * 8, n - half, c);
  if (half) ws.threads.thread!.finish();
}

/** y ← y + c·x over n numbers (x at byte pX, y at pY), halved as scaleAll. */
function addScaledAll(ws: Workspace, pX: number, pY: number, n: number, c: number): void {
  const half = workerShare(ws, n, ELEMENTWISE);
  if (half) ws.threads.thread!.start(THREAD_OPS.addScaled, pX, pY, half, 0, 0, 0, 0, 0, 0, 0, 0, 0, c);
  ws.kernels.addScaled(pX + half * 8, pY + half * 8, n - half, c);
  if (half) ws.threads.thread!.finish();
}

/** Past every row start (denseUpdateSparseRows's hi for "up to the last row"). */
const ALL_ROWS = 2 ** 31 - 1;

/** Element-wise passes shorter than this stay on one thread (the hand-off would cost more than it saves). */
const ELEMENTWISE = 4096;

/**
 * How many of n items (examples, rows, numbers) the second thread takes now: the first n/2
 * (rounded down) when it is there and in use and n ≥ least, else 0 (this thread does all).
 */
function workerShare(ws: Workspace, n: number, least: number): number {
  return ws.threads.split && ws.threads.thread !== null && n >= least ? n >> 1 : 0;
}

/**
 * Starts a second thread on ws's memory (WebAssembly only; ws.threads.split then switches its
 * use, on from the start). Returns false, starting nothing, for the TypeScript loops.
 */
export function startSecondThread(ws: Workspace): boolean {
  const { module, memory } = ws.memory;
  if (module === null || memory === null) return false;
  ws.threads.thread ??= new KernelThread(module, memory, ws.control);
  ws.threads.split = true;
  return true;
}

/** Ends ws's second thread, if any (ws then runs on one). */
export function stopSecondThread(ws: Workspace): void {
  ws.threads.thread?.close();
  ws.threads.thread = null;
  ws.threads.split = false;
}

/** Whether a second thread has work to share in this network (a first layer of ≥ WIDE units). */
export function sharesWithSecondThread(net: Network): boolean {
  return net.sizes.length > 2 && net.sizes[1] >= WIDE;
}

/**
 * From this many hidden units on, the first layer runs row by row (denseForwardSparseRows,
 * denseUpdateSparseRows: the same sums, each row of W^1 read front to back) instead of in blocks
 * of units held in registers: W^1 no longer fits the 1 MiB L2 cache of the machine it was measured
 * on. Timed alone there, the row kernels took 0.77–0.79 of the blocks' time at 800 units, 0.88
 * (forward) and 1.12 (update) at 400, more at 100 and 200.
 */
export const WIDE = 512;

/**
 * z^1 = W^1 x + b^1 over the gathered non-zero pixels, then a^1 = f(z^1), with the parameters at
 * `params` (the network's own, or ws.params holding a copy: see `parametersIn`).
 */
function forwardFirstLayer(net: Network, ws: Workspace, m: number, params: Float64Array): void {
  const H = net.sizes[1];
  const pW = address(net.W[0], net, params);
  const pB = address(net.b[0], net, params);
  if (H < WIDE) ws.kernels.denseForwardSparse(pW, pB, ws.z[1].byteOffset, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, m, H);
  else {
    // with two threads, by examples: the worker's z^1 rows 0 … m/2, this thread's the rest
    const half = workerShare(ws, m, 2);
    const { z, xValue, xRow, nzStart } = ws;
    if (half) ws.threads.thread!.start(THREAD_OPS.denseForwardSparseRows, pW, pB, z[1].byteOffset, xValue.byteOffset, xRow.byteOffset, nzStart.byteOffset, half, H);
    ws.kernels.denseForwardSparseRows(pW, pB, z[1].byteOffset + half * H * 8, xValue.byteOffset, xRow.byteOffset, nzStart.byteOffset + half * 4, m - half, H);
    if (half) ws.threads.thread!.finish();
  }
  if (net.sizes.length === 2) finishLayer(net, ws, 1, m); // no hidden layer: this is the output
  else activateAll(ws, net.activation, ws.z[1], ws.a[1], m * H);
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
  if (l < L) activateAll(ws, net.activation, ws.z[l], ws.a[l], m * n);
  else if (net.output === 'sigmoid') ws.kernels.sigmoid(ws.z[l].byteOffset, ws.a[l].byteOffset, m * n);
  else for (let x = 0; x < m; x++) activateOutput(net.output, ws.z[l], ws.a[l], x * n, n);
}

/** z^l = W^l a^(l−1) + b^l, a^l = f(z^l), for layers 2..L, with the parameters at `params` (as forwardFirstLayer). */
function forwardUpperLayers(net: Network, ws: Workspace, m: number, params: Float64Array): void {
  const { sizes } = net;
  for (let l = 2; l < sizes.length; l++) {
    ws.kernels.denseForward(address(net.W[l - 1], net, params), address(net.b[l - 1], net, params), ws.a[l - 1].byteOffset, ws.z[l].byteOffset, m, sizes[l - 1], sizes[l]);
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
  residentSet(ws, set, net); // before the network's views are taken
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
  const C = costFunction(net.cost, net.output);
  let cost = 0;
  if (net.cost === 'quadratic' && net.output === 'sigmoid') {
    cost = ws.kernels.quadraticSigmoid(ws.a[L].byteOffset, ws.delta[L].byteOffset, ws.y.byteOffset, m, nL, 0);
  } else {
    for (let x = 0; x < m; x++) {
      cost += C.fn(ws.z[L], ws.a[L], x * nL, nL, ws.y[x]);
      C.delta(ws.a[L], ws.delta[L], x * nL, nL, ws.y[x]);
    }
  }
  // BP2: δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ f'(z^l)
  for (let l = L - 1; l >= 1; l--) {
    const n = sizes[l];
    const nUp = sizes[l + 1];
    const W = net.W[l];
    const up = ws.delta[l + 1];
    const d = ws.delta[l];
    ws.kernels.denseBackwardInput(W.byteOffset, up.byteOffset, d.byteOffset, m, n, nUp);
    if (net.activation !== 'sigmoid') mulDerivative(net.activation, ws.z[l], ws.a[l], d, m * n);
    else {
      const half = workerShare(ws, m * n, ELEMENTWISE);
      if (half) ws.threads.thread!.start(THREAD_OPS.sigmoidDerivative, ws.a[l].byteOffset, d.byteOffset, half);
      ws.kernels.sigmoidDerivative(ws.a[l].byteOffset + half * 8, d.byteOffset + half * 8, m * n - half);
      if (half) ws.threads.thread!.finish();
    }
  }
  // Every δ scaled by −η/m: the step below adds the gradient straight into the parameters.
  const scale = -eta / m;
  for (let l = 1; l <= L; l++) ws.kernels.scale(ws.delta[l].byteOffset, m * sizes[l], scale);
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
    scaleAll(ws, tW.byteOffset, tW.length, opt.momentum);
    k.scale(tB.byteOffset, nOut, opt.momentum);
  }
  if (decay !== 0) addScaledAll(ws, W.byteOffset, tW.byteOffset, W.length, decay);
  const d = ws.delta[l + 1];
  // BP3: b += Σ_x (−η/m) δ_x
  k.addRows(tB.byteOffset, d.byteOffset, m, nOut);
  // BP4: W += Σ_x a_x (−η/m δ_x)ᵀ, over the non-zero pixels for the first layer
  if (l === 0 && nOut < WIDE) k.denseUpdateSparse(tW.byteOffset, d.byteOffset, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, m, nOut);
  else if (l === 0) {
    // with two threads, by rows of W^1 (pixels): the worker's below the middle pixel, this thread's from there
    const cut = workerShare(ws, nIn, 2) * nOut;
    if (cut) ws.threads.thread!.start(THREAD_OPS.denseUpdateSparseRows, tW.byteOffset, d.byteOffset, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, m, nOut, 0, cut);
    k.denseUpdateSparseRows(tW.byteOffset, d.byteOffset, ws.xValue.byteOffset, ws.xRow.byteOffset, ws.nzStart.byteOffset, m, nOut, cut, ALL_ROWS);
    if (cut) ws.threads.thread!.finish();
  } else k.denseUpdate(tW.byteOffset, ws.a[l].byteOffset, d.byteOffset, m, nIn, nOut);
  if (momentum) {
    addScaledAll(ws, tW.byteOffset, W.byteOffset, W.length, 1);
    k.addScaled(tB.byteOffset, b.byteOffset, nOut, 1);
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
  const C = costFunction(net.cost, net.output);
  const inKernels = net.cost === 'quadratic' && net.output === 'sigmoid';
  residentSet(ws, set, net); // before the parameters' views are taken
  const params = parametersIn(net, ws); // copied once, when the network lives elsewhere
  for (let start = 0; start < set.count; start += ws.m) {
    const m = Math.min(ws.m, set.count - start);
    gatherSparse(set, null, start, m, ws, net.sizes[1]);
    forwardFirstLayer(net, ws, m, params);
    forwardUpperLayers(net, ws, m, params);
    const a = ws.a[L];
    if (inKernels) cost = ws.kernels.quadraticSigmoid(a.byteOffset, 0, ws.y.byteOffset, m, nL, cost);
    for (let x = 0; x < m; x++) {
      const guess = argmax(a, x * nL, nL);
      if (guess === ws.y[x]) correct++;
      if (!inKernels) cost += C.fn(ws.z[L], a, x * nL, nL, ws.y[x]);
      if (record?.predicted) record.predicted[start + x] = guess;
      if (record?.outputs) for (let j = 0; j < nL; j++) record.outputs[(start + x) * nL + j] = a[x * nL + j];
    }
  }
  return { correct, count: set.count, cost: cost / set.count };
}

/**
 * Moves the network's parameters into ws's heap (the same object, new views), so that training
 * steps update them in place. A Trainer does this once; trainMiniBatch does it when needed.
 */
export function moveNetworkInto(net: Network, ws: Workspace): void {
  if (net.params.buffer === ws.heap) return;
  ws.params.set(net.params);
  adoptParameters(net, ws.params);
}
