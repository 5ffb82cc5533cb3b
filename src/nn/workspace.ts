/**
 * Buffers for one mini-batch of up to `m` examples, allocated once per run and reused for
 * every batch: the hot loops allocate nothing.
 *
 * Every per-layer matrix is example-major: row x (one example) of z[l] is z[l][x·n_l … x·n_l + n_l).
 */
import { layerViews, parameterCount, type Network } from './network.js';

export interface Workspace {
  /** Capacity: the largest mini-batch these buffers hold. */
  m: number;
  sizes: number[];
  /** a[0]: the input batch, dense, pixels scaled to [0, 1] (used by the readable path). */
  a: Float64Array[];
  /** z[l] = W·a[l−1] + b for l ≥ 1 (z[0] is empty). */
  z: Float64Array[];
  /** delta[l] = ∂C/∂z[l] for l ≥ 1 (delta[0] is empty: nothing below the input needs it). */
  delta: Float64Array[];
  /** labels of the batch. */
  y: Int32Array;
  /** Gradient of the mini-batch's average cost, in the layout of Network.params. */
  grad: Float64Array;
  nablaW: Float64Array[];
  nablaB: Float64Array[];
  /** The batch's non-zero input pixels, gathered for the sparse first layer (fast path):
   *  example x owns entries nzStart[x] … nzStart[x+1]) of xValue (the pixel in [0, 1]) and
   *  xRow (pixel index i times n_1: the offset of row i of W[0]). */
  xValue: Float64Array;
  xRow: Int32Array;
  nzStart: Int32Array;
  /** Velocity for momentum, in the layout of Network.params (allocated only when used), and its per-layer views. */
  velocity: Float64Array;
  velocityW: Float64Array[];
  velocityB: Float64Array[];
}

/** Buffers of the first hidden layer (and the velocity) in memory shared between two threads. */
export interface SharedLayerOne {
  z1: Float64Array;
  a1: Float64Array;
  delta1: Float64Array;
  velocity: Float64Array;
}

/** Float64Arrays over SharedArrayBuffers, sized for `createWorkspace(net, m, withVelocity, shared)`. */
export function sharedLayerOne(net: Network, m: number, withVelocity: boolean): SharedLayerOne {
  const f = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));
  const n1 = m * net.sizes[1];
  return { z1: f(n1), a1: f(n1), delta1: f(n1), velocity: f(withVelocity ? net.params.length : 0) };
}

export function createWorkspace(net: Network, m: number, withVelocity = false, shared?: SharedLayerOne): Workspace {
  const { sizes } = net;
  const a = sizes.map((n, l) => (shared && l === 1 ? shared.a1 : new Float64Array(m * n)));
  const z = sizes.map((n, l) => (shared && l === 1 ? shared.z1 : new Float64Array(l === 0 ? 0 : m * n)));
  const delta = sizes.map((n, l) => (shared && l === 1 ? shared.delta1 : new Float64Array(l === 0 ? 0 : m * n)));
  const grad = new Float64Array(parameterCount(sizes));
  const [nablaW, nablaB] = layerViews(sizes, grad);
  const velocity = shared && withVelocity ? shared.velocity : new Float64Array(withVelocity ? grad.length : 0);
  const [velocityW, velocityB] = withVelocity ? layerViews(sizes, velocity) : [[], []];
  return {
    m,
    sizes: [...sizes],
    a,
    z,
    delta,
    y: new Int32Array(m),
    grad,
    nablaW,
    nablaB,
    xValue: new Float64Array(m * sizes[0]),
    xRow: new Int32Array(m * sizes[0]),
    nzStart: new Int32Array(m + 1),
    velocity,
    velocityW,
    velocityB,
  };
}
