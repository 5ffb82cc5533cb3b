/**
 * A network described as a list of layers (conv, pool, dropout, dense), composed in order
 * forward and in reverse backward, written as the mathematics (Nielsen, ch. 2 and 6):
 *
 *   forward:   a^(i+1) = layer_i(a^i)            conv/dense: z = w ∗ a + b or W a + b, then a = σ(z)
 *   BP1:       δ^L = ∂C/∂a ⊙ σ'(z^L)             (the cost's delta, functions.ts)
 *   backward:  g^i = ∂C/∂a^i = layer_i'(g^(i+1))  (each layer's backward: layers/*.ts)
 *              δ = g ⊙ σ'(z) before a conv or dense layer's backward (BP2's ⊙ σ')
 *   SGD:       p ← p − η·(1/m) Σ_x ∂C_x/∂p       (with L2 and momentum as the MLP has them)
 *
 * The last layer is dense and is the output layer (sigmoid or softmax). The conv, pool and dense
 * loops come from the workspace (LayerOps): the readable ones of layers/*.ts, or their
 * WebAssembly twins (fast/layered.ts), which give the same numbers bit for bit; everything else
 * here (activations, costs, dropout, the step) is shared by both. An MLP described by sizes
 * (network.ts) keeps its own representation and fast engine (fast/engine.ts). Flat typed arrays,
 * m examples at once, example-major, channel-major inside ([x][c][i][j]); buffers allocated once
 * per run.
 */
import { activate, activateOutput, argmax, costFunction, costOfBatch, mulDerivative, type Activation, type Cost, type OutputActivation } from './functions.js';
import { convBackward, convForward, type ConvDims } from './layers/conv.js';
import { denseBackwardRows, denseForward } from './layers/dense.js';
import { dropoutBackward, dropoutForward, dropoutIdentity } from './layers/dropout.js';
import { poolBackward, poolForward, type PoolDims } from './layers/pool.js';
import { sizeOf, stackLayoutOf, type ShapeRequest, type StackLayout, type StackShape, type Volume } from './layout.js';
import type { Init } from './network.js';
import type { Random } from './random.js';

export type LayerSpec =
  | { kind: 'conv'; filters: number; size: number; activation: Activation }
  | { kind: 'pool'; size: number }
  | { kind: 'dropout'; p: number }
  | { kind: 'dense'; units: number; activation: Activation | 'softmax' };

export interface LayeredConfig {
  /** The images: channels × height × width (1 × 28 × 28 for MNIST). */
  input: Volume;
  /** Every layer, the output layer last (a dense layer whose activation is sigmoid or softmax). */
  layers: LayerSpec[];
  cost: Cost;
}

export interface LayeredNetwork extends LayeredConfig {
  kind: 'layered';
  layout: StackLayout;
  /** The output layer's activation (the last layer's). */
  output: OutputActivation;
  /** Every parameter, laid out by `layout`. */
  params: Float64Array;
  /** W[i], b[i]: views into params of layer i's weights and biases (empty for pool and dropout). */
  W: Float64Array[];
  b: Float64Array[];
  /** dims[i]: the shape the loops of conv and pool layer i take (null for dense and dropout), made once. */
  dims: (ConvDims | PoolDims | null)[];
}

/** Thrown for a layer list that is not a network (softmax before the end, no dense output, …). */
export class LayerListError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'LayerListError';
  }
}

export function isLayered(net: object): net is LayeredNetwork {
  return (net as { kind?: string }).kind === 'layered';
}

/** A layer list as text: conv:20x5,pool:2,dense:100,dense:10:softmax (activations written out). */
export function describeLayers(layers: readonly LayerSpec[]): string {
  return layers
    .map((s) => {
      switch (s.kind) {
        case 'conv':
          return `conv:${s.filters}x${s.size}:${s.activation}`;
        case 'pool':
          return `pool:${s.size}`;
        case 'dropout':
          return `dropout:${s.p}`;
        case 'dense':
          return `dense:${s.units}:${s.activation}`;
      }
    })
    .join(',');
}

