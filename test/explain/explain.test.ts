import { describe, expect, it } from 'vitest';
import { LimitError } from '../../src/errors.js';
import { gatherImage, type DigitSet } from '../../src/data/dataset.js';
import { backprop, feedforward } from '../../src/nn/network.js';
import { explain } from '../../src/explain/explain.js';
import { explainChain } from '../../src/explain/chain.js';
import { paramRef } from '../../src/explain/common.js';
import type { Explanation } from '../../src/explain/types.js';
import { ACTIVATIONS, COSTS, OUTPUTS, sigmoid, type Activation, type Cost, type OutputActivation } from '../../src/nn/functions.js';
import { batchCost, relativeError } from '../../src/nn/gradcheck.js';
import { cloneNetwork, createNetwork, type Network } from '../../src/nn/network.js';
import { parameterCount } from '../../src/nn/layout.js';
import { Random } from '../../src/nn/random.js';
import { createWorkspace } from '../../src/nn/workspace.js';
import { randomSet } from '../helpers.js';

/** The engine's gradient of the examples `indices` of `set` (average), computed here independently. */
function engineGradient(net: Network, set: DigitSet, indices: number[]): { grad: Float64Array; cost: number; delta: Float64Array[]; a: Float64Array[] } {
  const ws = createWorkspace(net, indices.length);
  indices.forEach((e, x) => {
    gatherImage(set, e, ws.a[0], x * set.inputSize);
    ws.y[x] = set.labels[e];
  });
  feedforward(net, ws, indices.length);
  const cost = backprop(net, ws, indices.length) / indices.length;
  return { grad: Float64Array.from(ws.grad), cost, delta: ws.delta.map((d) => Float64Array.from(d)), a: ws.a.map((v) => Float64Array.from(v)) };
}

const product = (xs: { value: number }[]) => xs.reduce((p, f) => p * f.value, 1);

function smallNet(activation: Activation, output: OutputActivation, cost: Cost, hidden = [6, 5], seed = 5): Network {
  return createNetwork({ sizes: [16, ...hidden, 4], activation, output, cost }, new Random(seed), 'scaled');
}

