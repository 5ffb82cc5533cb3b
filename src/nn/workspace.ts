/**
 * Buffers for one mini-batch of up to `m` examples, allocated once per run and reused for
 * every batch: the hot loops allocate nothing.
 *
 * Every per-layer matrix is example-major: row x (one example) of z[l] is z[l][x·n_l … x·n_l + n_l).
 *
 * What the fast kernels (src/nn/fast/) read and write (room for the parameters, the velocity,
 * the batch's non-zero pixels, z, a and δ of layers 1..L) lives in one ArrayBuffer, `heap`, their
 * memory (WebAssembly's, see fast/wasm.ts); the other buffers are ordinary typed arrays.
 */
import { PIXEL } from '../data/dataset.js';
import type { ThreadUse } from './fast/threads.js';
import { createFastMemory, type FastKernels, type FastMemory } from './fast/wasm.js';
import { layerViews, type Layout } from './layout.js';
import { MemoryLimitError } from '../errors.js';

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
  /** labels of the batch (in the kernels' memory). */
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
  /** The kernels' memory: `params` (room for the network's parameters; a Trainer moves the
   *  network itself there, see `moveNetworkInto`), velocity, xValue, xRow, nzStart, and z, a,
   *  delta of layers 1..L. */
  heap: ArrayBufferLike;
  params: Float64Array;
  /** The fast kernels (WebAssembly SIMD, or their TypeScript fallback), linked to `heap`. */
  kernels: FastKernels;
  /** The indices of the batch's examples, for the kernels' gather, and PIXEL (v / 255) beside them. */
  examples: Int32Array;
  pixel: Float64Array;
  /** The sets whose pixel lists have been copied into the heap (fast/engine.ts `residentSet`), by set. */
  resident: Map<object, HeapSet>;
  /** The kernels' memory itself (for a second thread on it: fast/engine.ts startSecondThread). */
  memory: FastMemory;
  /** Byte address of the control block of a second thread (fast/threads.ts CONTROL_BYTES). */
  control: number;
  /** The second thread on this memory, if one was started, and whether it is used now. */
  threads: ThreadUse;
  /**
   * Grows the heap by `bytes` bytes and returns the byte address of the new room (64-byte
   * aligned). The contents stay; `heap`, `kernels` and every view above are remade in place
   * (the arrays a, z, … keep their identity), so views taken before are void.
   */
  extend(bytes: number): number;
}

/** Byte addresses in the heap of a set's pixel lists (see fast/assembly/steps.ts gatherSparse). */
export interface HeapSet {
  start: number;
  index: number;
  value: number;
  labels: number;
  bytes: number;
}

/** The most memory the kernels can address: their byte addresses are 32-bit signed integers. */
const MAX_HEAP_BYTES = 2 ** 31 - 2 ** 24;

/** Bump allocation of 64-byte aligned typed arrays in one ArrayBuffer. */
class HeapLayout {
  bytes = 0;
  private readonly parts: [kind: 'f64' | 'i32', at: number, n: number][] = [];
  add(kind: 'f64' | 'i32', n: number): number {
    this.bytes = Math.ceil(this.bytes / 64) * 64;
    this.parts.push([kind, this.bytes, n]);
    this.bytes += n * (kind === 'f64' ? 8 : 4);
    return this.parts.length - 1;
  }
  views(buffer: ArrayBufferLike): (Float64Array | Int32Array)[] {
    return this.parts.map(([kind, at, n]) => (kind === 'f64' ? new Float64Array(buffer, at, n) : new Int32Array(buffer, at, n)));
  }
}

/** Buffers for mini-batches of up to m examples through a network of this layout (a Network will do). */
export function createWorkspace(net: { readonly layout: Layout }, m: number, withVelocity = false): Workspace {
  const { layout } = net;
  const sizes = layout.sizes;
  const nParams = layout.count;
  const mem = new HeapLayout();
  const parts = {
    params: mem.add('f64', nParams),
    velocity: mem.add('f64', withVelocity ? nParams : 0),
    xValue: mem.add('f64', m * sizes[0]),
    xRow: mem.add('i32', m * sizes[0]),
    nzStart: mem.add('i32', m + 1),
    y: mem.add('i32', m),
    examples: mem.add('i32', m),
    pixel: mem.add('f64', 256),
    control: mem.add('i32', 32), // CONTROL_BYTES, 64-byte aligned
  };
  // z, a and δ of layers 1..L (layer 0, the dense input, is the readable path's alone)
  const layer = sizes.map((n, l) => (l === 0 ? null : { z: mem.add('f64', m * n), a: mem.add('f64', m * n), delta: mem.add('f64', m * n) }));
  if (mem.bytes > MAX_HEAP_BYTES) {
    throw new MemoryLimitError('mini-batch memory', m, sizes, mem.bytes, MAX_HEAP_BYTES);
  }
  const memory = createFastMemory(mem.bytes);
  const grad = new Float64Array(nParams);
  const [nablaW, nablaB] = layerViews(layout, grad);
  const ws = {
    m,
    sizes: [...sizes],
    a: [new Float64Array(m * sizes[0])],
    z: [new Float64Array(0)],
    delta: [new Float64Array(0)],
    grad,
    nablaW,
    nablaB,
    velocityW: [],
    velocityB: [],
    resident: new Map(),
    memory,
    threads: { thread: null, split: false },
  } as unknown as Workspace;
  /** (Re)makes every view into the heap, in place. */
  const bind = () => {
    const v = mem.views(memory.buffer);
    const f64 = (i: number) => v[i] as Float64Array;
    for (let l = 1; l < sizes.length; l++) {
      const p = layer[l]!;
      ws.a[l] = f64(p.a);
      ws.z[l] = f64(p.z);
      ws.delta[l] = f64(p.delta);
    }
    ws.heap = memory.buffer;
    ws.kernels = memory.kernels;
    ws.params = f64(parts.params);
    ws.velocity = f64(parts.velocity);
    const [velocityW, velocityB] = withVelocity ? layerViews(layout, ws.velocity) : [[], []];
    ws.velocityW.splice(0, ws.velocityW.length, ...velocityW);
    ws.velocityB.splice(0, ws.velocityB.length, ...velocityB);
    ws.xValue = f64(parts.xValue);
    ws.xRow = v[parts.xRow] as Int32Array;
    ws.nzStart = v[parts.nzStart] as Int32Array;
    ws.y = v[parts.y] as Int32Array;
    ws.examples = v[parts.examples] as Int32Array;
    ws.pixel = f64(parts.pixel);
    ws.control = v[parts.control].byteOffset;
  };
  bind();
  ws.pixel.set(PIXEL);
  ws.extend = (bytes: number) => {
    const at = Math.ceil(memory.buffer.byteLength / 64) * 64;
    if (at + bytes > MAX_HEAP_BYTES) throw new MemoryLimitError('mini-batch memory', m, sizes, at + bytes, MAX_HEAP_BYTES);
    memory.grow(at + bytes);
    bind();
    return at;
  };
  return ws;
}
