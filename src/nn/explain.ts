/**
 * Backpropagation made visible: the account of ../shared/backprop-notes.txt, step by step, with
 * the numbers of one real example. Everything here is data (nothing is printed); src/ui/explain.ts
 * renders it and `digit-train explain --json` prints it as it is.
 *
 * Every number comes from the engine itself: z, a, δ and the gradients from feedforward/backprop
 * of backprop.ts, σ' from functions.ts (mulDerivative), finite differences from gradcheck.ts, the
 * step from sgdStep. What this file computes on its own are the pieces the engine sums over
 * (the factors of one chain-rule product, the terms w_jk·δ_j of one sum over paths), multiplied
 * in the engine's order, and they are shown next to the engine's totals so any disagreement
 * would be visible.
 *
 * Layers are numbered as in network.ts: 0 is the input, L = sizes.length − 1 the output; a
 * parameter of "layer l" is one of the weights or biases feeding layer l (the book's w^l, b^l).
 */
import { gatherImage, type DigitSet } from '../data/dataset.js';
import { backprop, feedforward, sgdStep } from './backprop.js';
import { argmax, mulDerivative, type Activation, type Cost, type OutputActivation } from './functions.js';
import { batchCost, numericalGradient, relativeError } from './gradcheck.js';
import { allocateNetwork, cloneNetwork, initialize, type Network } from './network.js';
import { Random } from './random.js';
import { createWorkspace, type Workspace } from './workspace.js';

/** The default size of the mini-batch of steps 5 and 6, and η of step 6 (network.py's setting). */
export const EXPLAIN_BATCH = 10;
export const EXPLAIN_ETA = 3.0;
/** Rows of every "top" list. */
export const EXPLAIN_TOP = 5;
/** Step of the five-point finite differences (error O(h⁴), rounding ~1e-16·C/h). */
export const EXPLAIN_H = 1e-4;

// ---------------------------------------------------------------------------------------------
// The data

/** One weight or bias, by layer (the layer it feeds, 1..L) and neuron indices. */
export interface ParamRef {
  kind: 'w' | 'b';
  layer: number;
  /** Neuron of `layer` it feeds. */
  j: number;
  /** For a weight: neuron of layer − 1 it comes from. */
  k?: number;
  /** Index in Network.params (and in the gradient). */
  index: number;
  /** e.g. "w(L)[3,12]" (from neuron 12 of layer L−1 to neuron 3 of layer L), "b(L−1)[7]". */
  name: string;
}

export interface Factor {
  /** The derivative this factor is, e.g. "∂C/∂a(L)[3]". */
  symbol: string;
  /** What it equals, e.g. "a − y", "σ'(z)", "a(L−1)[12]". */
  formula: string;
  value: number;
}

/** A derivative written as a product of chain-rule factors, next to the engine's value. */
export interface ChainProduct {
  param: ParamRef;
  factors: Factor[];
  /** The factors multiplied left to right. */
  product: number;
  /** backprop.ts's ∂C/∂p for this example. */
  engine: number;
  /** The same derivative by a five-point central difference of the engine's cost. */
  finiteDifference: number;
  /** relativeError(engine, finiteDifference) of gradcheck.ts. */
  relativeError: number;
}

export interface OutputWish {
  j: number;
  a: number;
  y: number;
  /** a − y: the notes' "how strongly" (∂C/∂a of the engine's quadratic cost). */
  error: number;
  /** Which way this example wants a_j to move (towards y). */
  direction: 'up' | 'down' | 'none';
  /** |a − y| / max_j |a − y|, in [0, 1]. */
  strength: number;
}

export interface OutputNeuron {
  j: number;
  z: number;
  a: number;
  /** ∂C/∂a_j for the model's cost (quadratic: a − y). */
  dCda: number;
  /** σ'(z_j) for an element-wise output activation; null for softmax (not element-wise). */
  sigmaPrime: number | null;
  /** δ_j = ∂C/∂z_j, the engine's (BP1). */
  delta: number;
}

export interface Connection {
  param: ParamRef;
  w: number;
  /** The source neuron k, its activation, and its rank among its layer by |a| (1: most active). */
  from: { k: number; a: number; rank: number };
  /** The neuron j it feeds and its δ_j. */
  to: { j: number; delta: number };
  /** ∂C/∂w_jk = δ_j · a_k (the engine's). */
  gradient: number;
}