describe('explain: every number is the engine’s', () => {
  const set = randomSet(30, 4, 4, 4, 9);
  const combos: [Activation, OutputActivation, Cost][] = [];
  for (const a of ACTIVATIONS) for (const o of OUTPUTS) for (const c of COSTS) combos.push([a, o, c]);

  for (const [activation, output, cost] of combos) {
    it(`${activation}/${output}/${cost}: chain-rule factors multiply to the engine's gradient; finite differences agree`, () => {
      const net = smallNet(activation, output, cost);
      const before = Float64Array.from(net.params);
      const e = explain(net, { set, index: 3, batch: 6, eta: 0.5, top: 4 });
      expect(net.params).toEqual(before); // left unchanged
      const eng = engineGradient(net, set, [3]);
      const L = net.sizes.length - 1;

      // step 2: the weight with the largest |∂C/∂w| of the output layer
      const { weight, bias, elementwise, neurons } = e.outputLayer;
      expect(elementwise).toBe(output === 'sigmoid');
      const outW = parameterCount(net.sizes.slice(0, L)); // W of the output layer starts here: 5 × 4 weights
      const best = Math.max(...Array.from(eng.grad.subarray(outW, outW + 5 * 4), Math.abs));
      expect(weight.param.layer).toBe(L);
      expect(Math.abs(weight.engine)).toBe(best);
      // each factor from its own source: ∂C/∂a by hand for the cost, σ' = a(1 − a), ∂z/∂w = a_k
      const j = weight.param.j;
      const aj = eng.a[L][j];
      const yj = j === set.labels[3] ? 1 : 0;
      const dCdaByHand = cost === 'quadratic' ? aj - yj : (1 - yj) / (1 - aj) - yj / aj;
      const upstream = elementwise ? [dCdaByHand, aj * (1 - aj)] : [eng.delta[L][j]];
      for (const p of [weight, bias]) {
        expect(p.engine).toBe(eng.grad[p.param.index]);
        upstream.forEach((v, i) => expect(relativeError(p.factors[i].value, v, 1e-12)).toBeLessThan(1e-12));
        expect(relativeError(p.product, p.engine, 1e-12)).toBeLessThan(1e-12);
        expect(relativeError(p.finiteDifference, p.engine)).toBeLessThan(1e-7);
        expect(p.factors.length).toBe(elementwise ? 3 : 2);
      }
      expect(bias.factors[bias.factors.length - 1].value).toBe(1);
      expect(weight.factors[weight.factors.length - 1].value).toBe(eng.a[L - 1][weight.param.k!]);
      for (const n of neurons) {
        expect(n.delta).toBe(eng.delta[L][n.j]);
        if (elementwise) expect(relativeError(n.dCda * n.sigmaPrime!, n.delta, 1e-12)).toBeLessThan(1e-9);
        else {
          expect(n.sigmaPrime).toBeNull();
          // softmax: the chain through every output, δ_j = Σ_i ∂C/∂a_i · a_i (1[i=j] − a_j)
          const viaJacobian = neurons.reduce((s, i) => s + i.dCda * i.a * ((i.j === n.j ? 1 : 0) - n.a), 0);
          expect(viaJacobian).toBeCloseTo(n.delta, 12);
        }
      }
      expect(e.example.cost).toBeCloseTo(eng.cost, 14);

      // step 4: ∂C/∂a_k as the sum over paths, × σ'(z_k) = the engine's δ_k
      expect(e.wishes.map((w) => w.layer)).toEqual([2, 1]);
      for (const w of e.wishes) {
        const f = w.focus;
        // the wish by hand: Σ_j w_jk δ_j over the engine's δ of the layer above
        const nAbove = net.sizes[w.layer + 1];
        let byHand = 0;
        for (let q = 0; q < nAbove; q++) byHand += net.W[w.layer][f.k * nAbove + q] * eng.delta[w.layer + 1][q];
        expect(f.sum).toBeCloseTo(byHand, 14);
        expect(f.paths.reduce((s, p) => s + p.product, 0) + f.restSum).toBeCloseTo(f.sum, 14);
        for (const p of f.paths) expect(p.product).toBe(p.w * p.delta);
        expect(relativeError(f.delta!, f.engineDelta!, 1e-12)).toBeLessThan(1e-12);
        expect(f.engineDelta).toBe(eng.delta[w.layer][f.k]);
        for (let i = 1; i < w.top.length; i++) expect(Math.abs(w.top[i].dCda)).toBeLessThanOrEqual(Math.abs(w.top[i - 1].dCda));
      }
    });
  }

  it('sigmoid + quadratic: the printed product is the engine’s number bit for bit', () => {
    const net = smallNet('sigmoid', 'sigmoid', 'quadratic', [5], 2);
    const e = explain(net, { set, index: 0 });
    expect(e.outputLayer.weight.product).toBe(e.outputLayer.weight.engine);
    expect(e.outputLayer.bias.product).toBe(e.outputLayer.bias.engine);
    for (const n of e.outputLayer.neurons) expect(n.dCda).toBe(n.a - (n.j === e.example.label ? 1 : 0));
    // L−1 = the hidden layer, L−2 = the pixels (no engine δ there)
    expect(e.wishes.map((w) => [w.layer, w.input])).toEqual([
      [1, false],
      [0, true],
    ]);
    expect(e.wishes[0].focus.delta).toBe(e.wishes[0].focus.engineDelta);
    expect(e.wishes[1].focus.engineDelta).toBeNull();
  });

  it('step 1: up for the right digit, down for the others, as strongly as |a − y|', () => {
    const net = smallNet('sigmoid', 'sigmoid', 'quadratic');
    const e = explain(net, { set, index: 7 });
    const label = set.labels[7];
    expect(e.example.label).toBe(label);
    for (const o of e.outputs) {
      expect(o.direction).toBe(o.j === label ? 'up' : 'down');
      expect(o.error).toBe(o.a - o.y);
    }
    expect(Math.max(...e.outputs.map((o) => o.strength))).toBe(1);
    const big = e.outputs.reduce((p, o) => (Math.abs(o.error) > Math.abs(p.error) ? o : p));
    expect(big.strength).toBe(1);
  });

  it('step 3: the steepest weights, δ_j·a_k, and no gradient at all from neurons at 0', () => {
    const net = smallNet('relu', 'sigmoid', 'quadratic', [8]);
    const e = explain(net, { set, index: 2, top: 6 });
    const eng = engineGradient(net, set, [2]);
    const top = e.connections.top;
    expect(top).toHaveLength(6);
    for (let i = 1; i < top.length; i++) expect(Math.abs(top[i].gradient)).toBeLessThanOrEqual(Math.abs(top[i - 1].gradient));
    for (const t of top) {
      expect(t.gradient).toBe(eng.grad[t.param.index]);
      expect(t.gradient).toBe(t.to.delta * t.from.a);
      expect(t.from.a).toBe(eng.a[1][t.from.k]);
    }
    for (const l of e.connections.layers) expect(l.silentMaxGradient).toBe(0);
    expect(e.connections.layers[0].silent).toBeGreaterThan(0); // random images: half the pixels are 0
    // the source ranks: rank 1 is the most active
    const ranks = top.map((t) => t.from.rank);
    expect(Math.min(...ranks)).toBe(1);
  });

  it('step 5: the mean of the per-example gradients is the engine’s batch gradient; step 6 is one SGD step', () => {
    const net = smallNet('sigmoid', 'sigmoid', 'quadratic');
    const eta = 0.2;
    const e = explain(net, { set, index: 27, batch: 5, eta });
    expect(e.batch.indices).toEqual([27, 28, 29, 0, 1]); // wraps around the end of the set
    expect(e.batch.averageError).toBeLessThan(1e-15);
    expect(e.batch.examples[0].index).toBe(27);
    expect(e.batch.examples[0].cosine).toBe(e.batch.cosine);
    for (const x of e.batch.examples) expect(Math.abs(x.cosine)).toBeLessThanOrEqual(1 + 1e-12);
    const eng = engineGradient(net, set, e.batch.indices);
    expect(e.step.batchCost.before).toBeCloseTo(eng.cost, 14);
    // the step by hand
    const stepped = cloneNetwork(net);
    for (let i = 0; i < stepped.params.length; i++) stepped.params[i] -= eta * eng.grad[i];
    const ws = createWorkspace(stepped, 5);
    e.batch.indices.forEach((i, x) => {
      gatherImage(set, i, ws.a[0], x * 16);
      ws.y[x] = set.labels[i];
    });
    expect(e.step.batchCost.after).toBe(batchCost(stepped, ws, 5));
    expect(e.step.batchCost.after).toBeLessThan(e.step.batchCost.before); // a small step downhill
    // disagreements: the largest |example − batch|
    const ex = engineGradient(net, set, [27]).grad;
    for (const d of e.batch.disagreements) {
      expect(d.example).toBe(ex[d.param.index]);
      expect(d.batch).toBe(eng.grad[d.param.index]);
    }
    // the sign counts, counted here from the engine's two gradients
    let both = 0;
    let opposite = 0;
    for (let i = 0; i < ex.length; i++) {
      if (ex[i] !== 0 && eng.grad[i] !== 0) both++;
      if (ex[i] * eng.grad[i] < 0) opposite++;
    }
    expect(e.batch.bothNonZero).toBe(both);
    expect(e.batch.oppositeSigns).toBe(opposite);
    expect(opposite).toBeGreaterThan(0); // the example disagrees with its batch somewhere
  });

  it('is deterministic', () => {
    const net = smallNet('tanh', 'softmax', 'cross-entropy');
    const a: Explanation = explain(net, { set, index: 4 });
    const b: Explanation = explain(net, { set, index: 4 });
    expect(a).toEqual(b);
  });

  it('refuses what does not fit', () => {
    const net = smallNet('sigmoid', 'sigmoid', 'quadratic');
    expect(() => explain(net, { set, index: 30 })).toThrow(LimitError);
    expect(() => explain(net, { set, index: 0, batch: 31 })).toThrow(LimitError);
    expect(() => explain(net, { set: randomSet(5, 3, 3, 4), index: 0 })).toThrow(/16 inputs/);
  });
});