/** Throws LayerListError unless the list ends in a dense sigmoid or softmax output layer, with softmax nowhere else. Returns the output activation. */
export function checkLayers(layers: readonly LayerSpec[]): OutputActivation {
  const last = layers[layers.length - 1];
  if (!last || last.kind !== 'dense') throw new LayerListError('the last layer must be a dense output layer');
  if (last.activation !== 'sigmoid' && last.activation !== 'softmax') throw new LayerListError(`the output layer's activation must be sigmoid or softmax, not ${last.activation}`);
  layers.forEach((s, i) => {
    if (i < layers.length - 1 && s.kind === 'dense' && s.activation === 'softmax') throw new LayerListError(`layer ${i + 1}: softmax is only for the output layer`);
  });
  return last.activation;
}

/** Points net.W and net.b at net.params. */
function viewsOf(layout: StackLayout, params: Float64Array): [Float64Array[], Float64Array[]] {
  const empty = new Float64Array(0);
  const W = layout.layers.map((s) => (s.kind === 'conv' || s.kind === 'dense' ? params.subarray(s.w, s.b) : empty));
  const b = layout.layers.map((s) => (s.kind === 'conv' ? params.subarray(s.b, s.b + s.filters) : s.kind === 'dense' ? params.subarray(s.b, s.b + s.nOut) : empty));
  return [W, b];
}

/** The parameter layout of a layer list (throws StackLayoutError for shapes that do not fit). */
export function layoutOfLayers(input: Volume, layers: readonly LayerSpec[]): StackLayout {
  return stackLayoutOf(
    input,
    layers.map((s): ShapeRequest => (s.kind === 'conv' ? { kind: 'conv', filters: s.filters, size: s.size } : s.kind === 'pool' ? { kind: 'pool', size: s.size } : s.kind === 'dropout' ? { kind: 'dropout', p: s.p } : { kind: 'dense', units: s.units })),
  );
}

/** A layered network with every parameter 0. Throws LayerListError or StackLayoutError for a list that is no network. */
export function allocateLayered(config: LayeredConfig): LayeredNetwork {
  const output = checkLayers(config.layers);
  const layout = layoutOfLayers(config.input, config.layers);
  const params = new Float64Array(layout.count);
  const [W, b] = viewsOf(layout, params);
  const dims = layout.layers.map((s) => (s.kind === 'conv' ? convDims(s) : s.kind === 'pool' ? poolDims(s) : null));
  return { kind: 'layered', input: { ...config.input }, layers: config.layers.map((s) => ({ ...s })), cost: config.cost, output, layout, params, W, b, dims };
}

/** Points net.W and net.b at `params` (a block of the same layout) and makes it net.params. */
export function adoptLayeredParameters(net: LayeredNetwork, params: Float64Array): void {
  net.params = params;
  [net.W, net.b] = viewsOf(net.layout, params);
}

/** Inputs feeding one unit of a layer (n_in of the scaled initialisation). */
function fanIn(s: StackShape): number {
  return s.kind === 'conv' ? s.input.channels * s.size * s.size : s.kind === 'dense' ? s.nIn : 1;
}

/**
 * Random initial parameters: all biases layer by layer, then all weights in the order they are
 * stored (a conv layer's w[f][c][p][q], a dense layer's W input-major), which is not network.py's
 * row-by-row order: `--layers dense:30` starts from another network than `--hidden 30` with the
 * same seed. Normal N(0, 1) everywhere, or scaled: weights N(0, 1/n_in) (He N(0, 2/n_in) before a
 * ReLU), n_in the inputs of one unit (C·k² for a filter), biases N(0, 1); or he: the weights
 * of scaled and biases 0 (none drawn).
 */
export function initializeLayered(net: LayeredNetwork, rng: Random, init: Init = 'scaled'): void {
  const { layers } = net.layout;
  for (let i = 0; i < layers.length; i++) for (let j = 0; j < net.b[i].length; j++) net.b[i][j] = init === 'he' ? 0 : rng.gauss();
  for (let i = 0; i < layers.length; i++) {
    const spec = net.layers[i];
    const relu = (spec.kind === 'conv' || spec.kind === 'dense') && spec.activation === 'relu';
    const scale = init === 'normal' ? 1 : Math.sqrt((relu ? 2 : 1) / fanIn(layers[i]));
    const W = net.W[i];
    for (let j = 0; j < W.length; j++) W[j] = rng.gauss() * scale;
  }
}

