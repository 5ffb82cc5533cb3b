import { describe, expect, it } from 'vitest';
import { gatherImage } from '../../../src/data/dataset.js';
import { backprop, feedforward, sgdStep } from '../../../src/nn/network.js';
import { ACTIVATIONS, COSTS, OUTPUTS } from '../../../src/nn/functions.js';
import { GRADCHECK_TOLERANCE, gradientCheck } from '../../../src/nn/gradcheck.js';
import { evaluateSet, startSecondThread, stopSecondThread, trainMiniBatch, WIDE } from '../../../src/nn/fast/engine.js';
import { cloneNetwork, createNetwork } from '../../../src/nn/network.js';
import { Random } from '../../../src/nn/random.js';
import { newProgress, Trainer, DEFAULT_TRAIN_OPTIONS } from '../../../src/train/train.js';
import { createWorkspace } from '../../../src/nn/workspace.js';
import { randomSet } from '../../helpers.js';

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('fast kernels agree with the readable backprop', () => {
  const set = randomSet(40, 6, 6, 4);
  for (const activation of ACTIVATIONS) {
    for (const output of OUTPUTS) {
      for (const cost of COSTS) {
        for (const hidden of [[], [7], [9, 5], [16]]) {
          it(`one step, ${[36, ...hidden, 4].join("-")} ${activation}/${output}/${cost}`, () => {
            const fast = createNetwork({ sizes: [36, ...hidden, 4], activation, output, cost }, new Random(9), 'scaled');
            const slow = cloneNetwork(fast);
            const m = 8;
            const order = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
            const wsFast = createWorkspace(fast, m);
            const fastCost = trainMiniBatch(fast, wsFast, set, order, 8, m, { eta: 0.7, lambda: 0, n: 40, momentum: 0 });
            const ws = createWorkspace(slow, m);
            for (let x = 0; x < m; x++) {
              gatherImage(set, order[8 + x], ws.a[0], x * 36);
              ws.y[x] = set.labels[order[8 + x]];
            }
            feedforward(slow, ws, m);
            const slowCost = backprop(slow, ws, m);
            sgdStep(slow, ws, 0.7);
            expect(fastCost).toBe(slowCost); // the forward pass is the same bit for bit
            expect(maxDiff(fast.params, slow.params)).toBeLessThan(1e-14);
          });
        }
      }
    }
  }

  it('L2 and momentum: the step is network2.py\'s w ← (1 − ηλ/n)w − η∇ and v ← μv − η∇, p ← p + v', () => {
    const base = createNetwork({ sizes: [36, 7, 4], activation: 'sigmoid', output: 'sigmoid', cost: 'cross-entropy' }, new Random(3), 'scaled');
    const order = Int32Array.from({ length: 40 }, (_, i) => i);
    const opt = { eta: 0.5, lambda: 5, n: 40, momentum: 0.9 };
    const fast = cloneNetwork(base);
    const wsFast = createWorkspace(fast, 10, true);
    trainMiniBatch(fast, wsFast, set, order, 0, 10, opt);
    trainMiniBatch(fast, wsFast, set, order, 10, 10, opt);

    const slow = cloneNetwork(base);
    const ws = createWorkspace(slow, 10);
    const v = new Float64Array(slow.params.length);
    const isWeight = new Uint8Array(slow.params.length);
    let at = 0;
    for (const [nIn, nOut] of [[36, 7], [7, 4]]) {
      isWeight.fill(1, at, at + nIn * nOut);
      at += nIn * nOut + nOut;
    }
    for (const start of [0, 10]) {
      for (let x = 0; x < 10; x++) {
        gatherImage(set, start + x, ws.a[0], x * 36);
        ws.y[x] = set.labels[start + x];
      }
      feedforward(slow, ws, 10);
      backprop(slow, ws, 10);
      for (let i = 0; i < v.length; i++) {
        const g = ws.grad[i] + (isWeight[i] ? (opt.lambda / opt.n) * slow.params[i] : 0);
        v[i] = opt.momentum * v[i] - opt.eta * g;
      }
      for (let i = 0; i < v.length; i++) slow.params[i] += v[i];
    }
    expect(maxDiff(fast.params, slow.params)).toBeLessThan(1e-13);
  });

  it('evaluation matches the readable forward pass', () => {
    const net = createNetwork({ sizes: [36, 7, 4], activation: 'relu', output: 'softmax', cost: 'cross-entropy' }, new Random(4), 'scaled');
    const predicted = new Uint8Array(40);
    const r = evaluateSet(net, createWorkspace(net, 16), set, { predicted });
    const ws = createWorkspace(net, 40);
    for (let x = 0; x < 40; x++) gatherImage(set, x, ws.a[0], x * 36);
    feedforward(net, ws, 40);
    let correct = 0;
    for (let x = 0; x < 40; x++) {
      const out = Array.from(ws.a[2].subarray(x * 4, x * 4 + 4));
      const guess = out.indexOf(Math.max(...out));
      expect(predicted[x]).toBe(guess);
      if (guess === set.labels[x]) correct++;
    }
    expect(r.correct).toBe(correct);
  });
});

