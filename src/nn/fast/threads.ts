/**
 * The second core: a worker thread running the same WebAssembly kernels on the same (shared)
 * memory, so that a layer's work can be split in two — for a conv layer the filters f0 … f1 of
 * the forward pass and of BP3/BP4, the input channels c0 … c1 of ∂C/∂a (assembly/conv.ts); for a
 * wide first layer of an MLP the examples of z^1 and the rows of W^1 (../engine.ts), and the
 * element-wise passes (σ, σ', the scalings of momentum and L2) by halves. Each output is computed whole by one
 * thread, in the readable order: the results are bit for bit those of one thread, whichever
 * thread computes what.
 *
 * The hand-off is a small control block in the shared memory (32 i32, one f64 among them): the main thread writes the
 * kernel and its arguments, bumps the job number and wakes the worker; the worker spins on the
 * job number for a while (a mini-batch's next conv call usually comes within microseconds), then
 * sleeps in Atomics.wait. The main thread computes its own half meanwhile, then waits for the
 * worker's "done" number the same way.
 */
import { Worker } from 'node:worker_threads';

/** The kernels a thread can run, by number (the worker's table below lists them in this order). */
export const THREAD_OPS = {
  convForward: 0,
  convBackwardParams: 1,
  convBackwardInput: 2,
  denseForwardSparseRows: 3,
  denseUpdateSparseRows: 4,
  sigmoid: 5,
  sigmoidDerivative: 6,
  scale: 7,
  addScaled: 8,
} as const;

/** Bytes of the control block (reserved by the caller in the shared memory, 8-byte aligned). */
export const CONTROL_BYTES = 128;

/** Spins (loop turns) before sleeping, on either side. */
const SPIN = 20000;

// The worker: a plain script (eval'd), so it needs no file of its own beside the compiled one.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, at, spin } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, at, 32);
const c = new Float64Array(memory.buffer, at + 64, 1);
const i = (n) => ctl[3 + n];
const ops = [
  () => k.convForward(i(0), i(1), i(2), i(3), i(4), i(5), i(6), i(7), i(8), i(9), i(10), i(11)),
  () => k.convBackwardParams(i(0), i(1), i(2), i(3), i(4), i(5), i(6), i(7), i(8), i(9), i(10), i(11)),
  () => k.convBackwardInput(i(0), i(1), i(2), i(3), i(4), i(5), i(6), i(7), i(8), i(9), i(10), i(11)),
  () => k.denseForwardSparseRows(i(0), i(1), i(2), i(3), i(4), i(5), i(6), i(7), i(8), i(9)),
  () => k.denseUpdateSparseRows(i(0), i(1), i(2), i(3), i(4), i(5), i(6), i(7), i(8)),
  () => k.sigmoid(i(0), i(1), i(2)),
  () => k.sigmoidDerivative(i(0), i(1), i(2)),
  () => k.scale(i(0), i(1), c[0]),
  () => k.addScaled(i(0), i(1), i(2), c[0]),
];
let seen = 0;
for (;;) {
  for (let n = 0; Atomics.load(ctl, 0) === seen; ) if (++n > spin) Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  ops[ctl[2]]();
  Atomics.store(ctl, 1, seen);
  Atomics.notify(ctl, 1);
}
`;

/** How a network's work is shared: by one thread, or by two. */
export interface ThreadUse {
  /** The second thread, or null. */
  thread: KernelThread | null;
  /** Whether the kernels split their work with it now (switchable between batches). */
  split: boolean;
}

export class KernelThread {
  private readonly ctl: Int32Array;
  private readonly c: Float64Array;
  private readonly worker: Worker;
  private job = 0;

  /** A worker on `memory` (shared), its control block at byte `at`. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, at: number) {
    this.ctl = new Int32Array(memory.buffer, at, 32);
    this.ctl.fill(0);
    this.c = new Float64Array(memory.buffer, at + 64, 1);
    this.worker = new Worker(WORKER, { eval: true, workerData: { module, memory, at, spin: SPIN } });
    this.worker.unref(); // a forgotten thread never keeps the process alive
  }

  /**
   * Starts kernel `op` on the worker with its integer arguments (up to 12; pass 0 for those it
   * does not take) and, for scale and addScaled, the number c (no array made per call).
   */
  start(op: number, a0: number, a1: number, a2: number, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0, a11 = 0, c = 0): void {
    const { ctl } = this;
    this.c[0] = c;
    ctl[2] = op;
    ctl[3] = a0;
    ctl[4] = a1;
    ctl[5] = a2;
    ctl[6] = a3;
    ctl[7] = a4;
    ctl[8] = a5;
    ctl[9] = a6;
    ctl[10] = a7;
    ctl[11] = a8;
    ctl[12] = a9;
    ctl[13] = a10;
    ctl[14] = a11;
    this.job = (this.job + 1) & 0x3fffffff;
    Atomics.store(ctl, 0, this.job);
    Atomics.notify(ctl, 0);
  }

  /** Waits until the worker has finished the job of the last `start`. */
  finish(): void {
    const { ctl, job } = this;
    for (let n = 0; ; ) {
      const done = Atomics.load(ctl, 1);
      if (done === job) return;
      if (++n > SPIN) Atomics.wait(ctl, 1, done, 1);
    }
  }

  /** Ends the worker. */
  close(): void {
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    void this.worker.terminate();
  }
}
