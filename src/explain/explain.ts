/**
 * Backpropagation made visible: one backprop step on one real example, told in six steps, each
 * one function below, with the numbers of the engine itself. Everything here is data (nothing is
 * printed); src/ui/explain.ts renders it and `digit-train explain --json` prints it as it is.
 *
 * Every number comes from the engine: z, a, δ and the gradients from feedforward/backprop of
 * nn/network.ts, ∂C/∂a from the cost's own pair (nn/functions.ts), σ' from mulDerivative,
 * finite differences from nn/gradcheck.ts, the step from sgdStep. What this file computes on its
 * own are the pieces the engine sums over (the factors of one chain-rule product, the terms
 * w_jk·δ_j of one sum over paths), multiplied in the engine's order, and they are shown next to
 * the engine's totals so any disagreement would be visible.
 */
import { LimitError, ShapeError } from '../errors.js';
import type { DigitSet } from '../data/dataset.js';
import { argmax, costFunction } from '../nn/functions.js';
import { batchCost, numericalGradient, relativeError } from '../nn/gradcheck.js';
import type { Layout } from '../nn/layout.js';
import { backprop, cloneNetwork, feedforward, sgdStep, type Network } from '../nn/network.js';
import { createWorkspace, type Workspace } from '../nn/workspace.js';
import { bIndex, byMagnitude, cosine, derivative, direction, layerName, load, multiply, outputWishes, paramRef, snapshot, wIndex, type ExampleState } from './common.js';
import type { BatchExample, ChainProduct, Connection, ExplainOptions, Explanation, Factor, LayerShare, OutputNeuron, OutputWish, PathTerm, WishLayer } from './types.js';

/** The default size of the mini-batch of steps 5 and 6, and η of step 6 (network.py's setting). */
export const EXPLAIN_BATCH = 10;
export const EXPLAIN_ETA = 3.0;
/** Rows of every "top" list. */
export const EXPLAIN_TOP = 5;
/** Step of the five-point finite differences (error O(h⁴), rounding ~1e-16·C/h). */
export const EXPLAIN_H = 1e-4;

/** What every step reads: the network, the example, and the engine's state on it alone. */
interface Lesson {
  net: Network;
  layout: Layout;
  sizes: number[];
  L: number;
  nL: number;
  set: DigitSet;
  index: number;
  label: number;
  top: number;
  h: number;
  /** A workspace of one example (holding the example unless a step loads another). */
  ws1: Workspace;
  /** The engine's z, a, δ and gradient of C_x for the example alone, and C_x. */
  s: ExampleState;
  cost: number;
}

/**
 * Explains backpropagation on image `opts.index` of `opts.set` for `network` (left unchanged).
 * Deterministic: the same network and options give the same numbers.
 */
export function explain(network: Network, opts: ExplainOptions): Explanation {
  const { set, index } = opts;
  const m = opts.batch ?? EXPLAIN_BATCH;
  const eta = opts.eta ?? EXPLAIN_ETA;
  const net = cloneNetwork(network);
  const { sizes, layout } = net;
  const L = sizes.length - 1;
  const nL = sizes[L];
  if (sizes[0] !== set.inputSize) throw new ShapeError('inputs', sizes[0], set.inputSize);
  if (!Number.isInteger(index) || index < 0 || index >= set.count) throw new LimitError('index', index, set.count - 1, 'the last image of the set');
  if (!Number.isInteger(m) || m < 1 || m > set.count) throw new LimitError('batch', m, set.count, 'the set');
  for (let i = 0; i < set.count; i++) if (set.labels[i] >= nL) throw new ShapeError('outputs', nL, set.labels[i] + 1);

  // The example alone: forward, backward (the gradient of its cost C_x).
  const ws1 = createWorkspace(net, 1);
  load(ws1, set, [index]);
  feedforward(net, ws1, 1);
  const cost = backprop(net, ws1, 1);
  const lesson: Lesson = { net, layout, sizes, L, nL, set, index, label: set.labels[index], top: opts.top ?? EXPLAIN_TOP, h: opts.h ?? EXPLAIN_H, ws1, s: snapshot(ws1), cost };

  const { outputs, predicted } = whatTheExampleWants(lesson);
  const outputLayer = outputLayerByChainRule(lesson);
  const connections = steepestConnections(lesson);
  const wishes = wishesForTheLayersBelow(lesson);
  const batch = eachSuggestsTheBatchAverages(lesson, m);
  const step = oneStep(lesson, batch, eta, predicted);

  return {
    network: { sizes: [...sizes], activation: net.activation, output: net.output, cost: net.cost },
    example: {
      set: set.name,
      index,
      label: lesson.label,
      predicted,
      cost,
      rows: set.rows,
      cols: set.cols,
      pixels: Array.from(set.images.subarray(index * set.inputSize, (index + 1) * set.inputSize)),
    },
    outputs,
    outputLayer,
    connections,
    wishes,
    batch: batch.data,
    step,
  };
}

/** Step 1: every output neuron should move towards y, as strongly as |a − y|. */
function whatTheExampleWants({ s, L, nL, label }: Lesson): { outputs: OutputWish[]; predicted: number } {
  return outputWishes(s.a[L], nL, label);
}

/** The gradient of the output layer's weights of the example alone (layout order: k-major). */
const outputGradient = ({ s, layout, L, sizes, nL }: Lesson): Float64Array => s.grad.subarray(wIndex(layout, L, 0, 0), wIndex(layout, L, 0, 0) + sizes[L - 1] * nL);

/**
 * Step 2: the output layer by the chain rule, ∂C/∂w = ∂C/∂a · ∂a/∂z · ∂z/∂w for the weight with
 * the largest gradient, and the same for its neuron's bias. σ' is element-wise for a sigmoid
 * output only; through a softmax the engine's δ stands for the first two factors.
 */