describe('the fast kernels\' gradient against central finite differences', () => {
  // One fast step with η = 1 moves the parameters by exactly −(the batch's average gradient),
  // up to one rounding of each parameter: p0 − p1 is the gradient the kernels computed.
  const set = randomSet(6, 4, 4, 3, 11);
  for (const activation of ACTIVATIONS) {
    for (const output of OUTPUTS) {
      for (const cost of COSTS) {
        it(`16-9-5-3 ${activation}/${output}/${cost}: every weight and bias within gradcheck's tolerance`, () => {
          const net = createNetwork({ sizes: [16, 9, 5, 3], activation, output, cost }, new Random(8), 'scaled');
          const stepped = cloneNetwork(net);
          trainMiniBatch(stepped, createWorkspace(stepped, 6), set, null, 0, 6, { eta: 1, lambda: 0, n: 6, momentum: 0 });
          const fastGradient = net.params.map((p, i) => p - stepped.params[i]);
          const ws = createWorkspace(net, 6);
          for (let x = 0; x < 6; x++) {
            gatherImage(set, x, ws.a[0], x * 16);
            ws.y[x] = set.labels[x];
          }
          for (const e of gradientCheck(net, ws, 6, GRADCHECK_TOLERANCE, 1e-3, fastGradient)) {
            expect(e.weights).toBeLessThanOrEqual(1);
            expect(e.biases).toBeLessThanOrEqual(1);
          }
        });
      }
    }
  }
});

