import { describe, expect, it } from 'vitest';
import { gatherImage } from '../../src/data/dataset.js';
import { backprop, feedforward, sgdStep } from '../../src/nn/network.js';
import { ACTIVATIONS, COSTS, OUTPUTS, sigmoid, type Activation, type Cost, type OutputActivation } from '../../src/nn/functions.js';
import { GRADCHECK_TOLERANCE, gradientCheck } from '../../src/nn/gradcheck.js';
import { allocateNetwork, createNetwork, type Network } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { createWorkspace, type Workspace } from '../../src/nn/workspace.js';
import { randomSet } from '../helpers.js';

/** Index of the largest |g[i]| for i in [from, to). */
function steepest(g: Float64Array, from: number, to: number): number {
  let best = from;
  for (let i = from; i < to; i++) if (Math.abs(g[i]) > Math.abs(g[best])) best = i;
  return best;
}

/** A batch of m random examples loaded into a fresh workspace. */
function batch(net: Network, m: number, seed = 3): Workspace {
  const set = randomSet(m, 4, 4, net.sizes[net.sizes.length - 1], seed);
  const ws = createWorkspace(net, m);
  for (let x = 0; x < m; x++) {
    gatherImage(set, x, ws.a[0], x * set.inputSize);
    ws.y[x] = set.labels[x];
  }
  return ws;
}

