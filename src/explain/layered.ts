/**
 * Backpropagation made visible on a layer list (a conv model): what each layer makes of one
 * real digit, and the chain rule through one conv unit that wins its max-pool window, from the
 * layer above down to one shared weight of its filter, with the numbers of this digit.
 *
 *   forward:   z_f(i,j) = b_f + Σ_c,p,q w_f,c(p,q)·x_c(i+p, j+q),  a = σ(z),  a'(I,J) = max of its window
 *   backward:  ∂C/∂a'(I,J)  = Σ_j w_jk δ_j                       (Wᵀδ of a dense layer above; a conv layer
 *                                                                  above: δ correlated with its flipped kernel)
 *              ∂a'/∂a_f(i,j) = 1 at the window's arg-max, 0 at the others
 *              δ_f(i,j)     = ∂C/∂a'(I,J) · 1 · σ'(z_f(i,j))
 *              ∂C/∂w_f,c(p,q) = Σ_(i,j) δ_f(i,j)·x_c(i+p, j+q)     (one term per position of the shared weight)
 *
 * Everything here is data (nothing is printed); src/ui/explain-layered.ts renders it. Every
 * number comes from the engine (nn/layered.ts's feedforwardLayered and backpropLayered: z, a,
 * δ, the arg-maxes and the gradient; the layers' backward loops for ∂C/∂a below a layer;
 * nn/layered-gradcheck.ts's finite differences); what this
 * file computes itself are the terms of the sums the engine does in its loops (the paths to
 * the unit, the positions of the weight), shown next to the engine's totals.
 *
 * Dropout is the identity here (its mask r = 1 everywhere), in the forward pass, the backward
 * pass and the finite differences alike: this is the network as evaluated and exported. In a
 * training step each activation is kept with probability 1 − p and scaled by 1/(1 − p).
 */
import { LimitError, ShapeError } from '../errors.js';
import { gatherImage, type DigitSet } from '../data/dataset.js';
import type { Activation } from '../nn/functions.js';
import { relativeError } from '../nn/gradcheck.js';
import { backpropLayered, cloneLayered, createLayeredWorkspace, describeLayers, feedforwardLayered, inputsOf, outputsOf, type LayeredNetwork, type LayeredWorkspace } from '../nn/layered.js';
import { differenceStep, numericalGradientLayered } from '../nn/layered-gradcheck.js';
import { sizeOf, type ConvShape, type PoolShape, type StackShape, type Volume } from '../nn/layout.js';
import { convBackwardInput, type ConvDims } from '../nn/layers/conv.js';
import { denseBackwardInput } from '../nn/layers/dense.js';
import { poolBackward, type PoolDims } from '../nn/layers/pool.js';
import { byMagnitude, derivative, multiply, outputWishes } from './common.js';
import { EXPLAIN_TOP } from './explain.js';
import type { ActivationStats, ExplainOptions, Factor, FeatureMap, LayeredExplanation, LayerView, PooledUnitChain, ShownSum, SumTerm } from './types.js';

export type LayeredExplainOptions = Pick<ExplainOptions, 'set' | 'index' | 'top' | 'h'>;

/** The engine's state of the one example, copied. */
interface State {
  a: Float64Array[];
  z: Float64Array[];
  g: Float64Array[];
  argmax: Int32Array[];
  grad: Float64Array;
}

interface Lesson {
  net: LayeredNetwork;
  shapes: StackShape[];
  st: State;
  top: number;
  h: number;
  /** The workspace holding the example (masks of ones), for the finite differences. */
  ws: LayeredWorkspace;
}

/**
 * Explains image `opts.index` of `opts.set` through `network` (left unchanged): every layer's
 * output, and the chain rule through one pooled conv unit. Deterministic.
 */
