/**
 * A fully connected network: layer sizes, and all weights and biases in one flat Float64Array.
 *
 * Layers are numbered as arrays are: sizes[0] is the input (784 pixels), sizes[L] the output
 * (10 digits), and weight layer l = 0..L−1 maps layer l to layer l+1 (the book's W^{l+2}).
 *
 * Storage of W^l (n_out × n_in in the book, w_jk = from neuron k to neuron j) is input-major:
 *     W[l][k * n_out + j] = w_jk
 * so that every hot loop runs over j, the neurons of the layer above, in contiguous memory:
 * z = W·a + b becomes "for each input k with a_k ≠ 0: z += a_k · (row k of W)", which is also
 * what lets the first layer skip the 81 % of MNIST pixels that are exactly 0.
 */
import type { Activation, Cost, OutputActivation } from './functions.js';
import { Random } from './random.js';

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
  /** Every parameter: for each layer l, W^l (n_in·n_out numbers) then b^l (n_out numbers).
   *  Training moves it into the kernels' memory (a new view: see moveNetworkInto in workspace.ts). */
  params: Float64Array;
  /** W[l]: views into params, input-major (see above). */
  W: Float64Array[];
  /** b[l]: views into params, one bias per neuron of layer l+1. */
  b: Float64Array[];
}

export const INITS = ['normal', 'scaled'] as const;
export type Init = (typeof INITS)[number];

/** Number of parameters of a network with these sizes. */
export function parameterCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return n;
}

/** Per-layer views [W[l]…], [b[l]…] of a block laid out as Network.params. */
export function layerViews(sizes: readonly number[], block: Float64Array): [Float64Array[], Float64Array[]] {
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    W.push(block.subarray(at, at + nIn * nOut));
    at += nIn * nOut;
    b.push(block.subarray(at, at + nOut));
    at += nOut;
  }
  return [W, b];
}

/** A network with every parameter 0 (fill it with `initialize` or from a model file). */
export function allocateNetwork(config: NetworkConfig): Network {
  const { sizes } = config;
  if (sizes.length < 2) throw new RangeError('a network needs at least an input and an output layer');
  for (const n of sizes) if (!Number.isInteger(n) || n < 1) throw new RangeError(`layer size ${n} is not a positive integer`);
  const block = new Float64Array(parameterCount(sizes));
  const [W, b] = layerViews(sizes, block);
  return { sizes: [...sizes], activation: config.activation, output: config.output, cost: config.cost, params: block, W, b };
}

/**
 * Random initial parameters, drawn in network.py's order (all biases layer by layer, then all
 * weights, each W row by row as w_jk), so the C reference with the same seed starts from the
 * same network.
 * - normal: every weight and bias ~ N(0, 1) (network.py).
 * - scaled: weights ~ N(0, 1/n_in) (network2.py), N(0, 2/n_in) for ReLU layers (He); biases ~ N(0, 1).
 */
export function initialize(net: Network, rng: Random, init: Init = 'normal'): void {
  const L = net.sizes.length - 1;
  for (let l = 0; l < L; l++) for (let j = 0; j < net.sizes[l + 1]; j++) net.b[l][j] = rng.gauss();
  for (let l = 0; l < L; l++) {
    const nIn = net.sizes[l];
    const nOut = net.sizes[l + 1];
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
