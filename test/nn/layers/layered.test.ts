import { describe, expect, it } from 'vitest';
import { type Cost } from '../../../src/nn/functions.js';
import {
  allocateLayered,
  backpropLayered,
  createLayered,
  createLayeredWorkspace,
  feedforwardLayered,
  LayerListError,
  sgdStepLayered,
  type LayeredNetwork,
  type LayerSpec,
} from '../../../src/nn/layered.js';
import { differenceStep, gradientCheckLayered } from '../../../src/nn/layered-gradcheck.js';
import { StackLayoutError } from '../../../src/nn/layout.js';
import { backprop, createNetwork, feedforward } from '../../../src/nn/network.js';
import { Random } from '../../../src/nn/random.js';
import { createWorkspace } from '../../../src/nn/workspace.js';
import { randomArray } from './fd.js';

const input = { channels: 2, height: 8, width: 7 };
const m = 3;

/** A network of these layers and a batch of m random examples (pixels in [0, 1)) in its workspace. */
function setUp(layers: LayerSpec[], cost: Cost, seed = 3) {
  const net = createLayered({ input, layers, cost }, new Random(seed));
  const ws = createLayeredWorkspace(net, m);
  ws.a[0].set(randomArray(ws.a[0].length, seed).map((v) => (v + 1) / 2));
  const classes = layers[layers.length - 1].kind === 'dense' ? (layers[layers.length - 1] as { units: number }).units : 1;
  for (let x = 0; x < m; x++) ws.y[x] = (x * 7 + seed) % classes;
  return { net, ws };
}

const conv = (filters: number, size: number, activation: 'sigmoid' | 'tanh' | 'relu' = 'sigmoid'): LayerSpec => ({ kind: 'conv', filters, size, activation });
const dense = (units: number, activation: 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ kind: 'dense', units, activation });
const pool = (size: number): LayerSpec => ({ kind: 'pool', size });
const dropout = (p: number): LayerSpec => ({ kind: 'dropout', p });

const worst = (errors: { weights: number; biases: number }[]) => Math.max(...errors.flatMap((e) => [e.weights, e.biases]));

describe('layer lists: every gradient against central finite differences', () => {
  const cases: [string, LayerSpec[], Cost][] = [
    ['conv → pool → dense → softmax, log-likelihood', [conv(3, 3), pool(2), dense(5, 'tanh'), dense(4, 'softmax')], 'cross-entropy'],
    ['conv → conv → dropout → sigmoid, quadratic', [conv(2, 3, 'tanh'), conv(3, 2), dropout(0.4), dense(4, 'sigmoid')], 'quadratic'],
    ['ReLU conv → pool → conv → pool → dropout → ReLU dense → softmax', [conv(3, 3, 'relu'), pool(2), conv(2, 2, 'relu'), pool(1), dropout(0.3), dense(6, 'relu'), dense(3, 'softmax')], 'cross-entropy'],
    ['pool first, dropout first, cross-entropy with a sigmoid output', [dropout(0.2), pool(2), conv(2, 2, 'tanh'), dense(3, 'sigmoid')], 'cross-entropy'],
    ['dense only (no conv)', [dense(5, 'sigmoid'), dense(3, 'softmax')], 'cross-entropy'],
  ];
  for (const [name, layers, cost] of cases) {
    it(name, () => {
      const { net, ws } = setUp(layers, cost);
      const errors = gradientCheckLayered(net, ws, m, new Random(9), undefined, differenceStep(net));
      expect(errors.length).toBe(layers.filter((s) => s.kind === 'conv' || s.kind === 'dense').length);
      expect(errors.every((e) => e.checked === e.parameters)).toBe(true);
      expect(worst(errors)).toBeLessThanOrEqual(1);
    });
  }

  it('planted bugs fail: a conv kernel gradient transposed, a dropout mask left out of backward', () => {
    const { net, ws } = setUp([conv(3, 3), pool(2), dropout(0.5), dense(4, 'softmax')], 'cross-entropy');
    feedforwardLayered(net, ws, m, new Random(9));
    backpropLayered(net, ws, m);
    const good = Float64Array.from(ws.grad);
    const s = net.layout.layers[0];
    if (s.kind !== 'conv') throw new Error('layer 0 is a conv layer');
    const transposed = Float64Array.from(good);
    const k = s.size;
    for (let fc = 0; fc < s.filters * s.input.channels; fc++) for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) transposed[s.w + (fc * k + p) * k + q] = good[s.w + (fc * k + q) * k + p];
    expect(worst(gradientCheckLayered(net, ws, m, new Random(9), undefined, differenceStep(net), good))).toBeLessThanOrEqual(1);
    expect(worst(gradientCheckLayered(net, ws, m, new Random(9), undefined, differenceStep(net), transposed))).toBeGreaterThan(100);
    // backward as if the dropout layer passed every gradient through (mask ignored)
    ws.mask[3].fill(1);
    backpropLayered(net, ws, m);
    const noMask = Float64Array.from(ws.grad);
    expect(worst(gradientCheckLayered(net, ws, m, new Random(9), undefined, differenceStep(net), noMask))).toBeGreaterThan(100);
  });

  it('a dense-only layer list gives the same forward pass and gradient as the MLP of network.ts', () => {
    const mlp = createNetwork({ sizes: [112, 6, 4], activation: 'tanh', output: 'softmax', cost: 'cross-entropy' }, new Random(2), 'scaled');
    const net = allocateLayered({ input, layers: [dense(6, 'tanh'), dense(4, 'softmax')], cost: 'cross-entropy' });
    expect(net.params.length).toBe(mlp.params.length);
    net.params.set(mlp.params); // the same block layout: W input-major, then b, layer by layer
    const ws = createLayeredWorkspace(net, m);
    const mws = createWorkspace(mlp, m);
    const x = randomArray(m * 112, 4).map((v) => (v + 1) / 2);
    ws.a[0].set(x);
    mws.a[0].set(x);
    for (let i = 0; i < m; i++) ws.y[i] = mws.y[i] = i;
    feedforwardLayered(net, ws, m);
    feedforward(mlp, mws, m);
    expect(ws.a[2]).toEqual(mws.a[2]);
    const c1 = backpropLayered(net, ws, m);
    const c2 = backprop(mlp, mws, m);
    expect(c1).toBe(c2);
    for (let i = 0; i < ws.grad.length; i++) expect(ws.grad[i]).toBeCloseTo(mws.grad[i], 14);
  });
});

