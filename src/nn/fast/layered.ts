/**
 * Layer-list networks (../layered.ts) on the WebAssembly kernels: the network's parameters and
 * every buffer of its workspaces live in one kernels' memory, and the conv, pool and dense loops
 * are the twins of layers/*.ts (assembly/conv.ts, and kernels.ts's dense loops), called with the
 * byte addresses of the same views. The composition (forward, backward, the step, activations,
 * costs, dropout) stays ../layered.ts's, so the two paths differ only in the loops, and those
 * give the same results bit for bit (test/nn/fast/layered.test.ts holds them to it).
 */
import { type ConvDims } from '../layers/conv.js';
import { type PoolDims } from '../layers/pool.js';
import { adoptLayeredParameters, createLayeredWorkspace, readableOps, type BufferMaker, type LayerOps, type LayeredNetwork, type LayeredWorkspace } from '../layered.js';
import { CONTROL_BYTES, KernelThread, THREAD_OPS, type ThreadUse } from './threads.js';
import { createFastMemory, fastBackend, type FastBackend, type FastMemory } from './wasm.js';

/** The exports of assembly/conv.ts and the dense loops used here (byte addresses in one memory). */
interface ConvKernels {
  convForward(pW: number, pB: number, pA: number, pZ: number, m: number, C: number, H: number, W: number, F: number, k: number, f0: number, f1: number): void;
  convBackwardParams(pA: number, pD: number, pGW: number, pGB: number, m: number, C: number, H: number, W: number, F: number, k: number, f0: number, f1: number): void;
  convBackwardInput(pW: number, pD: number, pDA: number, m: number, C: number, H: number, W: number, F: number, k: number, c0: number, c1: number): void;
  poolForward(pA: number, pO: number, pI: number, m: number, C: number, H: number, W: number, k: number): void;
  poolBackward(pDO: number, pI: number, pDA: number, n: number, nIn: number): void;
  denseForward(pW: number, pB: number, pA: number, pZ: number, m: number, nIn: number, nOut: number): void;
  denseBackwardInput(pW: number, pUp: number, pD: number, m: number, n: number, nUp: number): void;
  denseUpdate(pW: number, pA: number, pD: number, m: number, nIn: number, nOut: number): void;
  addRows(pB: number, pD: number, m: number, n: number): void;
}

export type { ThreadUse };

/**
 * The loops of ../layered.ts on the WebAssembly kernels of `mem` (every array given them must be
 * a view into its memory, which must not grow). With `use.split`, each conv kernel's range of
 * filters (or of input channels, for ∂C/∂a) is halved between the worker and this thread.
 */
export function opsFor(mem: FastMemory, use: ThreadUse = { thread: null, split: false }): LayerOps {
  const k = mem.kernels as unknown as ConvKernels;
  const buffer = mem.buffer;
  const mine = (w: Float64Array) => {
    if (w.buffer !== buffer) throw new Error('a layer-list network was given new parameters outside the kernels\' memory of its workspace');
  };
  /** Where this thread's share of 0 … n starts: n/2 when the worker takes the first half, else 0 (all here). */
  const mineFrom = (n: number) => (use.split && use.thread !== null && n >= 2 ? n >> 1 : 0);
  return {
    convForward(w, b, a, z, m, d: ConvDims) {
      mine(w);
      const { channels: C, height: H, width: W, filters: F, size: s } = d;
      const half = mineFrom(F);
      if (half) use.thread!.start(THREAD_OPS.convForward, w.byteOffset, b.byteOffset, a.byteOffset, z.byteOffset, m, C, H, W, F, s, 0, half);
      k.convForward(w.byteOffset, b.byteOffset, a.byteOffset, z.byteOffset, m, C, H, W, F, s, half, F);
      if (half) use.thread!.finish();
    },
    convBackward(w, a, delta, nablaW, nablaB, dA, m, d: ConvDims) {
      const { channels: C, height: H, width: W, filters: F, size: s } = d;
      const half = mineFrom(F);
      if (half) use.thread!.start(THREAD_OPS.convBackwardParams, a.byteOffset, delta.byteOffset, nablaW.byteOffset, nablaB.byteOffset, m, C, H, W, F, s, 0, half);
      k.convBackwardParams(a.byteOffset, delta.byteOffset, nablaW.byteOffset, nablaB.byteOffset, m, C, H, W, F, s, half, F);
      if (half) use.thread!.finish();
      if (dA === null) return;
      const cHalf = mineFrom(C);
      if (cHalf) use.thread!.start(THREAD_OPS.convBackwardInput, w.byteOffset, delta.byteOffset, dA.byteOffset, m, C, H, W, F, s, 0, cHalf, 0);
      k.convBackwardInput(w.byteOffset, delta.byteOffset, dA.byteOffset, m, C, H, W, F, s, cHalf, C);
      if (cHalf) use.thread!.finish();
    },
    poolForward(a, out, argmax, m, d: PoolDims) {
      k.poolForward(a.byteOffset, out.byteOffset, argmax.byteOffset, m, d.channels, d.height, d.width, d.size);
    },
    poolBackward(dOut, argmax, dA, m, d: PoolDims) {
      const n = m * d.channels * Math.floor(d.height / d.size) * Math.floor(d.width / d.size);
      k.poolBackward(dOut.byteOffset, argmax.byteOffset, dA.byteOffset, n, m * d.channels * d.height * d.width);
    },
    denseForward(W, b, a, z, m, nIn, nOut) {
      mine(W);
      k.denseForward(W.byteOffset, b.byteOffset, a.byteOffset, z.byteOffset, m, nIn, nOut);
    },
    // layers/dense.ts denseBackwardRows: dA = Wᵀ δ, then δ /= m, then BP3 (addRows) and BP4 (denseUpdate on ∇W)
    denseBackwardRows(W, a, delta, nablaW, nablaB, dA, m, nIn, nOut) {
      if (dA !== null) k.denseBackwardInput(W.byteOffset, delta.byteOffset, dA.byteOffset, m, nIn, nOut);
      for (let i = 0, n = m * nOut; i < n; i++) delta[i] /= m;
      k.addRows(nablaB.byteOffset, delta.byteOffset, m, nOut);
      k.denseUpdate(nablaW.byteOffset, a.byteOffset, delta.byteOffset, m, nIn, nOut);
    },
  };
}