export function createLayered(config: LayeredConfig, rng: Random, init: Init = 'scaled'): LayeredNetwork {
  const net = allocateLayered(config);
  initializeLayered(net, rng, init);
  return net;
}

export function cloneLayered(net: LayeredNetwork): LayeredNetwork {
  const copy = allocateLayered(net);
  copy.params.set(net.params);
  return copy;
}

/**
 * The loops of the conv, pool and dense layers, as one set: the readable ones of layers/*.ts
 * (readableOps), or their WebAssembly twins (fast/layered.ts), which give the same results bit
 * for bit on buffers that live in the kernels' memory. A workspace carries the set its buffers
 * were made for; the composition below (forward, backward, step) is the same for both.
 */
export interface LayerOps {
  convForward: typeof convForward;
  convBackward: typeof convBackward;
  poolForward: typeof poolForward;
  poolBackward: typeof poolBackward;
  denseForward: typeof denseForward;
  denseBackwardRows: typeof denseBackwardRows;
}

export const readableOps: LayerOps = { convForward, convBackward, poolForward, poolBackward, denseForward, denseBackwardRows };

/** Makes a workspace's buffers: plain typed arrays, or views into the kernels' memory (fast/layered.ts). */
export interface BufferMaker {
  f64(n: number): Float64Array;
  i32(n: number): Int32Array;
}

const plainBuffers: BufferMaker = { f64: (n) => new Float64Array(n), i32: (n) => new Int32Array(n) };

/** Buffers for mini-batches of up to m examples; allocated once per run. */
export interface LayeredWorkspace {
  m: number;
  /** The layers' loops for these buffers. */
  ops: LayerOps;
  /** a[i]: the input of layer i (a[0] the images, pixels in [0, 1]); a[n] the output. */
  a: Float64Array[];
  /** z[i+1]: the weighted input of conv or dense layer i (empty for pool and dropout). */
  z: Float64Array[];
  /** g[i] = ∂C/∂a[i] (turned into δ = ∂C/∂z in place before a conv or dense backward); g[n] = δ^L. */
  g: Float64Array[];
  /** Pool layer i: argmax[i+1][o] = index in a[i] of the input output o took. */
  argmax: Int32Array[];
  /** Dropout layer i: the mask of the last training pass. */
  mask: Float64Array[];
  y: Int32Array;
  /** Gradient of the mini-batch's average cost, laid out as params, and its views per layer (as W and b). */
  grad: Float64Array;
  gradW: Float64Array[];
  gradB: Float64Array[];
  /** Momentum velocity, laid out as params (empty when momentum is off). */
  velocity: Float64Array;
}

export function createLayeredWorkspace(net: LayeredNetwork, m: number, withVelocity = false, ops: LayerOps = readableOps, make: BufferMaker = plainBuffers): LayeredWorkspace {
  const { layers, input, count } = net.layout;
  const sizes = [sizeOf(input), ...layers.map((s) => sizeOf(s.output))];
  const none = new Float64Array(0);
  const grad = make.f64(count);
  const [gradW, gradB] = viewsOf(net.layout, grad);
  return {
    m,
    ops,
    a: sizes.map((n) => make.f64(m * n)),
    z: sizes.map((n, i) => (i > 0 && (layers[i - 1].kind === 'conv' || layers[i - 1].kind === 'dense') ? make.f64(m * n) : none)),
    g: sizes.map((n, i) => (i > 0 ? make.f64(m * n) : none)),
    argmax: sizes.map((n, i) => (i > 0 && layers[i - 1].kind === 'pool' ? make.i32(m * n) : new Int32Array(0))),
    mask: sizes.map((n, i) => (i > 0 && layers[i - 1].kind === 'dropout' ? make.f64(m * n) : none)),
    y: new Int32Array(m),
    grad,
    gradW,
    gradB,
    velocity: withVelocity ? make.f64(count) : none,
  };
}

const convDims = (s: { input: Volume; filters: number; size: number }): ConvDims => ({ channels: s.input.channels, height: s.input.height, width: s.input.width, filters: s.filters, size: s.size });
const poolDims = (s: { input: Volume; size: number }): PoolDims => ({ channels: s.input.channels, height: s.input.height, width: s.input.width, size: s.size });