describe('the fast kernels\' memory', () => {
  it('training moves the parameters into its memory; evaluating a network kept elsewhere copies them and changes nothing', () => {
    const set = randomSet(30, 6, 6, 4);
    const net = createNetwork({ sizes: [36, 9, 4], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(5));
    const before = Float64Array.from(net.params);
    const ws = createWorkspace(net, 10);
    evaluateSet(net, ws, set);
    expect(net.params.buffer).not.toBe(ws.heap);
    expect(net.params).toEqual(before);
    trainMiniBatch(net, ws, set, null, 0, 10, { eta: 1, lambda: 0, n: 30, momentum: 0 });
    expect(net.params.buffer).toBe(ws.heap);
    expect(net.W[0].buffer).toBe(ws.heap);
    expect(maxDiff(net.params, before)).toBeGreaterThan(0);
    const copy = cloneNetwork(net);
    const other = createWorkspace(copy, 7);
    expect(evaluateSet(copy, other, set)).toEqual(evaluateSet(net, createWorkspace(net, 30), set));
  });
});

describe('a second thread on a wide first layer', () => {
  const bits = (p: Float64Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex');
  for (const [activation, momentum, lambda] of [['sigmoid', 0.5, 3], ['relu', 0, 0]] as const) {
    it(`${activation}${momentum ? ', momentum and L2' : ''}: the same steps and evaluations bit for bit as one thread, switched on and off between batches`, () => {
      const set = randomSet(60, 8, 8, 4);
      const H = WIDE + 3; // odd: the halves meet off the SIMD lanes
      const one = createNetwork({ sizes: [64, H, 4], activation, output: 'softmax', cost: 'cross-entropy' }, new Random(6), 'scaled');
      const two = cloneNetwork(one);
      const ws1 = createWorkspace(one, 10, momentum > 0);
      const ws2 = createWorkspace(two, 10, momentum > 0);
      expect(startSecondThread(ws2)).toBe(true);
      try {
        const opt = { eta: 0.3, lambda, n: 60, momentum };
        for (let b = 0; b < 6; b++) {
          ws2.threads.split = b !== 3; // also back to one thread for a batch
          expect(trainMiniBatch(two, ws2, set, null, b * 10, 10, opt)).toBe(trainMiniBatch(one, ws1, set, null, b * 10, 10, opt));
          expect(bits(two.params)).toBe(bits(one.params));
        }
        const outputs = [new Float64Array(60 * 4), new Float64Array(60 * 4)];
        const e1 = createWorkspace(one, 100);
        const e2 = createWorkspace(two, 100);
        startSecondThread(e2);
        expect(evaluateSet(two, e2, set, { outputs: outputs[1] })).toEqual(evaluateSet(one, e1, set, { outputs: outputs[0] }));
        expect(bits(outputs[1])).toBe(bits(outputs[0]));
        stopSecondThread(e2);
      } finally {
        stopSecondThread(ws2);
      }
      expect(ws2.threads.thread).toBe(null);
    });
  }
});

describe('reproducibility', () => {
  const set = randomSet(60, 6, 6, 4);
  const run = (seed: number) => {
    const rng = new Random(seed);
    const net = createNetwork({ sizes: [36, 8, 4], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
    const t = new Trainer(net, { train: set, test: set }, { ...DEFAULT_TRAIN_OPTIONS, eta: 1, batch: 7 }, newProgress(rng, 1));
    for (let e = 0; e < 3; e++) t.runEpoch();
    return net.params;
  };
  it('the same seed gives a bit-identical model; another seed a different one', () => {
    const bytes = (p: Float64Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    expect(bytes(run(4)).equals(bytes(run(4)))).toBe(true);
    expect(maxDiff(run(4), run(5))).toBeGreaterThan(0.01);
  });

  it('mulberry32 draws the same numbers as the C reference', () => {
    // First draws of the C reference's next_uniform() with state = 1 (see bench/reference.c).
    const r = new Random(1);
    expect([r.next(), r.next(), r.next()]).toEqual([0.62707394058816135, 0.0027357211802154779, 0.52744703995995224]);
  });
});

describe('a whole trajectory: fast kernels against the readable backprop', () => {
  it('3 epochs of 784-30-10 on 2,000 real digits, same seed: every parameter within 1e-11', async () => {
    const { loadMnist } = await import('../../../src/data/mnist.js');
    const { subset } = await import('../../../src/data/dataset.js');
    const set = subset(loadMnist().train, 0, 2000);
    const rng = new Random(1);
    const fast = createNetwork({ sizes: [784, 30, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
    const slow = cloneNetwork(fast);
    const order = new Int32Array(set.count);
    const wsFast = createWorkspace(fast, 10);
    const ws = createWorkspace(slow, 10);
    const shuffler = new Random(2);
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      shuffler.shuffle(order);
      for (let start = 0; start < set.count; start += 10) {
        trainMiniBatch(fast, wsFast, set, order, start, 10, { eta: 3, lambda: 0, n: set.count, momentum: 0 });
        for (let x = 0; x < 10; x++) {
          gatherImage(set, order[start + x], ws.a[0], x * 784);
          ws.y[x] = set.labels[order[start + x]];
        }
        feedforward(slow, ws, 10);
        backprop(slow, ws, 10);
        sgdStep(slow, ws, 3);
      }
    }
    const diff = maxDiff(fast.params, slow.params);
    expect(diff).toBeLessThan(1e-11); // the order of additions differs, by rounding only (measured 9.0e-14)
    const a = evaluateSet(fast, createWorkspace(fast, 100), set);
    const b = evaluateSet(slow, createWorkspace(slow, 100), set);
    expect(a.correct).toBe(b.correct);
  });
});
