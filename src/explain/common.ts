/**
 * What the steps of the lesson share: naming parameters and layers the book's way, loading
 * examples into a workspace, and copying the engine's state of one example.
 *
 * Layers are numbered as in network.ts: 0 is the input, L = sizes.length − 1 the output; a
 * parameter of "layer l" is one of the weights or biases feeding layer l (the book's w^l, b^l),
 * which is weight layer l − 1 of layout.ts.
 */
import { gatherImage, type DigitSet } from '../data/dataset.js';
import { argmax, mulDerivative, type Activation } from '../nn/functions.js';
import { biasIndex, paramAt, weightIndex, type Layout } from '../nn/layout.js';
import type { Workspace } from '../nn/workspace.js';
import type { Factor, OutputWish, ParamRef } from './types.js';

/** "L", "L−1", "L−2" … for layer `layer` of a network whose output layer is L. */
export function layerName(layer: number, L: number): string {
  return layer === L ? 'L' : `L−${L - layer}`;
}

/** Names parameter `index` of a network with this layout. */
export function paramRef(layout: Layout, index: number): ParamRef {
  const p = paramAt(layout, index);
  const layer = p.l + 1;
  const ln = layerName(layer, layout.layers.length);
  if (p.kind === 'w') return { kind: 'w', layer, j: p.j, k: p.k, index, name: `w(${ln})[${p.j},${p.k}]` };
  return { kind: 'b', layer, j: p.j, index, name: `b(${ln})[${p.j}]` };
}

/** Index of w_jk feeding layer `layer` (1..L). */
export const wIndex = (layout: Layout, layer: number, j: number, k: number): number => weightIndex(layout, layer - 1, j, k);

/** Index of b_j feeding layer `layer` (1..L). */
export const bIndex = (layout: Layout, layer: number, j: number): number => biasIndex(layout, layer - 1, j);

/** σ'(z) of a hidden activation, element-wise, from the engine's own mulDerivative. */
export function derivative(f: Activation, z: Float64Array, a: Float64Array): Float64Array {
  const d = new Float64Array(z.length).fill(1);
  mulDerivative(f, z, a, d, z.length);
  return d;
}

/** Indices 0..n−1 sorted by |v| descending (ties: lower index first). */
export function byMagnitude(v: ArrayLike<number>, n = v.length): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((p, q) => Math.abs(v[q]) - Math.abs(v[p]) || p - q);
}

export function cosine(u: Float64Array, v: Float64Array): number {
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

export const direction = (wantedChange: number): 'up' | 'down' | 'none' => (wantedChange > 0 ? 'up' : wantedChange < 0 ? 'down' : 'none');

/** Loads images `indices` of `set` and their labels into ws. */
export function load(ws: Workspace, set: DigitSet, indices: readonly number[]): void {
  indices.forEach((e, x) => {
    gatherImage(set, e, ws.a[0], x * set.inputSize);
    ws.y[x] = set.labels[e];
  });
}

/** The engine's forward and backward state of example 0 of ws, copied (ws is reused afterwards). */
export interface ExampleState {
  z: Float64Array[];
  a: Float64Array[];
  delta: Float64Array[];
  grad: Float64Array;
}

export function snapshot(ws: Workspace): ExampleState {
  return {
    z: ws.z.map((v) => Float64Array.from(v)),
    a: ws.a.map((v) => Float64Array.from(v)),
    delta: ws.delta.map((v) => Float64Array.from(v)),
    grad: Float64Array.from(ws.grad),
  };
}

/** The factors of a chain-rule product multiplied left to right. */
export function multiply(factors: Factor[]): number {
  return factors.reduce((p, f) => p * f.value, 1);
}

/** What the example wants of each of the nL output activations aL (from offset 0): towards y, as strongly as |a − y|; and the predicted digit. */
export function outputWishes(aL: Float64Array, nL: number, label: number): { outputs: OutputWish[]; predicted: number } {
  const ys = Array.from({ length: nL }, (_, j) => (j === label ? 1 : 0));
  const maxError = Math.max(...ys.map((y, j) => Math.abs(aL[j] - y)));
  const outputs = ys.map((y, j) => {
    const error = aL[j] - y;
    return { j, a: aL[j], y, error, direction: direction(-error), strength: maxError === 0 ? 0 : Math.abs(error) / maxError };
  });
  return { outputs, predicted: argmax(aL, 0, nL) };
}
