/**
 * A network: its layers (the layout of layout.ts) and every weight and bias in one flat
 * Float64Array; the forward pass and backpropagation compose the layers in order and in
 * reverse, written as the mathematics (Nielsen, ch. 2):
 *
 *   forward:   z^l = W^l a^(l−1) + b^l,   a^l = σ(z^l)               (layers/dense.ts, functions.ts)
 *   BP1:       δ^L = ∂C/∂a ⊙ σ'(z^L)                                 (the cost's delta, functions.ts)
 *   BP2:       δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l)
 *   BP3:       ∂C/∂b^l = δ^l
 *   BP4:       ∂C/∂W^l = δ^l (a^(l−1))ᵀ
 *   SGD:       p ← p − η·(1/m) Σ_x ∂C_x/∂p
 *
 * Each backward step is "local derivative × upstream gradient": δ^(l+1) is the upstream
 * gradient ∂C/∂z^(l+1); Wᵀ carries it down to ∂C/∂a^l, and σ'(z^l) carries it through the
 * activation.
 *
 * This is the readable reference. Training runs the fast backend (fast/), held to this file
 * operation by operation by tests: every z bit for bit, the update the same sums in another order
 * (within rounding); gradcheck and explain use this one.
 */
import { activate, activateOutput, costFunction, costOfBatch, mulDerivative, type Activation, type Cost, type OutputActivation } from './functions.js';
import { denseBackward, denseForward } from './layers/dense.js';
import { layerViews, layoutOf, type Layout } from './layout.js';
import type { Random } from './random.js';
import type { Workspace } from './workspace.js';

export interface NetworkConfig {
  /** Layer sizes, input first, e.g. [784, 30, 10]. */
  sizes: number[];
  /** Activation of the hidden layers. */
  activation: Activation;
  /** Activation of the output layer. */
  output: OutputActivation;
  cost: Cost;
}

export interface Network extends NetworkConfig {
  /** Where each layer's parameters live in `params`. */
  layout: Layout;
  /** Every parameter, laid out by `layout`. Training moves it into the fast backend's memory
   *  (a new view: see moveNetworkInto in workspace.ts). */
  params: Float64Array;
  /** W[l]: views into params, input-major (W[l][k·n_out + j] = w_jk). */
  W: Float64Array[];
  /** b[l]: views into params, one bias per neuron of layer l+1. */
  b: Float64Array[];
}

export const INITS = ['normal', 'scaled', 'he'] as const;
export type Init = (typeof INITS)[number];

/** A network with every parameter 0 (fill it with `initialize` or from a model file). */
export function allocateNetwork(config: NetworkConfig): Network {
  const layout = layoutOf(config.sizes);
  const params = new Float64Array(layout.count);
  const [W, b] = layerViews(layout, params);
  return { sizes: [...config.sizes], activation: config.activation, output: config.output, cost: config.cost, layout, params, W, b };
}

/** Points net.W and net.b at `params` (a block of the same layout) and makes it net.params. */
export function adoptParameters(net: Network, params: Float64Array): void {
  net.params = params;
  [net.W, net.b] = layerViews(net.layout, params);
}

/**
 * Random initial parameters, drawn in network.py's order (all biases layer by layer, then all
 * weights, each W row by row as w_jk), so the C reference with the same seed starts from the
 * same network.
 * - normal: every weight and bias ~ N(0, 1) (network.py).
 * - scaled: weights ~ N(0, 1/n_in) (network2.py), N(0, 2/n_in) for ReLU layers (He); biases ~ N(0, 1).
 * - he: the weights of scaled, biases 0 (He et al. 2015; no biases are drawn). A ReLU unit
 *   whose bias starts at −1 or −2 is silent for most inputs; with 0 every unit starts alive.
 */