describe('layer lists: SGD step, layout and errors', () => {
  it('p ← p − η(∂C/∂p + (λ/n)w) without momentum; v ← μv − η(…), p ← p + v with it; biases never decay', () => {
    const layers = [conv(2, 3), pool(2), dense(3, 'softmax')];
    const { net, ws } = setUp(layers, 'cross-entropy');
    ws.grad.set(randomArray(ws.grad.length, 8));
    const before = Float64Array.from(net.params);
    const opt = { eta: 0.5, lambda: 2, n: 10, momentum: 0 };
    sgdStepLayered(net, ws, opt);
    const s = net.layout.layers[0];
    if (s.kind !== 'conv') throw new Error('conv');
    expect(net.params[s.w]).toBeCloseTo(before[s.w] - 0.5 * (ws.grad[s.w] + 0.2 * before[s.w]), 14);
    expect(net.params[s.b]).toBeCloseTo(before[s.b] - 0.5 * ws.grad[s.b], 14);
    const wm = createLayeredWorkspace(net, m, true);
    wm.grad.set(ws.grad);
    wm.velocity.fill(0.25);
    const p0 = Float64Array.from(net.params);
    sgdStepLayered(net, wm, { ...opt, momentum: 0.9 });
    const v = 0.9 * 0.25 - 0.5 * (wm.grad[s.w] + 0.2 * p0[s.w]);
    expect(wm.velocity[s.w]).toBeCloseTo(v, 14);
    expect(net.params[s.w]).toBeCloseTo(p0[s.w] + v, 14);
  });

  it('training steps lower the cost of a batch', () => {
    const { net, ws } = setUp([conv(3, 3, 'relu'), pool(2), dense(8, 'relu'), dense(4, 'softmax')], 'cross-entropy');
    feedforwardLayered(net, ws, m);
    const first = backpropLayered(net, ws, m);
    for (let i = 0; i < 30; i++) {
      feedforwardLayered(net, ws, m);
      backpropLayered(net, ws, m);
      sgdStepLayered(net, ws, { eta: 0.1, lambda: 0, n: m, momentum: 0 });
    }
    feedforwardLayered(net, ws, m);
    expect(backpropLayered(net, ws, m)).toBeLessThan(first / 2);
  });

  it('the layout: conv w and b, pool and dropout without parameters, dense reading the flattened volume', () => {
    const net: LayeredNetwork = allocateLayered({ input: { channels: 1, height: 28, width: 28 }, layers: [conv(20, 5), pool(2), dropout(0.5), dense(100, 'sigmoid'), dense(10, 'softmax')], cost: 'cross-entropy' });
    const [c, p, d, h, o] = net.layout.layers;
    expect(c).toMatchObject({ kind: 'conv', w: 0, b: 500, output: { channels: 20, height: 24, width: 24 } });
    expect(p).toMatchObject({ kind: 'pool', output: { channels: 20, height: 12, width: 12 } });
    expect(d).toMatchObject({ kind: 'dropout', output: { channels: 20, height: 12, width: 12 } });
    expect(h).toMatchObject({ kind: 'dense', nIn: 2880, nOut: 100, w: 520, b: 520 + 288000 });
    expect(o).toMatchObject({ kind: 'dense', nIn: 100, nOut: 10, w: 288620, b: 289620 });
    expect(net.params.length).toBe(500 + 20 + 288000 + 100 + 1000 + 10);
  });

  it('init he: every bias 0, the weights of each filter N(0, 2/(C·k²)) before a ReLU', () => {
    const config = { input: { channels: 1, height: 28, width: 28 }, layers: [conv(20, 5, 'relu'), pool(2), conv(40, 5, 'relu'), dense(10, 'softmax')], cost: 'cross-entropy' as const };
    const net = createLayered(config, new Random(3), 'he');
    const scaled = createLayered(config, new Random(3), 'scaled');
    expect(net.b.every((b) => b.every((x) => Object.is(x, 0)))).toBe(true);
    expect(scaled.b[0].some((x) => Math.abs(x) > 0.3)).toBe(true);
    const variance = (w: Float64Array) => w.reduce((s, x) => s + x * x, 0) / w.length;
    expect(variance(net.W[2]) * 20 * 25).toBeCloseTo(2, 0);
    expect(variance(net.W[2]) * 20 * 25).toBeGreaterThan(1.7);
  });

  it('lists that are no network throw typed errors', () => {
    const make = (layers: LayerSpec[]) => () => allocateLayered({ input, layers, cost: 'cross-entropy' });
    expect(make([conv(2, 3)])).toThrow(LayerListError); // no dense output layer
    expect(make([dense(3, 'softmax'), dense(3, 'softmax')])).toThrow(LayerListError);
    expect(make([conv(2, 9), dense(3, 'softmax')])).toThrow(StackLayoutError); // 9×9 on 8×7
    expect(make([pool(8), dense(3, 'softmax')])).toThrow(StackLayoutError);
  });
});
