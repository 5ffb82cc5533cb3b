/**
 * The chain rule on the smallest network there is: one neuron per layer, so that every
 * derivative is a single product of factors, from the cost back to the first weight, each
 * factor "local derivative × upstream gradient" and each side branch checked against the engine.
 */
import { allocateNetwork, backprop, feedforward, initialize } from '../nn/network.js';
import { numericalGradient } from '../nn/gradcheck.js';
import { Random } from '../nn/random.js';
import { createWorkspace } from '../nn/workspace.js';
import { bIndex, derivative, layerName, multiply, snapshot, wIndex } from './common.js';
import { EXPLAIN_H } from './explain.js';
import type { ChainExplanation, ChainStep, Factor } from './types.js';

/**
 * The one-neuron-per-layer network of docs/backprop.md with one neuron per layer (depth weight layers: 1-1-1-1 for 3), sigmoid,
 * quadratic cost, weights and biases N(0, 1) from `seed`, then x uniform in [0, 1), target y = 1.
 */
export function explainChain(depth = 3, seed = 1, h = EXPLAIN_H): ChainExplanation {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`a chain of ${depth} layers`); // the CLI allows 1 to 12
  const sizes = Array.from({ length: depth + 1 }, () => 1);
  const L = depth;
  const net = allocateNetwork({ sizes, activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' });
  const rng = new Random(seed);
  initialize(net, rng, 'normal');
  const x = rng.next();
  const y = 1;
  const ws = createWorkspace(net, 1);
  ws.a[0][0] = x;
  ws.y[0] = 0; // label 0 of the single output neuron: y = 1
  feedforward(net, ws, 1);
  const cost = backprop(net, ws, 1);
  const s = snapshot(ws);
  const name = (layer: number) => layerName(layer, L);
  const aName = (layer: number) => (layer === 0 ? 'x' : `a(${name(layer)})`);
  const fd = (index: number) => {
    ws.a[0][0] = x;
    return numericalGradient(net, ws, 1, index, h);
  };

  const steps: ChainStep[] = [];
  const firstFactors: Factor[] = [];
  const trunk = (symbol: string, formula: string, value: number, product: number, yields: string) => {
    steps.push({ symbol, formula, value, product, yields, branch: false });
    firstFactors.push({ symbol, formula, value });
  };
  let p = s.a[L][0] - y;
  trunk(`∂C/∂a(${name(L)})`, `a(${name(L)}) − y`, p, p, `∂C/∂a(${name(L)})`);
  for (let layer = L; layer >= 1; layer--) {
    const n = name(layer);
    const sp = derivative('sigmoid', s.z[layer], s.a[layer])[0];
    p *= sp;
    trunk(`∂a(${n})/∂z(${n})`, `σ'(z(${n}))`, sp, p, `∂C/∂z(${n})`);
    const wAt = wIndex(net.layout, layer, 0, 0);
    const bAt = bIndex(net.layout, layer, 0);
    const aBelow = s.a[layer - 1][0];
    steps.push({ symbol: `∂z(${n})/∂w(${n})`, formula: aName(layer - 1), value: aBelow, product: p * aBelow, yields: `∂C/∂w(${n})`, branch: true, engine: s.grad[wAt], finiteDifference: fd(wAt) });
    steps.push({ symbol: `∂z(${n})/∂b(${n})`, formula: '1', value: 1, product: p * 1, yields: `∂C/∂b(${n})`, branch: true, engine: s.grad[bAt], finiteDifference: fd(bAt) });
    if (layer > 1) {
      const w = net.W[layer - 1][0];
      p *= w;
      trunk(`∂z(${n})/∂a(${name(layer - 1)})`, `w(${n})`, w, p, `∂C/∂a(${name(layer - 1)})`);
    }
  }
  firstFactors.push({ symbol: `∂z(${name(1)})/∂w(${name(1)})`, formula: 'x', value: x });
  const w1 = wIndex(net.layout, 1, 0, 0);
  return {
    depth,
    sizes,
    x,
    y,
    layers: Array.from({ length: L }, (_, i) => {
      const layer = i + 1;
      return { layer, name: name(layer), w: net.W[i][0], b: net.b[i][0], z: s.z[layer][0], a: s.a[layer][0] };
    }),
    cost,
    steps,
    first: { factors: firstFactors, product: multiply(firstFactors), engine: s.grad[w1], finiteDifference: fd(w1) },
  };
}