/**
 * Forward pass of m examples from ws.a[0] to the output ws.a[n], keeping every z and a. With
 * `dropout` a generator (training), dropout layers draw new masks from it; with 'replay' they
 * apply the masks of the last training pass again (gradient checking); with null they are the
 * identity (evaluation).
 */
export function feedforwardLayered(net: LayeredNetwork, ws: LayeredWorkspace, m: number, dropout: Random | 'replay' | null = null): void {
  const { layers } = net.layout;
  const { ops } = ws;
  const last = layers.length - 1;
  for (let i = 0; i <= last; i++) {
    const s = layers[i];
    const spec = net.layers[i];
    const a = ws.a[i];
    const out = ws.a[i + 1];
    const n = m * sizeOf(s.output);
    switch (s.kind) {
      case 'conv':
        ops.convForward(net.W[i], net.b[i], a, ws.z[i + 1], m, net.dims[i] as ConvDims); // z = w ∗ a + b
        activate((spec as { activation: Activation }).activation, ws.z[i + 1], out, 0, n); // a = σ(z)
        break;
      case 'dense':
        ops.denseForward(net.W[i], net.b[i], a, ws.z[i + 1], m, s.nIn, s.nOut); // z = W a + b
        if (i < last) activate((spec as { activation: Activation }).activation, ws.z[i + 1], out, 0, n); // a = σ(z)
        else for (let x = 0; x < m; x++) activateOutput(net.output, ws.z[i + 1], out, x * s.nOut, s.nOut);
        break;
      case 'pool':
        ops.poolForward(a, out, ws.argmax[i + 1], m, net.dims[i] as PoolDims); // a' = max over each window
        break;
      case 'dropout':
        if (dropout === 'replay') dropoutBackward(a, ws.mask[i + 1], out, n); // a' = a ⊙ r, the same r
        else if (dropout) dropoutForward(a, out, ws.mask[i + 1], n, s.p, dropout); // a' = a ⊙ r
        else dropoutIdentity(a, out, n);
        break;
    }
  }
}

/** Σ_x C_x of the m examples after `feedforwardLayered`, labels in ws.y. */
export function costSumLayered(net: LayeredNetwork, ws: LayeredWorkspace, m: number): number {
  const L = net.layout.layers.length;
  const nL = sizeOf(net.layout.layers[L - 1].output);
  return costOfBatch(costFunction(net.cost, net.output), ws.z[L], ws.a[L], ws.y, m, nL);
}

/**
 * Backward pass of m examples after `feedforwardLayered` (the same dropout masks), labels in
 * ws.y: fills ws.grad with the gradient of the batch's average cost. Returns Σ_x C_x.
 */
export function backpropLayered(net: LayeredNetwork, ws: LayeredWorkspace, m: number): number {
  const { layers } = net.layout;
  const L = layers.length;
  const nL = sizeOf(layers[L - 1].output);
  const C = costFunction(net.cost, net.output);
  const { ops } = ws;
  ws.grad.fill(0);
  let cost = 0;
  for (let x = 0; x < m; x++) {
    cost += C.fn(ws.z[L], ws.a[L], x * nL, nL, ws.y[x]);
    C.delta(ws.a[L], ws.g[L], x * nL, nL, ws.y[x]); // BP1: δ^L = ∂C/∂a ⊙ σ'(z^L)
  }
  for (let i = L - 1; i >= 0; i--) {
    const s = layers[i];
    const spec = net.layers[i];
    const up = ws.g[i + 1]; // ∂C/∂a of this layer's output (δ^L for the output layer)
    const below = i > 0 ? ws.g[i] : null; // nothing below the images needs a gradient
    const n = m * sizeOf(s.output);
    switch (s.kind) {
      case 'conv':
        mulDerivative((spec as { activation: Activation }).activation, ws.z[i + 1], ws.a[i + 1], up, n); // δ = ∂C/∂a ⊙ σ'(z)
        // ∂C/∂b = Σ δ, ∂C/∂w = a ⋆ δ, and ∂C/∂a below = δ fully correlated with the flipped kernel
        ops.convBackward(net.W[i], ws.a[i], up, ws.gradW[i], ws.gradB[i], below, m, net.dims[i] as ConvDims);
        break;
      case 'dense':
        if (i < L - 1) mulDerivative((spec as { activation: Activation }).activation, ws.z[i + 1], ws.a[i + 1], up, n); // BP2: ⊙ σ'(z)
        // BP3, BP4: ∂C/∂b = δ, ∂C/∂W = δ aᵀ; and ∂C/∂a below = Wᵀ δ
        ops.denseBackwardRows(net.W[i], ws.a[i], up, ws.gradW[i], ws.gradB[i], below, m, s.nIn, s.nOut);
        break;
      case 'pool':
        if (below) ops.poolBackward(up, ws.argmax[i + 1], below, m, net.dims[i] as PoolDims); // to each window's arg-max
        break;
      case 'dropout':
        if (below) dropoutBackward(up, ws.mask[i + 1], below, n); // ∂C/∂a = r ⊙ ∂C/∂a'
        break;
    }
  }
  return cost;
}