export function initialize(net: Network, rng: Random, init: Init = 'normal'): void {
  const { layers } = net.layout;
  const L = layers.length;
  for (let l = 0; l < L; l++) for (let j = 0; j < layers[l].nOut; j++) net.b[l][j] = init === 'he' ? 0 : rng.gauss();
  for (let l = 0; l < L; l++) {
    const { nIn, nOut } = layers[l];
    const relu = net.activation === 'relu' && l < L - 1;
    const scale = init === 'normal' ? 1 : Math.sqrt((relu ? 2 : 1) / nIn);
    for (let j = 0; j < nOut; j++) for (let k = 0; k < nIn; k++) net.W[l][k * nOut + j] = rng.gauss() * scale;
  }
}

/** A new network with random parameters from `rng` (see `initialize`). */
export function createNetwork(config: NetworkConfig, rng: Random, init: Init = 'normal'): Network {
  const net = allocateNetwork(config);
  initialize(net, rng, init);
  return net;
}

/** A deep copy (parameters included). */
export function cloneNetwork(net: Network): Network {
  const copy = allocateNetwork(net);
  copy.params.set(net.params);
  return copy;
}

/** Forward pass of m examples: from ws.a[0] (m × n_0) to ws.a[L] (m × n_L), keeping every z and a. */
export function feedforward(net: Network, ws: Workspace, m: number): void {
  const { layers } = net.layout;
  const L = layers.length;
  for (let l = 1; l <= L; l++) {
    const { nIn, nOut } = layers[l - 1];
    denseForward(net.W[l - 1], net.b[l - 1], ws.a[l - 1], ws.z[l], m, nIn, nOut); // z^l = W^l a^(l−1) + b^l
    if (l < L) activate(net.activation, ws.z[l], ws.a[l], 0, m * nOut); // a^l = σ(z^l)
    else for (let x = 0; x < m; x++) activateOutput(net.output, ws.z[l], ws.a[l], x * nOut, nOut);
  }
}

/** Σ_x C_x of the m examples after `feedforward`, labels in ws.y. */
export function costSum(net: Network, ws: Workspace, m: number): number {
  const L = net.layout.layers.length;
  const n = net.sizes[L];
  return costOfBatch(costFunction(net.cost, net.output), ws.z[L], ws.a[L], ws.y, m, n);
}

/**
 * Backward pass of m examples after `feedforward`, labels in ws.y: fills ws.grad (ws.nablaW,
 * ws.nablaB) with the gradient of the batch's average cost (1/m) Σ_x C_x. Returns Σ_x C_x.
 */
export function backprop(net: Network, ws: Workspace, m: number): number {
  const { layers } = net.layout;
  const L = layers.length;
  const nL = net.sizes[L];
  const C = costFunction(net.cost, net.output);
  ws.grad.fill(0);
  let cost = 0;
  for (let x = 0; x < m; x++) {
    cost += C.fn(ws.z[L], ws.a[L], x * nL, nL, ws.y[x]);
    C.delta(ws.a[L], ws.delta[L], x * nL, nL, ws.y[x]); // BP1: δ^L = ∂C/∂a ⊙ σ'(z^L)
  }
  for (let l = L; l >= 1; l--) {
    const { nIn, nOut } = layers[l - 1];
    const below = l > 1 ? ws.delta[l - 1] : null; // δ of the input layer is never needed
    // BP3, BP4: ∂C/∂b^l = δ^l, ∂C/∂W^l = δ^l (a^(l−1))ᵀ; and ∂C/∂a^(l−1) = (W^l)ᵀ δ^l
    denseBackward(net.W[l - 1], ws.a[l - 1], ws.delta[l], ws.nablaW[l - 1], ws.nablaB[l - 1], below, m, nIn, nOut);
    if (below) mulDerivative(net.activation, ws.z[l - 1], ws.a[l - 1], below, m * nIn); // BP2: ⊙ σ'(z^(l−1))
  }
  return cost;
}

/** One plain SGD step with the gradient in ws.grad: every parameter p ← p − η·∂C/∂p. */
export function sgdStep(net: Network, ws: Workspace, eta: number): void {
  const p = net.params;
  const g = ws.grad;
  for (let i = 0; i < p.length; i++) p[i] -= eta * g[i];
}
