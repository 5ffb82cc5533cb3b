/**
 * The one parameter layout: where every weight and bias of a network lives in its flat block
 * (Network.params, the gradient, the momentum velocity, the model file's order, the fast
 * kernels' memory). Everything that indexes parameters goes through this file.
 *
 * Layers are numbered as arrays are: sizes[0] is the input (784 pixels), sizes[L] the output
 * (10 digits), and weight layer l = 0..L−1 maps layer l to layer l+1 (the book's W^{l+2}).
 * The block holds, for each weight layer in turn:
 *
 *     W^l   n_in · n_out numbers, input-major: W[k · n_out + j] = w_jk (from neuron k to neuron j)
 *     b^l   n_out numbers
 *
 * Input-major storage lets every hot loop run over j, the neurons of the layer above, in
 * contiguous memory: z = W·a + b becomes "for each input k with a_k ≠ 0: z += a_k · (row k of W)",
 * which is also what lets the first layer skip the 81 % of MNIST pixels that are exactly 0.
 */

/** One fully connected weight layer: its shape and where its W and b start in the block. */
export interface DenseShape {
  kind: 'dense';
  /** Neurons of the layer below (inputs) and above (outputs). */
  nIn: number;
  nOut: number;
  /** Offsets in the block of W (nIn · nOut numbers) and b (nOut numbers). */
  w: number;
  b: number;
}

export interface Layout {
  sizes: readonly number[];
  /** layers[l]: weight layer l (layer l → layer l+1). */
  layers: DenseShape[];
  /** Numbers in the block. */
  count: number;
}

/** Thrown for layer sizes no network can have. */
export class LayoutError extends Error {
  constructor(
    readonly sizes: readonly unknown[],
    readonly problem: 'too few layers' | 'not a positive integer',
    readonly layer?: number,
  ) {
    super(problem === 'too few layers' ? 'a network needs at least an input and an output layer' : `layer size ${String(sizes[layer!])} is not a positive integer`);
    this.name = 'LayoutError';
  }
}

/** The layout of a fully connected network with these layer sizes (input first). */
export function layoutOf(sizes: readonly number[]): Layout {
  if (sizes.length < 2) throw new LayoutError(sizes, 'too few layers');
  sizes.forEach((n, l) => {
    if (!Number.isSafeInteger(n) || n < 1) throw new LayoutError(sizes, 'not a positive integer', l);
  });
  const layers: DenseShape[] = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    layers.push({ kind: 'dense', nIn, nOut, w: at, b: at + nIn * nOut });
    at += nIn * nOut + nOut;
  }
  return { sizes: [...sizes], layers, count: at };
}

/** Number of parameters of a network with these sizes. */
export function parameterCount(sizes: readonly number[]): number {
  return layoutOf(sizes).count;
}

/** Per-layer views [W[l]…], [b[l]…] of a block laid out as `layout`. */
export function layerViews(layout: Layout, block: Float64Array): [Float64Array[], Float64Array[]] {
  const W = layout.layers.map((s) => block.subarray(s.w, s.w + s.nIn * s.nOut));
  const b = layout.layers.map((s) => block.subarray(s.b, s.b + s.nOut));
  return [W, b];
}

/** Index in the block of w_jk of weight layer l (from neuron k of layer l to neuron j of layer l+1). */
export function weightIndex(layout: Layout, l: number, j: number, k: number): number {
  const s = layout.layers[l];
  return s.w + k * s.nOut + j;
}

/** Index in the block of b_j of weight layer l. */
export function biasIndex(layout: Layout, l: number, j: number): number {
  return layout.layers[l].b + j;
}

/** What parameter `index` is: a weight w_jk or a bias b_j of weight layer l. */
export interface ParamAt {
  kind: 'w' | 'b';
  l: number;
  j: number;
  /** For a weight: the neuron of layer l it comes from. */
  k?: number;
}

export function paramAt(layout: Layout, index: number): ParamAt {
  if (!Number.isInteger(index) || index < 0 || index >= layout.count) throw new RangeError(`parameter ${index} of ${layout.count}`);
  let l = layout.layers.length - 1;
  while (layout.layers[l].w > index) l--;
  const s = layout.layers[l];
  if (index < s.b) {
    const r = index - s.w;
    return { kind: 'w', l, j: r % s.nOut, k: Math.floor(r / s.nOut) };
  }
  return { kind: 'b', l, j: index - s.b };
}