describe('paramRef names parameters as layout.ts lays them out', () => {
  it('every index of a 5-4-3 network', () => {
    const net = createNetwork({ sizes: [5, 4, 3], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(1));
    const seen = new Set<number>();
    for (let i = 0; i < net.params.length; i++) {
      const p = paramRef(net.layout, i);
      expect(p.index).toBe(i);
      const l = p.layer - 1;
      const value = p.kind === 'w' ? net.W[l][p.k! * net.sizes[l + 1] + p.j] : net.b[l][p.j];
      expect(value).toBe(net.params[i]);
      seen.add(value);
    }
    expect(seen.size).toBe(net.params.length);
    expect(paramRef(net.layout, 0).name).toBe('w(L−1)[0,0]');
    expect(paramRef(net.layout, net.params.length - 1).name).toBe('b(L)[2]');
  });
});

describe('explainChain: the one-neuron-per-layer network', () => {
  it('1-1-1-1: the factors are the formulas of docs/backprop.md, their product the engine’s gradient', () => {
    const ch = explainChain(3, 1);
    expect(ch.sizes).toEqual([1, 1, 1, 1]);
    expect(ch.y).toBe(1);
    const [l1, l2, l3] = ch.layers;
    // forward by hand, straight from docs/backprop.md
    expect(l1.a).toBe(sigmoid(l1.w * ch.x + l1.b));
    expect(l2.a).toBe(sigmoid(l2.w * l1.a + l2.b));
    expect(l3.a).toBe(sigmoid(l3.w * l2.a + l3.b));
    expect(ch.cost).toBeCloseTo(0.5 * (l3.a - 1) ** 2, 15);
    const dCda = l3.a - ch.y;
    const sp = (a: number) => a * (1 - a);
    const byHand = {
      'w(L)': dCda * sp(l3.a) * l2.a,
      'b(L)': dCda * sp(l3.a),
      'w(L−1)': dCda * sp(l3.a) * l3.w * sp(l2.a) * l1.a,
      'w(L−2)': dCda * sp(l3.a) * l3.w * sp(l2.a) * l2.w * sp(l1.a) * ch.x,
    };
    for (const [name, v] of Object.entries(byHand)) {
      const step = ch.steps.find((s) => s.yields === `∂C/∂${name}`)!;
      expect(step.branch).toBe(true);
      expect(step.product).toBeCloseTo(v, 15);
      expect(step.engine).toBe(step.product);
    }
    // the whole chain: 7 factors (a − y, then σ', w alternately, then x), multiplied out
    expect(ch.first.factors.map((f) => f.formula)).toEqual(['a(L) − y', "σ'(z(L))", 'w(L)', "σ'(z(L−1))", 'w(L−1)', "σ'(z(L−2))", 'x']);
    expect(ch.first.product).toBeCloseTo(byHand['w(L−2)'], 15);
    expect(ch.first.product).toBe(ch.first.engine);
    expect(relativeError(ch.first.finiteDifference, ch.first.engine)).toBeLessThan(1e-7);
  });

  it('every branch agrees with the engine and a finite difference, at any depth', () => {
    for (const [depth, seed] of [
      [1, 3],
      [5, 2],
      [8, 7],
    ]) {
      const ch = explainChain(depth, seed);
      const branches = ch.steps.filter((s) => s.branch);
      expect(branches).toHaveLength(2 * depth);
      for (const s of branches) {
        expect(s.product).toBe(s.engine);
        expect(relativeError(s.finiteDifference!, s.engine!, 1e-8)).toBeLessThan(1e-5);
      }
      // the trunk's running product: each step multiplies the previous product by its factor
      const trunk = ch.steps.filter((s) => !s.branch);
      for (let i = 1; i < trunk.length; i++) expect(trunk[i].product).toBe(trunk[i - 1].product * trunk[i].value);
    }
  });

  it('the same seed, the same chain; another seed, another', () => {
    expect(explainChain(3, 4)).toEqual(explainChain(3, 4));
    expect(explainChain(3, 5).x).not.toBe(explainChain(3, 4).x);
  });
});