/** Per weight layer: how the gradient |∂C/∂w| splits over the source neurons. */
export interface LayerShare {
  /** The layer the weights feed (1..L); their sources are layer − 1. */
  layer: number;
  sources: number;
  /** Mean |a| of the sources. */
  meanActivation: number;
  /** Sources with a = 0: how many, and the largest |∂C/∂w| of their weights (exactly 0). */
  silent: number;
  silentMaxGradient: number;
  /** Sources with |a| ≥ 0.5: how many, and their share of Σ|∂C/∂w| over the layer (null when that sum is 0). */
  active: number;
  activeGradientShare: number | null;
}

export interface PathTerm {
  /** Neuron of the layer above that the path goes through. */
  j: number;
  w: number;
  /** δ_j = ∂C/∂z_j of the layer above (the engine's). */
  delta: number;
  /** w_jk · δ_j */
  product: number;
}

export interface Wish {
  k: number;
  a: number;
  /** ∂C/∂a_k = Σ_j w_jk δ_j */
  dCda: number;
  direction: 'up' | 'down' | 'none';
}

export interface WishLayer {
  /** The layer whose activations are wished for (L−1, then L−2). */
  layer: number;
  /** true for the input layer: pixels, which no step changes. */
  input: boolean;
  size: number;
  /** The neurons with the largest |∂C/∂a_k|. */
  top: Wish[];
  /** The neuron with the largest |∂C/∂a_k|, taken apart into its paths. */
  focus: {
    k: number;
    a: number;
    /** The largest terms w_jk·δ_j, by |·|. */
    paths: PathTerm[];
    /** The other terms: how many, and their sum. */
    restCount: number;
    restSum: number;
    /** Σ over every path (= top[0].dCda). */
    sum: number;
    /** For a hidden neuron: σ'(z_k), sum · σ'(z_k), and the engine's δ_k (BP2) = ∂C/∂b_k. */
    sigmaPrime: number | null;
    delta: number | null;
    engineDelta: number | null;
  };
}

export interface BatchExample {
  index: number;
  label: number;
  cost: number;
  /** Cosine similarity of this example's gradient with the batch's average gradient. */
  cosine: number;
}

export interface Disagreement {
  param: ParamRef;
  example: number;
  batch: number;
}

export interface Explanation {
  network: { sizes: number[]; activation: Activation; output: OutputActivation; cost: Cost };
  example: { set: string; index: number; label: number; predicted: number; cost: number; rows: number; cols: number; pixels: number[] };
  /** Step 1: what the example wants of each output neuron. */
  outputs: OutputWish[];
  /** Step 2: the output layer by the chain rule. */
  outputLayer: { layer: number; elementwise: boolean; neurons: OutputNeuron[]; weight: ChainProduct; bias: ChainProduct };
  /** Step 3: the weights whose change lowers C the most (output layer), and where the gradient sits per layer. */
  connections: { top: Connection[]; topMeanActivation: number; layers: LayerShare[] };
  /** Step 4: wishes for layer L−1, then the same recipe for layer L−2. */
  wishes: WishLayer[];
  /** Step 5: this example's gradient against its mini-batch's average. */
  batch: {
    size: number;
    indices: number[];
    examples: BatchExample[];
    cosine: number;
    layerCosines: { layer: number; cosine: number }[];
    /** max_i |mean of the m per-example gradients − the engine's batch gradient|. */
    averageError: number;
    parameters: number;
    /** Parameters where both gradients are non-zero, and among them those of opposite signs. */
    bothNonZero: number;
    oppositeSigns: number;
    disagreements: Disagreement[];
  };
  /** Step 6: one plain SGD step (no momentum, no L2) with the batch's average gradient. */
  step: {
    eta: number;
    exampleCost: { before: number; after: number };
    batchCost: { before: number; after: number };
    /** a of the right output neuron on this example, and the predicted digit. */
    aLabel: { before: number; after: number };
    predicted: { before: number; after: number };
    batchCorrect: { before: number; after: number };
  };
}