function outputLayerByChainRule(lesson: Lesson): Explanation['outputLayer'] {
  const { net, s, layout, L, nL, label, ws1, h } = lesson;
  const aL = s.a[L];
  const zL = s.z[L];
  const C = costFunction(net.cost, net.output);
  const elementwise = net.output === 'sigmoid';
  const spL = elementwise ? derivative('sigmoid', zL, aL) : null;
  const neurons: OutputNeuron[] = Array.from({ length: nL }, (_, j) => ({
    j,
    z: zL[j],
    a: aL[j],
    dCda: C.dCda(aL[j], j === label ? 1 : 0),
    sigmaPrime: spL ? spL[j] : null,
    delta: s.delta[L][j],
  }));
  const best = byMagnitude(outputGradient(lesson))[0];
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
    return { param: paramRef(layout, index), factors, product: multiply(factors), engine: s.grad[index], finiteDifference: fd, relativeError: relativeError(s.grad[index], fd) };
  };
  return {
    layer: L,
    elementwise,
    neurons,
    weight: chainProduct(wIndex(layout, L, jStar, kStar), wFactors),
    bias: chainProduct(bIndex(layout, L, jStar), bFactors),
  };
}

/** Step 3: ∂C/∂w_jk = δ_j · a_k: the steepest weights come from the most active neurons. */
function steepestConnections(lesson: Lesson): Explanation['connections'] {
  const { net, s, layout, sizes, L, nL, top } = lesson;
  const gOut = outputGradient(lesson);
  const aPrev = s.a[L - 1];
  const rankOf = new Int32Array(aPrev.length);
  byMagnitude(aPrev).forEach((k, r) => (rankOf[k] = r + 1));
  const connections: Connection[] = byMagnitude(gOut)
    .slice(0, top)
    .map((i) => {
      const j = i % nL;
      const k = Math.floor(i / nL);
      return { param: paramRef(layout, wIndex(layout, L, j, k)), w: net.W[L - 1][i], from: { k, a: aPrev[k], rank: rankOf[k] }, to: { j, delta: s.delta[L][j] }, gradient: gOut[i] };
    });
  const topMeanActivation = connections.reduce((t, c) => t + Math.abs(c.from.a), 0) / Math.max(1, connections.length);
  const gradW = (layer: number, j: number, k: number) => s.grad[wIndex(layout, layer, j, k)];
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
  return { top: connections, topMeanActivation, layers };
}

/**
 * Step 4: the wishes for the layer below, ∂C/∂a_k = Σ_j w_jk δ_j (the engine's BP2 before ⊙ σ'),
 * for L−1 and once more for L−2, each from the engine's δ of the layer above.
 */
function wishesForTheLayersBelow({ net, s, sizes, L, top }: Lesson): WishLayer[] {
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
  return wishes;
}

/** What step 5 hands to step 6: the batch in its workspace and its average gradient. */
interface BatchState {
  data: Explanation['batch'];
  wsB: Workspace;
  gradB: Float64Array;
  costBefore: number;
  correctBefore: number;
}

/** Step 5: each example of the mini-batch suggests a gradient, the batch averages them. */
function eachSuggestsTheBatchAverages({ net, s, layout, set, index, L, nL, top, ws1 }: Lesson, m: number): BatchState {
  const indices = Array.from({ length: m }, (_, x) => (index + x) % set.count);
  const wsB = createWorkspace(net, m);
  load(wsB, set, indices);
  feedforward(net, wsB, m);
  const costBefore = backprop(net, wsB, m) / m;
  const gradB = Float64Array.from(wsB.grad);
  let correctBefore = 0;
  for (let x = 0; x < m; x++) if (argmax(wsB.a[L], x * nL, nL) === wsB.y[x]) correctBefore++;
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
  const layerCosines = layout.layers.map((shape, l) => {
    const end = shape.b + shape.nOut;
    return { layer: l + 1, cosine: cosine(s.grad.subarray(shape.w, end), gradB.subarray(shape.w, end)) };
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
    .map((i) => ({ param: paramRef(layout, i), example: s.grad[i], batch: gradB[i] }));
  return {
    data: { size: m, indices, examples, cosine: cosine(s.grad, gradB), layerCosines, averageError, parameters: gradB.length, bothNonZero, oppositeSigns, disagreements },
    wsB,
    gradB,
    costBefore,
    correctBefore,
  };
}

/** Step 6: one SGD step with the batch's average gradient, p ← p − η·∂C/∂p (on a copy). */
function oneStep({ net, s, set, index, label, L, nL, ws1, cost }: Lesson, batch: BatchState, eta: number, predicted: number): Explanation['step'] {
  const { wsB, gradB } = batch;
  const m = batch.data.size;
  const stepped = cloneNetwork(net);
  wsB.grad.set(gradB);
  sgdStep(stepped, wsB, eta);
  const batchCostAfter = batchCost(stepped, wsB, m);
  let batchCorrectAfter = 0;
  for (let x = 0; x < m; x++) if (argmax(wsB.a[L], x * nL, nL) === wsB.y[x]) batchCorrectAfter++;
  load(ws1, set, [index]);
  const exampleCostAfter = batchCost(stepped, ws1, 1);
  return {
    eta,
    exampleCost: { before: cost, after: exampleCostAfter },
    batchCost: { before: batch.costBefore, after: batchCostAfter },
    aLabel: { before: s.a[L][label], after: ws1.a[L][label] },
    predicted: { before: predicted, after: argmax(ws1.a[L], 0, nL) },
    batchCorrect: { before: batch.correctBefore, after: batchCorrectAfter },
  };
}