export function explainLayered(network: LayeredNetwork, opts: LayeredExplainOptions): LayeredExplanation {
  const { set, index } = opts;
  const net = cloneLayered(network);
  const nL = outputsOf(net);
  if (inputsOf(net) !== set.inputSize) throw new ShapeError('inputs', inputsOf(net), set.inputSize);
  if (!Number.isInteger(index) || index < 0 || index >= set.count) throw new LimitError('index', index, set.count - 1, 'the last image of the set');
  for (let i = 0; i < set.count; i++) if (set.labels[i] >= nL) throw new ShapeError('outputs', nL, set.labels[i] + 1);

  const ws = createLayeredWorkspace(net, 1);
  for (const mask of ws.mask) mask.fill(1); // dropout as the identity, forward ('replay') and backward
  gatherImage(set, index, ws.a[0], 0);
  const label = set.labels[index];
  ws.y[0] = label;
  feedforwardLayered(net, ws, 1, 'replay');
  const cost = backpropLayered(net, ws, 1);
  const st: State = { a: ws.a.map((v) => Float64Array.from(v)), z: ws.z.map((v) => Float64Array.from(v)), g: ws.g.map((v) => Float64Array.from(v)), argmax: ws.argmax.map((v) => Int32Array.from(v)), grad: Float64Array.from(ws.grad) };
  const shapes = net.layout.layers;
  const lesson: Lesson = { net, shapes, st, top: opts.top ?? EXPLAIN_TOP, h: opts.h ?? differenceStep(net), ws };

  const { outputs, predicted } = outputWishes(st.a[shapes.length], nL, label);
  return {
    kind: 'layered',
    network: { input: { ...net.input }, layers: describeLayers(net.layers), output: net.output, cost: net.cost, parameters: net.params.length },
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
    input: statsOf(st.a[0], 0, sizeOf(net.input)),
    layers: shapes.map((s, i) => layerView(lesson, s, i)),
    outputs,
    unit: pooledUnitChain(lesson),
  };
}

function statsOf(v: Float64Array, from: number, n: number): ActivationStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let active = 0;
  for (let i = from; i < from + n; i++) {
    min = Math.min(min, v[i]);
    max = Math.max(max, v[i]);
    sum += v[i];
    if (Math.abs(v[i]) >= 0.5) active++;
  }
  return { units: n, min, mean: sum / n, max, active };
}

const parametersOf = (s: StackShape): number => (s.kind === 'conv' ? s.b + s.filters - s.w : s.kind === 'dense' ? s.nIn * s.nOut + s.nOut : 0);

/** Step 1, one layer: its output on the example. */
function layerView({ net, st, top }: Lesson, s: StackShape, i: number): LayerView {
  const out = st.a[i + 1];
  const n = sizeOf(s.output);
  const view: LayerView = { index: i, kind: s.kind, spec: describeLayers([net.layers[i]]), input: { ...s.input }, output: { ...s.output }, parameters: parametersOf(s), stats: statsOf(out, 0, n), maps: [], units: [] };
  if (s.kind === 'conv' || s.kind === 'pool') {
    const plane = s.output.height * s.output.width;
    const maps: FeatureMap[] = Array.from({ length: s.output.channels }, (_, c) => {
      let abs = 0;
      for (let u = c * plane; u < (c + 1) * plane; u++) abs += Math.abs(out[u]);
      return { channel: c, meanAbs: abs / plane, stats: statsOf(out, c * plane, plane), values: Array.from(out.subarray(c * plane, (c + 1) * plane)) };
    });
    view.maps = byMagnitude(maps.map((m) => m.meanAbs))
      .slice(0, top)
      .map((c) => maps[c]);
  } else if (s.kind === 'dense') {
    view.units = byMagnitude(out, s.nOut)
      .slice(0, top)
      .map((j) => ({ j, z: st.z[i + 1][j], a: out[j] }));
  }
  return view;
}

/** The layer index `from` or the first after it that is not dropout, and the dropout layers passed. */
function skipDropout(shapes: StackShape[], from: number): { next: number; dropouts: number[] } {
  const dropouts: number[] = [];
  let k = from;
  while (k < shapes.length && shapes[k].kind === 'dropout') dropouts.push(k++);
  return { next: k, dropouts };
}

/** A sum of terms shown by the `top` largest, the others together; the sum over all, in order. */
function shownSum(terms: SumTerm[], top: number, engine: number): ShownSum {
  let sum = 0;
  for (const t of terms) sum += t.product;
  const order = byMagnitude(terms.map((t) => t.product)).slice(0, top);
  const shown = new Set(order);
  let restSum = 0;
  terms.forEach((t, n) => {
    if (!shown.has(n)) restSum += t.product;
  });
  return { terms: order.map((n) => terms[n]), restCount: terms.length - order.length, restSum, sum, engine };
}