/** Bytes kept free after each buffer (an odd filter's last vector may read one f64 past an image). */
const SLACK = 16;

/** The network and its workspaces (training and evaluation) in one memory. */
export interface LayeredMemory {
  backend: FastBackend;
  /** The second thread and whether the conv layers use it now (thread null: one thread only). */
  threads: ThreadUse;
  /** Ends the second thread (if any). */
  close(): void;
  /** Training batches of up to `batch` examples. */
  ws: LayeredWorkspace;
  /** Evaluation in chunks of `evalBatch`. */
  evalWs: LayeredWorkspace;
}

/**
 * Moves net's parameters into a new kernels' memory (net.params becomes a view there: the values
 * are unchanged) and makes its workspaces there. With the TypeScript backend (no SIMD, or
 * DIGIT_TRAIN_NO_SIMD=1) the readable loops run on plain arrays instead: the same results.
 */
export function layeredMemory(net: LayeredNetwork, batch: number, momentum: boolean, evalBatch = 100, backend: FastBackend = fastBackend(), twoThreads = false): LayeredMemory {
  const threads: ThreadUse = { thread: null, split: false };
  if (backend === 'typescript') {
    return { backend, threads, close() {}, ws: createLayeredWorkspace(net, batch, momentum), evalWs: createLayeredWorkspace(net, evalBatch) };
  }
  // First pass: count the bytes; second: lay the buffers out in the memory (16-byte aligned).
  let bytes = 0;
  const counting: BufferMaker = {
    f64: (n) => ((bytes += align(n * 8)), new Float64Array(0)),
    i32: (n) => ((bytes += align(n * 4)), new Int32Array(0)),
  };
  bytes += align(net.params.length * 8) + CONTROL_BYTES;
  createLayeredWorkspace(net, batch, momentum, readableOps, counting);
  createLayeredWorkspace(net, evalBatch, false, readableOps, counting);
  const mem = createFastMemory(bytes + SLACK);
  let at = 0;
  const laying: BufferMaker = {
    f64: (n) => {
      const v = new Float64Array(mem.buffer, at, n);
      at += align(n * 8);
      return v;
    },
    i32: (n) => {
      const v = new Int32Array(mem.buffer, at, n);
      at += align(n * 4);
      return v;
    },
  };
  const control = at;
  at += CONTROL_BYTES;
  const params = laying.f64(net.params.length);
  params.set(net.params);
  adoptLayeredParameters(net, params);
  if (twoThreads) {
    threads.thread = new KernelThread(mem.module!, mem.memory!, control);
    threads.split = true;
  }
  const ops = opsFor(mem, threads);
  const ws = createLayeredWorkspace(net, batch, momentum, ops, laying);
  const evalWs = createLayeredWorkspace(net, evalBatch, false, ops, laying);
  return { backend, threads, close: () => threads.thread?.close(), ws, evalWs };
}

const align = (n: number) => Math.ceil((n + SLACK) / 16) * 16;