export interface ExplainOptions {
  set: DigitSet;
  /** The example: image `index` of `set`. */
  index: number;
  /** Mini-batch of steps 5 and 6: images index, index+1, …, index+batch−1 of the set (wrapping). */
  batch?: number;
  eta?: number;
  top?: number;
  h?: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** "L", "L−1", "L−2" … for layer `layer` of a network whose output layer is L. */
export function layerName(layer: number, L: number): string {
  return layer === L ? 'L' : `L−${L - layer}`;
}

/** Offset in Network.params of W of each weight layer l = 0..L−1 (b follows W). */
function offsets(sizes: readonly number[]): number[] {
  const off: number[] = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    off.push(at);
    at += sizes[l] * sizes[l + 1] + sizes[l + 1];
  }
  return off;
}

/** Names parameter `index` of a network with these sizes. */
export function paramRef(sizes: readonly number[], index: number): ParamRef {
  const off = offsets(sizes);
  const L = sizes.length - 1;
  let l = off.length - 1;
  while (off[l] > index) l--;
  const nIn = sizes[l];
  const nOut = sizes[l + 1];
  const r = index - off[l];
  const ln = layerName(l + 1, L);
  if (r < nIn * nOut) {
    const k = Math.floor(r / nOut);
    const j = r % nOut;
    return { kind: 'w', layer: l + 1, j, k, index, name: `w(${ln})[${j},${k}]` };
  }
  const j = r - nIn * nOut;
  return { kind: 'b', layer: l + 1, j, index, name: `b(${ln})[${j}]` };
}

function weightIndex(sizes: readonly number[], layer: number, j: number, k: number): number {
  return offsets(sizes)[layer - 1] + k * sizes[layer] + j;
}

function biasIndex(sizes: readonly number[], layer: number, j: number): number {
  return offsets(sizes)[layer - 1] + sizes[layer - 1] * sizes[layer] + j;
}

/** σ'(z) of a hidden activation, element-wise, from the engine's own mulDerivative. */
function derivative(f: Activation, z: Float64Array, a: Float64Array): Float64Array {
  const d = new Float64Array(z.length).fill(1);
  mulDerivative(f, z, a, d, z.length);
  return d;
}

/** Indices 0..n−1 sorted by |v| descending (ties: lower index first). */
function byMagnitude(v: ArrayLike<number>, n = v.length): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((p, q) => Math.abs(v[q]) - Math.abs(v[p]) || p - q);
}

function cosine(u: Float64Array, v: Float64Array): number {
  let uv = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < u.length; i++) {
    uv += u[i] * v[i];
    uu += u[i] * u[i];
    vv += v[i] * v[i];
  }
  return uu === 0 || vv === 0 ? 0 : uv / Math.sqrt(uu * vv);
}

const direction = (wantedChange: number): 'up' | 'down' | 'none' => (wantedChange > 0 ? 'up' : wantedChange < 0 ? 'down' : 'none');

/** Loads images `indices` of `set` and their labels into ws. */
function load(ws: Workspace, set: DigitSet, indices: readonly number[]): void {
  indices.forEach((e, x) => {
    gatherImage(set, e, ws.a[0], x * set.inputSize);
    ws.y[x] = set.labels[e];
  });
}

/** A copy of the forward and backward state of example 0 of ws (ws is reused afterwards). */
function snapshot(ws: Workspace) {
  return {
    z: ws.z.map((v) => Float64Array.from(v)),
    a: ws.a.map((v) => Float64Array.from(v)),
    delta: ws.delta.map((v) => Float64Array.from(v)),
    grad: Float64Array.from(ws.grad),
  };
}

function multiply(factors: Factor[]): number {
  return factors.reduce((p, f) => p * f.value, 1);
}

/**
 * ∂C/∂a_j of the output layer for the model's cost (the factor the notes call 2(a − y)):
 * quadratic ½Σ(a−y)²: a − y; cross-entropy with sigmoid: (1−y)/(1−a) − y/a;
 * log-likelihood −ln a_y with softmax: −1/a_y for the label, 0 for the others.
 */
function costDerivative(cost: Cost, output: OutputActivation, a: number, y: number): number {
  if (cost === 'quadratic') return a - y;
  if (output === 'sigmoid') return y === 1 ? -1 / a : 1 / (1 - a);
  return y === 1 ? -1 / a : 0;
}

// ---------------------------------------------------------------------------------------------
// The six steps

/**
 * Explains backpropagation on image `opts.index` of `opts.set` for `network` (left unchanged).
 * Deterministic: the same network and options give the same numbers.
 */
