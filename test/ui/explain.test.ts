import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/explain/explain.js';
import { explainChain } from '../../src/explain/chain.js';
import { ACTIVATIONS, COSTS, OUTPUTS } from '../../src/nn/functions.js';
import { createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { num, para, renderChain, renderExplanation, signed } from '../../src/ui/explain.js';
import { randomSet } from '../helpers.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 3 });
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('numbers', () => {
  it('4 significant digits, exponents for the very small and large', () => {
    expect(num(0.14480453937)).toBe('0.1448');
    expect(num(-4.1346996)).toBe('-4.135');
    expect(num(2.4431765e-4)).toBe('2.443e-4');
    expect(num(123456.7)).toBe('1.235e5');
    expect(num(1)).toBe('1.000');
    expect(num(0)).toBe('0');
    expect(num(Infinity)).toBe('inf');
    expect(num(0.14480453937, 6)).toBe('0.144805');
    expect(signed(0.5)).toBe('+0.5000');
    expect(signed(-0.5)).toBe('-0.5000');
  });
});

describe('para', () => {
  it('wraps at the width and never inside a − y', () => {
    const text = 'Some accounts write C = Σ(a−y)² and ∂C/∂a = 2(a − y): a factor 2 that the learning rate η absorbs, '.repeat(4);
    const lines = para(text, '   ', 60);
    expect(lines.length).toBeGreaterThan(4);
    for (const l of lines) {
      expect(l.length).toBeLessThanOrEqual(60);
      expect(l.startsWith('   ')).toBe(true);
      expect(l).not.toMatch(/(−|=|·)$/);
      expect(l).not.toMatch(/^ *(−|=|·) /);
    }
    expect(lines.join(' ').replace(/ +/g, ' ').trim()).toBe(text.replace(/ +/g, ' ').trim());
  });
});

describe('renderExplanation', () => {
  const set = randomSet(40, 28, 28, 10, 4);
  for (const activation of ACTIVATIONS) {
    for (const output of OUTPUTS) {
      for (const cost of COSTS) {
        it(`${activation}/${output}/${cost}: fits 80 columns and prints the data's numbers`, () => {
          const net = createNetwork({ sizes: [784, 30, 12, 10], activation, output, cost }, new Random(3), 'scaled');
          const e = explain(net, { set, index: 5 });
          const lines = renderExplanation(e, plain, 'random, seed 3');
          for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
          const text = lines.join('\n');
          expect(text).not.toMatch(/undefined|NaN|\[object/);
          for (const step of ['1. ', '2. ', '3. ', '4. ', '5. ', '6. ']) expect(text).toContain(`\n${step}`);
          // the chain of step 2, as numbers
          const w = e.outputLayer.weight;
          // the row of values: "= v1 × v2 × v3", every factor in order (padding aside)
          const valueRow = `= ${w.factors.map((f) => num(f.value)).join(' × ')}`;
          expect(lines.map((l) => l.trim().replace(/ +/g, ' '))).toContain(valueRow);
          expect(text).toContain(`engine ${num(w.engine, 6)}, finite difference ${num(w.finiteDifference, 6)}`);
          expect(text).toContain(`= ${num(w.product)}`);
          expect(text).toContain(`C on this example`);
          expect(text).toMatch(output === 'softmax' ? /Softmax is not element-wise/ : cost === 'quadratic' ? /factor 2 that the learning rate η absorbs/ : /cancels its denominator/);
          // colours change the look, not the width
          for (const l of renderExplanation(e, colour, 'random, seed 3')) expect(visible(l).length).toBeLessThanOrEqual(80);
        });
      }
    }
  }
});

describe('renderChain', () => {
  it('fits 80 columns at any depth and shows every factor', () => {
    for (const depth of [1, 3, 12]) {
      const ch = explainChain(depth, 2);
      const lines = renderChain(ch, plain, 2);
      for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
      const text = lines.join('\n');
      for (const s of ch.steps) expect(text).toContain(s.symbol);
      expect(text).toContain(`= ${num(ch.first.product, 6)}`);
    }
  });
});