describe('backpropagation against central finite differences', () => {
  const combos: [Activation, OutputActivation, Cost][] = [];
  for (const a of ACTIVATIONS) for (const o of OUTPUTS) for (const c of COSTS) combos.push([a, o, c]);
  // |analytic − numerical| ≤ atol + rtol·|numerical| for every parameter (ratio ≤ 1), and the
  // relative error stays small wherever the gradient is not practically 0
  for (const hidden of [[5], [6, 4], [12, 8], [1], [7, 3, 2]]) {
    for (const [activation, output, cost] of combos) {
      it(`16-${hidden.join('-')}-3 ${activation}/${output}/${cost}: every weight and bias within the tolerance`, () => {
        const net = createNetwork({ sizes: [16, ...hidden, 3], activation, output, cost }, new Random(5), 'scaled');
        const ws = batch(net, 4);
        const errors = gradientCheck(net, ws, 4);
        expect(errors).toHaveLength(hidden.length + 1);
        for (const e of errors) {
          expect(e.weights).toBeLessThanOrEqual(1);
          expect(e.biases).toBeLessThanOrEqual(1);
          expect(e.maxAbsolute).toBeLessThan(1e-9);
        }
      });
    }
  }

  // a planted bug in each place a gradient comes from: the check must fail there and only there
  for (const [what, plant, layer, part] of [
    ['the steepest weight of layer 0 off by 0.01 %', (g: Float64Array, net: Network) => (g[steepest(g, net.layout.layers[0].w, net.layout.layers[0].b)] *= 1.0001), 0, 'weights'],
    ['one bias of the output layer off by 0.01 %', (g: Float64Array, net: Network) => (g[net.layout.layers[1].b + 2] *= 1.0001), 1, 'biases'],
    ['the output layer sign-flipped (δ = y − a)', (g: Float64Array, net: Network) => g.subarray(net.layout.layers[1].w).forEach((v, i, a) => (a[i] = -v)), 1, 'weights'],
  ] as const) {
    it(`notices a wrong gradient: ${what}`, () => {
      for (const [activation, output, cost] of combos) {
        const net = createNetwork({ sizes: [16, 5, 3], activation, output, cost }, new Random(5), 'scaled');
        const ws = batch(net, 4);
        feedforward(net, ws, 4);
        backprop(net, ws, 4);
        const wrong = Float64Array.from(ws.grad);
        plant(wrong, net);
        const errors = gradientCheck(net, ws, 4, GRADCHECK_TOLERANCE, 1e-3, wrong);
        expect(errors[layer][part], `${activation}/${output}/${cost}`).toBeGreaterThan(1);
        expect(errors[1 - layer].weights).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe('the single-neuron chain of docs/backprop.md', () => {
  it('1-1-1: ∂C/∂w^(L) = ∂C/∂a · σ\'(z) · a^(L−1), ∂C/∂b^(L) = ∂C/∂a · σ\'(z)', () => {
    const net = allocateNetwork({ sizes: [1, 1, 1], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' });
    const [w1, b1, w2, b2, x, y] = [0.7, -0.3, 1.9, 0.4, 0.8, 1];
    net.W[0][0] = w1;
    net.b[0][0] = b1;
    net.W[1][0] = w2;
    net.b[1][0] = b2;
    const ws = createWorkspace(net, 1);
    ws.a[0][0] = x;
    ws.y[0] = 0; // label 0 of one output neuron: y = 1
    feedforward(net, ws, 1);
    backprop(net, ws, 1);
    // by hand
    const a1 = sigmoid(w1 * x + b1);
    const zL = w2 * a1 + b2;
    const aL = sigmoid(zL);
    const dCda = aL - y; // C = ½ (a − y)², so ∂C/∂a = a − y (2(a − y) for C = (a − y)²)
    const dadz = aL * (1 - aL);
    expect(ws.a[2][0]).toBe(aL);
    expect(ws.nablaW[1][0]).toBeCloseTo(dCda * dadz * a1, 15);
    expect(ws.nablaB[1][0]).toBeCloseTo(dCda * dadz * 1, 15);
    // one layer down: ∂C/∂w^(L−1) = ∂C/∂a^L · σ'(z^L) · w^L · σ'(z^(L−1)) · x
    expect(ws.nablaW[0][0]).toBeCloseTo(dCda * dadz * w2 * a1 * (1 - a1) * x, 15);
  });
});

describe('one SGD step', () => {
  it('equals the step computed by hand on a 2-2-1 network with a batch of 2', () => {
    const net = allocateNetwork({ sizes: [2, 2, 1], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' });
    net.W[0].set([0.1, -0.2, 0.3, 0.4]); // input-major: w_jk at [k*2 + j]: w00=.1 w10=-.2 w01=.3 w11=.4
    net.b[0].set([0.05, -0.05]);
    net.W[1].set([0.6, -0.7]); // w_0k for k = 0, 1
    net.b[1].set([0.2]);
    const X = [
      [1, 0.5],
      [0, 1],
    ];
    const Y = [1, 0]; // desired outputs
    const ws = createWorkspace(net, 2);
    ws.a[0].set([...X[0], ...X[1]]);
    ws.y.set([0, 1]); // label 0 → y = 1; label 1 (no such neuron) → y = 0
    const eta = 0.5;
    // by hand
    const expected = { w1: [[0.1, 0.3], [-0.2, 0.4]], b1: [0.05, -0.05], w2: [0.6, -0.7], b2: 0.2 };
    const gw1 = [[0, 0], [0, 0]];
    const gb1 = [0, 0];
    const gw2 = [0, 0];
    let gb2 = 0;
    for (let x = 0; x < 2; x++) {
      const z1 = [0, 1].map((j) => expected.w1[j][0] * X[x][0] + expected.w1[j][1] * X[x][1] + expected.b1[j]);
      const a1 = z1.map(sigmoid);
      const a2 = sigmoid(expected.w2[0] * a1[0] + expected.w2[1] * a1[1] + expected.b2);
      const d2 = (a2 - Y[x]) * a2 * (1 - a2);
      const d1 = [0, 1].map((j) => expected.w2[j] * d2 * a1[j] * (1 - a1[j]));
      gb2 += d2 / 2;
      for (let j = 0; j < 2; j++) {
        gw2[j] += (d2 * a1[j]) / 2;
        gb1[j] += d1[j] / 2;
        for (let k = 0; k < 2; k++) gw1[j][k] += (d1[j] * X[x][k]) / 2;
      }
    }
    feedforward(net, ws, 2);
    backprop(net, ws, 2);
    sgdStep(net, ws, eta);
    for (let j = 0; j < 2; j++) {
      for (let k = 0; k < 2; k++) expect(net.W[0][k * 2 + j]).toBeCloseTo(expected.w1[j][k] - eta * gw1[j][k], 15);
      expect(net.b[0][j]).toBeCloseTo(expected.b1[j] - eta * gb1[j], 15);
      expect(net.W[1][j]).toBeCloseTo(expected.w2[j] - eta * gw2[j], 15);
    }
    expect(net.b[1][0]).toBeCloseTo(expected.b2 - eta * gb2, 15);
  });
});

describe('initial parameters', () => {
  /** Mean and variance of the values. */
  function moments(v: Float64Array): [number, number] {
    let s = 0;
    for (const x of v) s += x;
    const mean = s / v.length;
    let q = 0;
    for (const x of v) q += (x - mean) ** 2;
    return [mean, q / v.length];
  }
  it('normal: N(0, 1) everywhere; scaled: weights N(0, 1/n_in), He N(0, 2/n_in) before ReLU, biases N(0, 1); he: those weights, biases 0', () => {
    const config = { sizes: [400, 300, 10], output: 'softmax' as const, cost: 'cross-entropy' as const };
    const normal = createNetwork({ ...config, activation: 'relu' }, new Random(1), 'normal');
    const scaled = createNetwork({ ...config, activation: 'sigmoid' }, new Random(1), 'scaled');
    const he = createNetwork({ ...config, activation: 'relu' }, new Random(1), 'he');
    expect(moments(normal.W[0])[1]).toBeCloseTo(1, 1);
    expect(moments(scaled.W[0])[1] * 400).toBeCloseTo(1, 1);
    expect(moments(he.W[0])[1] * 400).toBeCloseTo(2, 1);
    expect(moments(he.W[1])[1] * 300).toBeCloseTo(1, 1); // the output layer is no ReLU
    expect(moments(scaled.b[0])[1]).toBeGreaterThan(0.8);
    expect([...he.b[0], ...he.b[1]].every((b) => Object.is(b, 0))).toBe(true);
  });
});