/** Flat index of (channel, row, col) in a volume, [c][i][j]. */
const at = (v: Volume, c: number, r: number, col: number): number => (c * v.height + r) * v.width + col;

/**
 * ∂C/∂a of the activation at flat index m of the input of layer `k` (conv, pool or dense), as
 * the sum over the paths through layer k: the terms w·δ (or ∂max/∂a · upstream for a pool).
 */
function pathsThrough({ net, shapes, st }: Lesson, k: number, m: number): SumTerm[] {
  const s = shapes[k];
  const v = s.input;
  const up = st.g[k + 1]; // δ of a conv or dense layer k (∂C/∂z), ∂C/∂a' of a pool layer k
  const c = Math.floor(m / (v.height * v.width));
  const r = Math.floor((m % (v.height * v.width)) / v.width);
  const col = m % v.width;
  switch (s.kind) {
    case 'dense':
      return Array.from({ length: s.nOut }, (_, j) => {
        const w = net.W[k][m * s.nOut + j];
        return { from: `j ${j}`, left: w, right: up[j], product: w * up[j] };
      });
    case 'conv': {
      // ∂C/∂x_c(r,col) = Σ_f Σ_(p,q) w_f,c(p,q) · δ_f(r−p, col−q), over the filter taps that reach it
      const terms: SumTerm[] = [];
      const { filters: F, size: K, output: o } = s;
      for (let f = 0; f < F; f++) {
        for (let p = 0; p < K; p++) {
          for (let q = 0; q < K; q++) {
            const i = r - p;
            const j = col - q;
            if (i < 0 || j < 0 || i >= o.height || j >= o.width) continue;
            const w = net.W[k][((f * v.channels + c) * K + p) * K + q];
            const d = up[at(o, f, i, j)];
            terms.push({ from: `f ${f}, (p,q) (${p},${q})`, left: w, right: d, product: w * d });
          }
        }
      }
      return terms;
    }
    case 'pool': {
      // ∂ max/∂a = 1 if this activation is its window's arg-max, else 0; times the window's upstream gradient
      const K = s.size;
      const I = Math.floor(r / K);
      const J = Math.floor(col / K);
      if (I >= s.output.height || J >= s.output.width) return [{ from: 'no window (a dropped edge)', left: 0, right: 0, product: 0 }];
      const o = at(s.output, c, I, J);
      const local = st.argmax[k + 1][o] === m ? 1 : 0;
      return [{ from: `window (${I},${J})`, left: local, right: up[o], product: local * up[o] }];
    }
    case 'dropout':
      throw new RangeError('pathsThrough: dropout layers are skipped');
  }
}

/**
 * The engine's ∂C/∂a of the input of layer k (conv, pool or dense), by that layer's own backward
 * loop (layers/*.ts) from the engine's δ (or ∂C/∂a') above it. (backpropLayered's copy of it
 * does not survive when a conv or dense layer sits right below k: that layer turns it into its
 * δ in place.)
 */
function engineGradientBelow({ net, shapes, st }: Lesson, k: number): Float64Array {
  const s = shapes[k];
  const out = new Float64Array(sizeOf(s.input));
  const up = Float64Array.from(st.g[k + 1]);
  if (s.kind === 'dense') denseBackwardInput(net.W[k], up, out, 1, s.nIn, s.nOut);
  else if (s.kind === 'conv') convBackwardInput(net.W[k], up, out, 1, net.dims[k] as ConvDims);
  else if (s.kind === 'pool') poolBackward(up, st.argmax[k + 1], out, 1, net.dims[k] as PoolDims);
  else out.set(up);
  return out;
}

