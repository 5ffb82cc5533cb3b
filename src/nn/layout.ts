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

/*
 * Layer lists (convolutional networks). A network described as a list of layers (layered.ts)
 * keeps its parameters in one block too, layer after layer in list order; layers without
 * parameters (pool, dropout) take none. Activations flow between layers as [c][i][j] volumes
 * (channel-major), and a dense layer reads the volume below as one flat vector of c·h·w inputs.
 *
 *     conv:   w  F · C · k · k numbers, w[((f·C + c)·k + p)·k + q] = w_f,c(p,q)
 *             b  F numbers
 *     dense:  W  nIn · nOut numbers, input-major as above; b  nOut numbers
 */

/** The shape of the activations between two layers: channels × height × width. */
export interface Volume {
  channels: number;
  height: number;
  width: number;
}

export interface ConvShape {
  kind: 'conv';
  input: Volume;
  output: Volume;
  filters: number;
  size: number;
  /** Offsets in the block of w (filters · channels · size² numbers) and b (filters numbers). */
  w: number;
  b: number;
}

export interface PoolShape {
  kind: 'pool';
  input: Volume;
  output: Volume;
  size: number;
}

export interface DropoutShape {
  kind: 'dropout';
  input: Volume;
  output: Volume;
  p: number;
}

/** A dense layer of a layer list: a DenseShape with the volumes it reads and writes. */
export interface StackDenseShape extends DenseShape {
  input: Volume;
  output: Volume;
}

export type StackShape = ConvShape | PoolShape | DropoutShape | StackDenseShape;

/** What a layer list asks for (before shapes are known): the layer kinds of layered.ts, without activations. */
export type ShapeRequest = { kind: 'conv'; filters: number; size: number } | { kind: 'pool'; size: number } | { kind: 'dropout'; p: number } | { kind: 'dense'; units: number };

export interface StackLayout {
  input: Volume;
  layers: StackShape[];
  /** Numbers in the block. */
  count: number;
}

/** Thrown for a layer list no network can have (a filter larger than its input, …). */
export class StackLayoutError extends Error {
  constructor(
    /** Index of the offending layer in the list. */
    readonly layer: number,
    readonly problem: string,
  ) {
    super(`layer ${layer + 1}: ${problem}`);
    this.name = 'StackLayoutError';
  }
}

const volumeSize = (v: Volume) => v.channels * v.height * v.width;
const positiveInt = (n: number) => Number.isSafeInteger(n) && n >= 1;

/** The layout of a layer list reading `input` volumes. */
export function stackLayoutOf(input: Volume, requests: readonly ShapeRequest[]): StackLayout {
  if (requests.length === 0) throw new StackLayoutError(0, 'a network needs at least one layer');
  const layers: StackShape[] = [];
  let at = 0;
  let v: Volume = { ...input };
  requests.forEach((r, i) => {
    const fail = (problem: string): never => {
      throw new StackLayoutError(i, problem);
    };
    switch (r.kind) {
      case 'conv': {
        if (!positiveInt(r.filters) || !positiveInt(r.size)) fail('filters and size must be positive integers');
        if (r.size > v.height || r.size > v.width) fail(`a ${r.size}×${r.size} filter does not fit its ${v.height}×${v.width} input`);
        const output = { channels: r.filters, height: v.height - r.size + 1, width: v.width - r.size + 1 };
        const nw = r.filters * v.channels * r.size * r.size;
        layers.push({ kind: 'conv', input: v, output, filters: r.filters, size: r.size, w: at, b: at + nw });
        at += nw + r.filters;
        v = output;
        break;
      }
      case 'pool': {
        if (!positiveInt(r.size)) fail('the pool size must be a positive integer');
        if (r.size > v.height || r.size > v.width) fail(`a ${r.size}×${r.size} pool does not fit its ${v.height}×${v.width} input`);
        const output = { channels: v.channels, height: Math.floor(v.height / r.size), width: Math.floor(v.width / r.size) };
        layers.push({ kind: 'pool', input: v, output, size: r.size });
        v = output;
        break;
      }
      case 'dropout':
        if (!(r.p >= 0 && r.p < 1)) fail('the dropout probability must be in [0, 1)');
        layers.push({ kind: 'dropout', input: v, output: v, p: r.p });
        break;
      case 'dense': {
        if (!positiveInt(r.units)) fail('the units must be a positive integer');
        const nIn = volumeSize(v);
        const output = { channels: r.units, height: 1, width: 1 };
        layers.push({ kind: 'dense', input: v, output, nIn, nOut: r.units, w: at, b: at + nIn * r.units });
        at += nIn * r.units + r.units;
        v = output;
        break;
      }
    }
  });
  return { input: { ...input }, layers, count: at };
}

/** Numbers per example of a volume (c · h · w). */
export function sizeOf(v: Volume): number {
  return volumeSize(v);
}
