/**
 * The second core: a worker thread running the same WebAssembly kernels on the same (shared)
 * memory, so that a conv layer's work can be split in two — the filters f0 … f1 of the forward
 * pass and of BP3/BP4, the input channels c0 … c1 of ∂C/∂a (assembly/conv.ts). Each output is
 * computed whole by one thread, in the readable order: the results are bit for bit those of one
 * thread, whichever thread computes what.
 *
 * The hand-off is a small control block in the shared memory (16 i32): the main thread writes the
 * kernel and its arguments, bumps the job number and wakes the worker; the worker spins on the
 * job number for a while (a mini-batch's next conv call usually comes within microseconds), then
 * sleeps in Atomics.wait. The main thread computes its own half meanwhile, then waits for the
 * worker's "done" number the same way.
 */
import { Worker } from 'node:worker_threads';

/** The kernels a thread can run, by number (the worker's table below lists them in this order). */
export const THREAD_OPS = { convForward: 0, convBackwardParams: 1, convBackwardInput: 2 } as const;

/** Bytes of the control block (reserved by the caller in the shared memory, 4-byte aligned). */
export const CONTROL_BYTES = 64;

/** Spins (loop turns) before sleeping, on either side. */
const SPIN = 20000;

// The worker: a plain script (eval'd), so it needs no file of its own beside the compiled one.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, at, spin } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ops = [k.convForward, k.convBackwardParams, k.convBackwardInput];
const ctl = new Int32Array(memory.buffer, at, 16);
let seen = 0;
for (;;) {
  for (let n = 0; Atomics.load(ctl, 0) === seen; ) if (++n > spin) Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  ops[ctl[2]](ctl[3], ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9], ctl[10], ctl[11], ctl[12], ctl[13], ctl[14]);
  Atomics.store(ctl, 1, seen);
  Atomics.notify(ctl, 1);
}
`;

export class KernelThread {
  private readonly ctl: Int32Array;
  private readonly worker: Worker;
  private job = 0;

  /** A worker on `memory` (shared), its control block at byte `at`. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, at: number) {
    this.ctl = new Int32Array(memory.buffer, at, 16);
    this.ctl.fill(0);
    this.worker = new Worker(WORKER, { eval: true, workerData: { module, memory, at, spin: SPIN } });
    this.worker.unref(); // a forgotten thread never keeps the process alive
  }

  /** Starts kernel `op` on the worker with its 12 integer arguments (no array made per call). */
  start(op: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number, a8: number, a9: number, a10: number, a11: number): void {
    const { ctl } = this;
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