export interface LayeredStep {
  /** Learning rate η. */
  eta: number;
  /** L2 regularisation λ (0: none), on weights only: ∂C/∂w gains (λ/n)·w. */
  lambda: number;
  /** Size of the training set, the n of λ/n. */
  n: number;
  /** Classical momentum μ (0: plain SGD): v ← μv − η∇C, p ← p + v. */
  momentum: number;
}

/**
 * One SGD step with the gradient in ws.grad (the batch's average, backpropLayered):
 *   plain:     p ← p − η (∂C/∂p + (λ/n) p)              (the λ term for weights only)
 *   momentum:  v ← μ v − η (∂C/∂p + (λ/n) p),  p ← p + v
 */
export function sgdStepLayered(net: LayeredNetwork, ws: LayeredWorkspace, opt: LayeredStep): void {
  const p = net.params;
  const g = ws.grad;
  const v = ws.velocity;
  const { eta, momentum } = opt;
  const decay = opt.lambda / opt.n;
  for (const s of net.layout.layers) {
    if (s.kind !== 'conv' && s.kind !== 'dense') continue;
    const end = s.kind === 'conv' ? s.b + s.filters : s.b + s.nOut;
    for (let i = s.w; i < end; i++) {
      const d = i < s.b && decay !== 0 ? g[i] + decay * p[i] : g[i]; // ∂C/∂p (+ (λ/n) w for a weight)
      if (momentum !== 0) {
        v[i] = momentum * v[i] - eta * d;
        p[i] += v[i];
      } else p[i] -= eta * d;
    }
  }
}

export interface EvalCounts {
  correct: number;
  count: number;
  /** Average cost per example (without any L2 term). */
  cost: number;
}

/** The output layer's size (the classes). */
export function outputsOf(net: LayeredNetwork): number {
  return sizeOf(net.layout.layers[net.layout.layers.length - 1].output);
}

/** Inputs per example (c · h · w). */
export function inputsOf(net: LayeredNetwork): number {
  return sizeOf(net.layout.input);
}

/**
 * Accuracy and cost over `count` examples that `fill(ws, start, m)` puts into ws.a[0] and ws.y
 * (m at a time, m ≤ ws.m); optionally each example's predicted class and output activations.
 */
export function evaluateLayered(
  net: LayeredNetwork,
  ws: LayeredWorkspace,
  count: number,
  fill: (ws: LayeredWorkspace, start: number, m: number) => void,
  record?: { predicted?: Uint8Array; outputs?: Float64Array },
): EvalCounts {
  const L = net.layout.layers.length;
  const nL = outputsOf(net);
  const C = costFunction(net.cost, net.output);
  let correct = 0;
  let cost = 0;
  for (let start = 0; start < count; start += ws.m) {
    const m = Math.min(ws.m, count - start);
    fill(ws, start, m);
    feedforwardLayered(net, ws, m, null);
    const a = ws.a[L];
    for (let x = 0; x < m; x++) {
      const guess = argmax(a, x * nL, nL);
      if (guess === ws.y[x]) correct++;
      cost += C.fn(ws.z[L], a, x * nL, nL, ws.y[x]);
      if (record?.predicted) record.predicted[start + x] = guess;
      if (record?.outputs) for (let j = 0; j < nL; j++) record.outputs[(start + x) * nL + j] = a[x * nL + j];
    }
  }
  return { correct, count, cost: count === 0 ? 0 : cost / count };
}
