/**
 * The worker thread of parallel.ts: forward pass and step of its share of the first layer's
 * hidden units, mini-batch after mini-batch, in step with the main thread.
 */
import { workerData } from 'node:worker_threads';
import type { DigitSet } from '../data/dataset.js';
import { forwardFirstLayer, gatherSparse, stepLayer } from './kernels.js';
import { allocateNetwork } from './network.js';
import { CMD_ETA, CMD_LAMBDA, CMD_MOMENTUM, CMD_N, CMD_SIZE, CMD_START, DELTA, FAILED, FWD, GO, QUIT, signal, UPD, waitAtLeast, type WorkerInit } from './parallel.js';
import { createWorkspace } from './workspace.js';

const init = workerData as WorkerInit;
const { control: ctl, command: cmd, j0, j1 } = init;
try {
  const net = allocateNetwork(init, init.params);
  const ws = createWorkspace(net, init.batch, init.layer1.velocity.length > 0, init.layer1);
  const s = init.set;
  const set: DigitSet = {
    name: 'worker',
    count: s.count,
    rows: s.rows,
    cols: s.cols,
    inputSize: s.rows * s.cols,
    images: new Uint8Array(0),
    labels: s.labels,
    nzStart: s.nzStart,
    nzIndex: s.nzIndex,
    nzValue: s.nzValue,
  };
  const H = net.sizes[1];
  const opt = { eta: 0, lambda: 0, n: 0, momentum: 0 }; // filled in for every mini-batch, allocated once
  for (let seq = 1; ; seq++) {
    waitAtLeast(ctl, GO, seq);
    if (Atomics.load(ctl, QUIT) !== 0) break;
    const start = cmd[CMD_START];
    const m = cmd[CMD_SIZE];
    opt.eta = cmd[CMD_ETA];
    opt.lambda = cmd[CMD_LAMBDA];
    opt.n = cmd[CMD_N];
    opt.momentum = cmd[CMD_MOMENTUM];
    gatherSparse(set, init.order, start, m, ws, H);
    forwardFirstLayer(net, ws, m, j0, j1);
    signal(ctl, FWD, seq);
    waitAtLeast(ctl, DELTA, seq);
    stepLayer(net, ws, m, opt, 0, j0, j1);
    signal(ctl, UPD, seq);
  }
} catch (err) {
  signal(ctl, FAILED, 1);
  throw err;
}