export function explain(network: Network, opts: ExplainOptions): Explanation {
  const { set, index } = opts;
  const m = opts.batch ?? EXPLAIN_BATCH;
  const eta = opts.eta ?? EXPLAIN_ETA;
  const top = opts.top ?? EXPLAIN_TOP;
  const h = opts.h ?? EXPLAIN_H;
  const net = cloneNetwork(network);
  const { sizes } = net;
  const L = sizes.length - 1;
  const nL = sizes[L];
  if (sizes[0] !== set.inputSize) throw new RangeError(`the network takes ${sizes[0]} inputs, the images have ${set.inputSize} pixels`);
  if (!Number.isInteger(index) || index < 0 || index >= set.count) throw new RangeError(`index ${index} of a set of ${set.count} images`);
  if (!Number.isInteger(m) || m < 1 || m > set.count) throw new RangeError(`a mini-batch of ${m} from a set of ${set.count} images`);
  for (let i = 0; i < set.count; i++) if (set.labels[i] >= nL) throw new RangeError(`label ${set.labels[i]} for a network of ${nL} outputs`);
  const label = set.labels[index];

  // The example alone: forward, backward (the gradient of its cost C_x).
  const ws1 = createWorkspace(net, 1);
  load(ws1, set, [index]);
  feedforward(net, ws1, 1);
  const cost = backprop(net, ws1, 1);
  const s = snapshot(ws1);
  const gradW = (layer: number, j: number, k: number) => s.grad[weightIndex(sizes, layer, j, k)];

  // Step 1: every output neuron should move towards y, as strongly as |a − y|.
  const aL = s.a[L];
  const zL = s.z[L];
  const ys = Array.from({ length: nL }, (_, j) => (j === label ? 1 : 0));
  const maxError = Math.max(...ys.map((y, j) => Math.abs(aL[j] - y)));
  const outputs: OutputWish[] = ys.map((y, j) => {
    const error = aL[j] - y;
    return { j, a: aL[j], y, error, direction: direction(-error), strength: maxError === 0 ? 0 : Math.abs(error) / maxError };
  });
  const predicted = argmax(aL, 0, nL);

  // Step 2: the output layer. σ' is element-wise for a sigmoid output only.
  const elementwise = net.output === 'sigmoid';
  const spL = elementwise ? derivative('sigmoid', zL, aL) : null;
  const neurons: OutputNeuron[] = ys.map((y, j) => ({
    j,
    z: zL[j],
    a: aL[j],
    dCda: costDerivative(net.cost, net.output, aL[j], y),
    sigmaPrime: spL ? spL[j] : null,
    delta: s.delta[L][j],
  }));
  const gOut = s.grad.subarray(weightIndex(sizes, L, 0, 0), weightIndex(sizes, L, 0, 0) + sizes[L - 1] * nL);
  const best = byMagnitude(gOut)[0];
  const jStar = best % nL;
  const kStar = Math.floor(best / nL);
  const ln = layerName(L, L);
  const lp = layerName(L - 1, L);
  const upstream = (j: number): Factor[] =>
    elementwise
      ? [
          { symbol: `∂C/∂a(${ln})[${j}]`, formula: net.cost === 'quadratic' ? 'a − y' : '(1−y)/(1−a) − y/a', value: neurons[j].dCda },
          { symbol: `∂a(${ln})[${j}]/∂z(${ln})[${j}]`, formula: "σ'(z)", value: spL![j] },
        ]
      : [{ symbol: `∂C/∂z(${ln})[${j}]`, formula: 'δ (through the softmax)', value: neurons[j].delta }];
  const wFactors: Factor[] = [...upstream(jStar), { symbol: `∂z(${ln})[${jStar}]/∂w(${ln})[${jStar},${kStar}]`, formula: `a(${lp})[${kStar}]`, value: s.a[L - 1][kStar] }];
  const bFactors: Factor[] = [...upstream(jStar), { symbol: `∂z(${ln})[${jStar}]/∂b(${ln})[${jStar}]`, formula: '1', value: 1 }];
  const chainProduct = (index: number, factors: Factor[]): ChainProduct => {
    const fd = numericalGradient(net, ws1, 1, index, h); // ws1 still holds the example
    return { param: paramRef(sizes, index), factors, product: multiply(factors), engine: s.grad[index], finiteDifference: fd, relativeError: relativeError(s.grad[index], fd) };
  };
  const weight = chainProduct(weightIndex(sizes, L, jStar, kStar), wFactors);
  const bias = chainProduct(biasIndex(sizes, L, jStar), bFactors);

  // Step 3: ∂C/∂w_jk = δ_j · a_k: the steepest weights come from the most active neurons.
  const aPrev = s.a[L - 1];
  const rankOf = new Int32Array(aPrev.length);
  byMagnitude(aPrev).forEach((k, r) => (rankOf[k] = r + 1));
  const connections: Connection[] = byMagnitude(gOut)
    .slice(0, top)
    .map((i) => {
      const j = i % nL;
      const k = Math.floor(i / nL);
      return { param: paramRef(sizes, weightIndex(sizes, L, j, k)), w: net.W[L - 1][i], from: { k, a: aPrev[k], rank: rankOf[k] }, to: { j, delta: s.delta[L][j] }, gradient: gOut[i] };
    });
  const topMeanActivation = connections.reduce((t, c) => t + Math.abs(c.from.a), 0) / Math.max(1, connections.length);
  const layers: LayerShare[] = [];
  for (let layer = 1; layer <= L; layer++) {
    const nIn = sizes[layer - 1];
    const nOut = sizes[layer];
    const src = s.a[layer - 1];
    let total = 0;
    let activeMass = 0;
    let silent = 0;
    let silentMax = 0;
    let active = 0;
    let meanA = 0;
    for (let k = 0; k < nIn; k++) {
      let mass = 0;
      for (let j = 0; j < nOut; j++) mass += Math.abs(gradW(layer, j, k));
      total += mass;
      meanA += Math.abs(src[k]);
      if (src[k] === 0) {
        silent++;
        for (let j = 0; j < nOut; j++) silentMax = Math.max(silentMax, Math.abs(gradW(layer, j, k)));
      }
      if (Math.abs(src[k]) >= 0.5) {
        active++;
        activeMass += mass;
      }
    }
    layers.push({ layer, sources: nIn, meanActivation: meanA / nIn, silent, silentMaxGradient: silentMax, active, activeGradientShare: total === 0 ? null : activeMass / total });
  }

  // Step 4: the wishes for the layer below, ∂C/∂a_k = Σ_j w_jk δ_j (the engine's BP2 before ⊙ σ'),
  // for L−1 and once more for L−2, each from the engine's δ of the layer above.
  const wishes: WishLayer[] = [];
  for (let layer = L - 1; layer >= Math.max(0, L - 2); layer--) {
    const nIn = sizes[layer];
    const nOut = sizes[layer + 1];
    const W = net.W[layer];
    const deltaAbove = s.delta[layer + 1];
    const dCda = new Float64Array(nIn);
    for (let k = 0; k < nIn; k++) {
      let sum = 0;
      for (let j = 0; j < nOut; j++) sum += W[k * nOut + j] * deltaAbove[j];
      dCda[k] = sum;
    }
    const order = byMagnitude(dCda);
    const k = order[0];
    const terms: PathTerm[] = Array.from({ length: nOut }, (_, j) => ({ j, w: W[k * nOut + j], delta: deltaAbove[j], product: W[k * nOut + j] * deltaAbove[j] }));
    const pathOrder = byMagnitude(terms.map((t) => t.product));
    const shown = new Set(pathOrder.slice(0, top));
    let restSum = 0;
    for (let j = 0; j < nOut; j++) if (!shown.has(j)) restSum += terms[j].product;
    const input = layer === 0;
    const sp = input ? null : derivative(net.activation, s.z[layer], s.a[layer]);
    wishes.push({
      layer,
      input,
      size: nIn,
      top: order.slice(0, top).map((q) => ({ k: q, a: s.a[layer][q], dCda: dCda[q], direction: direction(-dCda[q]) })),
      focus: {
        k,
        a: s.a[layer][k],
        paths: pathOrder.slice(0, top).map((j) => terms[j]),
        restCount: nOut - shown.size,
        restSum,
        sum: dCda[k],
        sigmaPrime: sp ? sp[k] : null,
        delta: sp ? dCda[k] * sp[k] : null,
        engineDelta: input ? null : s.delta[layer][k],
      },
    });
  }

  // Step 5: each example of the mini-batch suggests, the batch averages.
  const indices = Array.from({ length: m }, (_, x) => (index + x) % set.count);
  const wsB = createWorkspace(net, m);
  load(wsB, set, indices);
  feedforward(net, wsB, m);
  const batchCostBefore = backprop(net, wsB, m) / m;
  const gradB = Float64Array.from(wsB.grad);
  let batchCorrectBefore = 0;
  for (let x = 0; x < m; x++) if (argmax(wsB.a[L], x * nL, nL) === wsB.y[x]) batchCorrectBefore++;
  const sum = new Float64Array(gradB.length);
  const examples: BatchExample[] = indices.map((e) => {
    load(ws1, set, [e]);
    feedforward(net, ws1, 1);
    const c = backprop(net, ws1, 1);
    for (let i = 0; i < sum.length; i++) sum[i] += ws1.grad[i];
    return { index: e, label: set.labels[e], cost: c, cosine: cosine(ws1.grad, gradB) };
  });
  let averageError = 0;
  for (let i = 0; i < sum.length; i++) averageError = Math.max(averageError, Math.abs(sum[i] / m - gradB[i]));
  const off = offsets(sizes);
  const layerCosines = off.map((o, l) => {
    const end = o + sizes[l] * sizes[l + 1] + sizes[l + 1];
    return { layer: l + 1, cosine: cosine(s.grad.subarray(o, end), gradB.subarray(o, end)) };
  });
  let bothNonZero = 0;
  let oppositeSigns = 0;
  const diff = new Float64Array(gradB.length);
  for (let i = 0; i < gradB.length; i++) {
    diff[i] = s.grad[i] - gradB[i];
    if (s.grad[i] !== 0 && gradB[i] !== 0) {
      bothNonZero++;
      if (s.grad[i] * gradB[i] < 0) oppositeSigns++;
    }
  }
  const disagreements = byMagnitude(diff)
    .slice(0, top)
    .map((i) => ({ param: paramRef(sizes, i), example: s.grad[i], batch: gradB[i] }));

  // Step 6: one SGD step with the batch's average gradient, p ← p − η·∂C/∂p.
  const stepped = cloneNetwork(net);
  wsB.grad.set(gradB);
  sgdStep(stepped, wsB, eta);
  const batchCostAfter = batchCost(stepped, wsB, m);
  let batchCorrectAfter = 0;
  for (let x = 0; x < m; x++) if (argmax(wsB.a[L], x * nL, nL) === wsB.y[x]) batchCorrectAfter++;
  load(ws1, set, [index]);
  const exampleCostAfter = batchCost(stepped, ws1, 1);
  const aLabelAfter = ws1.a[L][label];
  const predictedAfter = argmax(ws1.a[L], 0, nL);

  return {
    network: { sizes: [...sizes], activation: net.activation, output: net.output, cost: net.cost },
    example: {
      set: set.name,
      index,
      label,
      predicted,
      cost,
      rows: set.rows,
      cols: set.cols,
      pixels: Array.from(set.images.subarray(index * set.inputSize, (index + 1) * set.inputSize)),
    },
    outputs,
    outputLayer: { layer: L, elementwise, neurons, weight, bias },
    connections: { top: connections, topMeanActivation, layers },
    wishes,
    batch: {
      size: m,
      indices,
      examples,
      cosine: cosine(s.grad, gradB),
      layerCosines,
      averageError,
      parameters: gradB.length,
      bothNonZero,
      oppositeSigns,
      disagreements,
    },
    step: {
      eta,
      exampleCost: { before: cost, after: exampleCostAfter },
      batchCost: { before: batchCostBefore, after: batchCostAfter },
      aLabel: { before: aL[label], after: aLabelAfter },
      predicted: { before: predicted, after: predictedAfter },
      batchCorrect: { before: batchCorrectBefore, after: batchCorrectAfter },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The one-neuron-per-layer chain of the notes

export interface ChainStep {
  /** The factor, e.g. "∂a(L)/∂z(L)", what it equals ("σ'(z(L))") and its value. */
  symbol: string;
  formula: string;
  value: number;
  /** The running product: the derivative of C it yields. */
  product: number;
  yields: string;
  /** A side branch (∂C/∂w, ∂C/∂b) off the main chain, checked against the engine. */
  branch: boolean;
  engine?: number;
  finiteDifference?: number;
}

export interface ChainExplanation {
  depth: number;
  sizes: number[];
  /** The input x = a(L−depth) and the target y. */
  x: number;
  y: number;
  /** Per layer 1..L: w, b, z = w·a + b, a = σ(z). */
  layers: { layer: number; name: string; w: number; b: number; z: number; a: number }[];
  /** C = ½(a(L) − y)², the engine's. */
  cost: number;
  steps: ChainStep[];
  /** ∂C/∂w of the first layer as one product of every factor from the cost back to it. */
  first: { factors: Factor[]; product: number; engine: number; finiteDifference: number };
}

/**
 * The notes' network with one neuron per layer (depth weight layers: 1-1-1-1 for 3), sigmoid,
 * quadratic cost, weights and biases N(0, 1) from `seed`, then x uniform in [0, 1), target y = 1.
 */
export function explainChain(depth = 3, seed = 1, h = EXPLAIN_H): ChainExplanation {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`a chain of ${depth} layers`);
  const sizes = Array.from({ length: depth + 1 }, () => 1);
  const L = depth;
  const net = allocateNetwork({ sizes, activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' });
  const rng = new Random(seed);
  initialize(net, rng, 'normal');
  const x = rng.next();
  const y = 1;
  const ws = createWorkspace(net, 1);
  ws.a[0][0] = x;
  ws.y[0] = 0; // label 0 of the single output neuron: y = 1
  feedforward(net, ws, 1);
  const cost = backprop(net, ws, 1);
  const s = snapshot(ws);
  const name = (layer: number) => layerName(layer, L);
  const aName = (layer: number) => (layer === 0 ? 'x' : `a(${name(layer)})`);
  const fd = (index: number) => {
    ws.a[0][0] = x;
    return numericalGradient(net, ws, 1, index, h);
  };

  const steps: ChainStep[] = [];
  const firstFactors: Factor[] = [];
  const trunk = (symbol: string, formula: string, value: number, product: number, yields: string) => {
    steps.push({ symbol, formula, value, product, yields, branch: false });
    firstFactors.push({ symbol, formula, value });
  };
  let p = s.a[L][0] - y;
  trunk(`∂C/∂a(${name(L)})`, `a(${name(L)}) − y`, p, p, `∂C/∂a(${name(L)})`);
  for (let layer = L; layer >= 1; layer--) {
    const n = name(layer);
    const sp = derivative('sigmoid', s.z[layer], s.a[layer])[0];
    p *= sp;
    trunk(`∂a(${n})/∂z(${n})`, `σ'(z(${n}))`, sp, p, `∂C/∂z(${n})`);
    const wIndex = weightIndex(sizes, layer, 0, 0);
    const bIndex = biasIndex(sizes, layer, 0);
    const aBelow = s.a[layer - 1][0];
    steps.push({ symbol: `∂z(${n})/∂w(${n})`, formula: aName(layer - 1), value: aBelow, product: p * aBelow, yields: `∂C/∂w(${n})`, branch: true, engine: s.grad[wIndex], finiteDifference: fd(wIndex) });
    steps.push({ symbol: `∂z(${n})/∂b(${n})`, formula: '1', value: 1, product: p * 1, yields: `∂C/∂b(${n})`, branch: true, engine: s.grad[bIndex], finiteDifference: fd(bIndex) });
    if (layer > 1) {
      const w = net.W[layer - 1][0];
      p *= w;
      trunk(`∂z(${n})/∂a(${name(layer - 1)})`, `w(${n})`, w, p, `∂C/∂a(${name(layer - 1)})`);
    }
  }
  firstFactors.push({ symbol: `∂z(${name(1)})/∂w(${name(1)})`, formula: 'x', value: x });
  const w1 = weightIndex(sizes, 1, 0, 0);
  return {
    depth,
    sizes,
    x,
    y,
    layers: Array.from({ length: L }, (_, i) => {
      const layer = i + 1;
      return { layer, name: name(layer), w: net.W[i][0], b: net.b[i][0], z: s.z[layer][0], a: s.a[layer][0] };
    }),
    cost,
    steps,
    first: { factors: firstFactors, product: multiply(firstFactors), engine: s.grad[w1], finiteDifference: fd(w1) },
  };
}