/** Step 2: the chain rule through one conv unit that wins its max-pool window. */
function pooledUnitChain(lesson: Lesson): PooledUnitChain | null {
  const { net, shapes, st, top, ws, h } = lesson;
  // the last conv layer followed by a pool (dropout in between is the identity), else the last conv layer
  let conv = -1;
  for (let i = shapes.length - 1; i >= 0 && conv < 0; i--) if (shapes[i].kind === 'conv' && shapes[skipDropout(shapes, i + 1).next]?.kind === 'pool') conv = i;
  const pooled = conv >= 0;
  for (let i = shapes.length - 1; i >= 0 && conv < 0; i--) if (shapes[i].kind === 'conv') conv = i;
  if (conv < 0) return null;
  const cs = shapes[conv] as ConvShape;
  const activation = (net.layers[conv] as { activation: Activation }).activation;
  const { channels: C, height: H, width: Wd } = cs.input;
  const { height: oh, width: ow } = cs.output;
  const plane = oh * ow;
  const K = cs.size;
  const delta = st.g[conv + 1]; // the engine's δ = ∂C/∂z of the conv layer
  const z = st.z[conv + 1];
  const a = st.a[conv + 1];
  const x = st.a[conv]; // the conv layer's input (the pixels for a first layer)
  const afterConv = skipDropout(shapes, conv + 1);
  const poolIndex = pooled ? afterConv.next : -1;
  const afterPool = pooled ? skipDropout(shapes, poolIndex + 1) : afterConv;
  const aboveIndex = afterPool.next;
  const dropouts = pooled ? [...afterConv.dropouts, ...afterPool.dropouts] : afterConv.dropouts;

  // the unit: among the window winners (or all units without a pool), the largest |δ|, then the
  // largest a; preferring units that win their window outright and see some input (not a blank patch)
  const seesInput = (v: number): boolean => {
    const [iv, jv] = [Math.floor((v % plane) / ow), v % ow];
    for (let c = 0; c < C; c++) for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) if (x[at(cs.input, c, iv + p, jv + q)] !== 0) return true;
    return false;
  };
  let candidates: number[];
  if (pooled) {
    const ps = shapes[poolIndex] as PoolShape;
    const k = ps.size;
    const winners = [...new Set(st.argmax[poolIndex + 1])].sort((p, q) => p - q);
    const outright = (v: number): boolean => {
      const [fv, iv, jv] = [Math.floor(v / plane), Math.floor((v % plane) / ow), v % ow];
      const [I, J] = [Math.floor(iv / k), Math.floor(jv / k)];
      for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) {
        const o = at(ps.input, fv, I * k + p, J * k + q);
        if (o !== v && st.a[poolIndex][o] === st.a[poolIndex][v]) return false;
      }
      return true;
    };
    const preferred = winners.filter((v) => outright(v) && seesInput(v));
    candidates = preferred.length > 0 ? preferred : winners;
  } else {
    const all = Array.from({ length: cs.output.channels * plane }, (_, v) => v);
    const preferred = all.filter(seesInput);
    candidates = preferred.length > 0 ? preferred : all;
  }
  const u = candidates.reduce((best, v) => (Math.abs(delta[v]) > Math.abs(delta[best]) || (Math.abs(delta[v]) === Math.abs(delta[best]) && a[v] > a[best]) ? v : best), candidates[0]);
  const f = Math.floor(u / plane);
  const i = Math.floor((u % plane) / ow);
  const j = u % ow;

  // forward: z_f(i,j) = b_f + Σ_c,p,q w_f,c(p,q)·x_c(i+p, j+q)
  const W = net.W[conv];
  let weighted = 0;
  for (let c = 0; c < C; c++) for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) weighted += W[((f * C + c) * K + p) * K + q] * x[at(cs.input, c, i + p, j + q)];
  const bias = net.b[conv][f];

  // the pool window it wins, and the others of that window
  let pool: PooledUnitChain['pool'] = null;
  const losers: PooledUnitChain['losers'] = [];
  let outAt = u; // where the unit's output is read from above: the pooled a' or a itself
  let outVolume: Volume = cs.output;
  if (pooled) {
    const ps = shapes[poolIndex] as PoolShape;
    const k = ps.size;
    const I = Math.floor(i / k);
    const J = Math.floor(j / k);
    const window: number[] = [];
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) {
        const v = at(ps.input, f, I * k + p, J * k + q);
        window.push(st.a[poolIndex][v]);
        if (v !== u) losers.push({ i: I * k + p, j: J * k + q, a: a[v], engineDelta: delta[v] });
      }
    }
    outAt = at(ps.output, f, I, J);
    outVolume = ps.output;
    pool = { index: poolIndex, size: k, I, J, window, argmax: [i - I * k, j - J * k], value: st.a[poolIndex + 1][outAt] };
  }

  // upstream: ∂C/∂a at the unit's output, the sum over the paths through the layer above
  const upstreamEngine = engineGradientBelow(lesson, aboveIndex)[outAt];
  const upstream = shownSum(pathsThrough(lesson, aboveIndex, outAt), top, upstreamEngine);
  const above = shapes[aboveIndex];
  const atText = above.kind === 'dense' ? `input k = ${outAt} (channel ${f}, row ${Math.floor((outAt % (outVolume.height * outVolume.width)) / outVolume.width)}, col ${outAt % outVolume.width})` : `channel ${f}, row ${pool ? pool.I : i}, col ${pool ? pool.J : j}`;

  const sp = derivative(activation, z.subarray(u, u + 1), a.subarray(u, u + 1))[0];
  const unitA = `a_${f}(${i},${j})`;
  const unitZ = `z_${f}(${i},${j})`;
  const upstreamFormula = above.kind === 'dense' ? 'Σ_j w_jk·δ_j' : above.kind === 'conv' ? "Σ w·δ (the layer above's taps)" : '∂max/∂a · upstream';
  const factors: Factor[] = pool
    ? [
        { symbol: `∂C/∂a'_${f}(${pool.I},${pool.J})`, formula: upstreamFormula, value: upstream.sum },
        { symbol: `∂a'_${f}(${pool.I},${pool.J})/∂${unitA}`, formula: '1 (arg-max)', value: 1 },
        { symbol: `∂${unitA}/∂${unitZ}`, formula: "σ'(z)", value: sp },
      ]
    : [
        { symbol: `∂C/∂${unitA}`, formula: upstreamFormula, value: upstream.sum },
        { symbol: `∂${unitA}/∂${unitZ}`, formula: "σ'(z)", value: sp },
      ];

  // one weight of filter f: the tap (c,p,q) of this unit that reads the largest |x|
  let best = { c: 0, p: 0, q: 0 };
  for (let c = 0; c < C; c++) for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) if (Math.abs(x[at(cs.input, c, i + p, j + q)]) > Math.abs(x[at(cs.input, best.c, i + best.p, j + best.q)])) best = { c, p, q };
  const { c, p, q } = best;
  const wIndex = cs.w + ((f * C + c) * K + p) * K + q;
  const terms: SumTerm[] = [];
  let nonZero = 0;
  let biasSum = 0;
  for (let i2 = 0; i2 < oh; i2++) {
    for (let j2 = 0; j2 < ow; j2++) {
      const d = delta[f * plane + i2 * ow + j2];
      const xv = x[(c * H + i2 + p) * Wd + j2 + q];
      if (d !== 0) nonZero++;
      biasSum += d;
      terms.push({ from: `(i,j) (${i2},${j2})`, left: d, right: xv, product: d * xv });
    }
  }
  const xUnit = x[at(cs.input, c, i + p, j + q)];
  const bIndex = cs.b + f;
  // finite differences last: they run the forward pass again in ws (masks of ones, the example)
  const fdW = numericalGradientLayered(net, ws, 1, wIndex, h);
  const fdB = numericalGradientLayered(net, ws, 1, bIndex, h);
  const sum = shownSum(terms, top, st.grad[wIndex]);
  return {
    conv,
    activation,
    f,
    i,
    j,
    chosen: pooled ? 'winner' : 'largest δ',
    forward: { bias, taps: C * K * K, weighted, z: bias + weighted, engineZ: z[u], a: a[u] },
    pool,
    dropouts,
    above: { index: aboveIndex, kind: above.kind, spec: describeLayers([net.layers[aboveIndex]]), at: atText, upstream },
    factors,
    delta: multiply(factors),
    engineDelta: delta[u],
    losers,
    weight: { index: wIndex, name: `w_${f},${c}(${p},${q})`, c, p, q, w: W[((f * C + c) * K + p) * K + q], x: xUnit, term: delta[u] * xUnit, positions: plane, nonZero, sum, finiteDifference: fdW, relativeError: relativeError(st.grad[wIndex], fdW) },
    bias: { index: bIndex, name: `b_${f}`, sum: biasSum, engine: st.grad[bIndex], finiteDifference: fdB, relativeError: relativeError(st.grad[bIndex], fdB) },
    h,
  };
}
