/**
 * explain for layer lists: every number of the chain through one pooled conv unit is checked
 * against the engine's backpropLayered, run here on its own workspace, and against sums redone
 * here by hand from the parameters (as nn/layout.ts lays them out) and the engine's activations.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherImage, type DigitSet } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { LimitError, ShapeError } from '../../src/errors.js';
import { explainLayered } from '../../src/explain/layered.js';
import type { LayeredExplanation } from '../../src/explain/types.js';
import { relativeError } from '../../src/nn/gradcheck.js';
import { backpropLayered, createLayered, createLayeredWorkspace, feedforwardLayered, type LayeredNetwork, type LayerSpec } from '../../src/nn/layered.js';
import type { ConvShape, PoolShape, StackDenseShape } from '../../src/nn/layout.js';
import { Random } from '../../src/nn/random.js';
import { randomSet } from '../helpers.js';

const conv = (filters: number, size: number, activation: 'sigmoid' | 'tanh' | 'relu'): LayerSpec => ({ kind: 'conv', filters, size, activation });
const pool = (size: number): LayerSpec => ({ kind: 'pool', size });
const dropout = (p: number): LayerSpec => ({ kind: 'dropout', p });
const dense = (units: number, activation: 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ kind: 'dense', units, activation });

/** σ'(z) from its formula (not the engine's mulDerivative). */
const sigmaPrime = (f: string, z: number, a: number): number => (f === 'sigmoid' ? a * (1 - a) : f === 'tanh' ? 1 - a * a : z > 0 ? 1 : 0);

/** The engine on its own: forward (dropout the identity: masks of ones) and backward of one image. */
function engine(net: LayeredNetwork, set: DigitSet, index: number) {
  const ws = createLayeredWorkspace(net, 1);
  for (const m of ws.mask) m.fill(1);
  gatherImage(set, index, ws.a[0], 0);
  ws.y[0] = set.labels[index];
  feedforwardLayered(net, ws, 1, 'replay');
  const cost = backpropLayered(net, ws, 1);
  return { ws, cost };
}

let digits: DigitSet;
beforeAll(() => {
  digits = loadMnist({ trainSize: 50 }).train;
});

describe('explain for a layer list: the chain through one pooled conv unit is the engine’s', () => {
  const cases: { name: string; layers: LayerSpec[]; cost: 'quadratic' | 'cross-entropy'; above: 'dense' | 'conv' | 'pool'; pooled: boolean }[] = [
    { name: 'conv(sigmoid) → pool → softmax', layers: [conv(4, 5, 'sigmoid'), pool(2), dense(10, 'softmax')], cost: 'cross-entropy', above: 'dense', pooled: true },
    { name: 'two conv-pool (relu), dense relu, dropout, softmax', layers: [conv(3, 5, 'relu'), pool(2), conv(4, 3, 'relu'), pool(2), dense(12, 'relu'), dropout(0.5), dense(10, 'softmax')], cost: 'cross-entropy', above: 'dense', pooled: true },
    { name: 'conv(tanh) → dropout → pool 3 (25 → 8) → dense tanh → sigmoid, quadratic', layers: [conv(3, 4, 'tanh'), dropout(0.3), pool(3), dense(8, 'tanh'), dense(10, 'sigmoid')], cost: 'quadratic', above: 'dense', pooled: true },
    { name: 'conv → pool → conv above (no pool after it)', layers: [conv(3, 5, 'sigmoid'), pool(2), conv(2, 3, 'tanh'), dense(10, 'softmax')], cost: 'cross-entropy', above: 'conv', pooled: true },
    { name: 'conv → pool → pool above', layers: [conv(2, 5, 'relu'), pool(2), pool(2), dense(10, 'sigmoid')], cost: 'cross-entropy', above: 'pool', pooled: true },
    { name: 'conv without a pool', layers: [conv(2, 5, 'sigmoid'), conv(2, 3, 'sigmoid'), dense(10, 'sigmoid')], cost: 'quadratic', above: 'dense', pooled: false },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const net = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers: c.layers, cost: c.cost }, new Random(3), 'scaled');
      const before = Float64Array.from(net.params);
      const index = 7;
      const e: LayeredExplanation = explainLayered(net, { set: digits, index, top: 4 });
      expect(net.params).toEqual(before);
      const { ws, cost } = engine(net, digits, index);
      expect(e.example.cost).toBe(cost);
      const u = e.unit!;
      const shapes = net.layout.layers;
      const cs = shapes[u.conv] as ConvShape;
      const { channels: C, height: H, width: Wd } = cs.input;
      const K = cs.size;
      const { height: oh, width: ow } = cs.output;
      const unit = (u.f * oh + u.i) * ow + u.j;
      const x = ws.a[u.conv];
      const delta = ws.g[u.conv + 1]; // the engine's δ of the conv layer
      const wAt = (f: number, ch: number, p: number, q: number) => cs.w + ((f * C + ch) * K + p) * K + q;

      // forward by hand: z = b_f + Σ w_f,c(p,q)·x_c(i+p, j+q)
      let z = net.params[cs.b + u.f];
      for (let ch = 0; ch < C; ch++) for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) z += net.params[wAt(u.f, ch, p, q)] * x[(ch * H + u.i + p) * Wd + u.j + q];
      expect(relativeError(u.forward.z, z, 1e-12)).toBeLessThan(1e-12);
      expect(u.forward.engineZ).toBe(ws.z[u.conv + 1][unit]);
      expect(u.forward.a).toBe(ws.a[u.conv + 1][unit]);
      expect(u.forward.taps).toBe(C * K * K);

      // the pool: the unit is the arg-max the engine recorded; the window's values are the engine's
      expect(u.pool !== null).toBe(c.pooled);
      if (u.pool) {
        const ps = shapes[u.pool.index] as PoolShape;
        const k = ps.size;
        const o = (u.f * ps.output.height + u.pool.I) * ps.output.width + u.pool.J;
        expect(ws.argmax[u.pool.index + 1][o]).toBe(unit);
        expect(u.pool.value).toBe(ws.a[u.pool.index + 1][o]);
        expect(u.pool.window).toHaveLength(k * k);
        expect(Math.max(...u.pool.window)).toBe(u.forward.a);
        expect(u.pool.window[u.pool.argmax[0] * k + u.pool.argmax[1]]).toBe(u.forward.a);
        expect([u.pool.I * k + u.pool.argmax[0], u.pool.J * k + u.pool.argmax[1]]).toEqual([u.i, u.j]);
        expect(u.losers).toHaveLength(k * k - 1);
        for (const l of u.losers) expect(l.engineDelta).toBe(0);
        expect(u.losers.every((l) => l.engineDelta === delta[(u.f * oh + l.i) * ow + l.j])).toBe(true);
      }

      // upstream by hand from the engine's δ of the layer above
      expect(u.above.kind).toBe(c.above);
      const above = shapes[u.above.index];
      const v = above.input;
      const [r, col] = u.pool ? [u.pool.I, u.pool.J] : [u.i, u.j];
      const m = (u.f * v.height + r) * v.width + col;
      const up = ws.g[u.above.index + 1];
      let byHand = 0;
      if (above.kind === 'dense') {
        const d = above as StackDenseShape;
        for (let j = 0; j < d.nOut; j++) byHand += net.params[d.w + m * d.nOut + j] * up[j];
      } else if (above.kind === 'conv') {
        const a2 = above as ConvShape;
        for (let f = 0; f < a2.filters; f++)
          for (let p = 0; p < a2.size; p++)
            for (let q = 0; q < a2.size; q++) {
              const [i2, j2] = [r - p, col - q];
              if (i2 >= 0 && j2 >= 0 && i2 < a2.output.height && j2 < a2.output.width) byHand += net.params[a2.w + ((f * v.channels + u.f) * a2.size + p) * a2.size + q] * up[(f * a2.output.height + i2) * a2.output.width + j2];
            }
      } else {
        const p2 = above as PoolShape;
        const o = (u.f * p2.output.height + Math.floor(r / p2.size)) * p2.output.width + Math.floor(col / p2.size);
        byHand = ws.argmax[u.above.index + 1][o] === m ? up[o] : 0;
      }
      const upstream = u.above.upstream;
      expect(relativeError(upstream.sum, byHand, 1e-15)).toBeLessThan(1e-12);
      expect(relativeError(upstream.engine, byHand, 1e-15)).toBeLessThan(1e-12);
      expect(upstream.terms.reduce((s, t) => s + t.product, 0) + upstream.restSum).toBeCloseTo(upstream.sum, 14);
      for (const t of upstream.terms) expect(t.product).toBe(t.left * t.right);
      if (u.pool && u.pool.index + 1 === u.above.index) expect(upstream.engine).toBe(ws.g[u.pool.index + 1][m]); // backpropLayered's ∂C/∂a'

      // δ = upstream · 1 · σ'(z), the engine's
      const sp = sigmaPrime(u.activation, u.forward.engineZ, u.forward.a);
      expect(u.factors.map((f) => f.value)).toEqual(u.pool ? [upstream.sum, 1, u.factors[2].value] : [upstream.sum, u.factors[1].value]);
      expect(relativeError(u.factors[u.factors.length - 1].value, sp, 1e-15)).toBeLessThan(1e-12);
      expect(u.engineDelta).toBe(delta[unit]);
      expect(relativeError(u.delta, byHand * sp, 1e-15)).toBeLessThan(1e-12);
      expect(relativeError(u.delta, delta[unit], 1e-15)).toBeLessThan(1e-12);

      // the weight: index and value as layout.ts lays them out; ∂C/∂w by hand = backpropLayered's gradient = the finite difference
      const w = u.weight;
      expect(w.index).toBe(wAt(u.f, w.c, w.p, w.q));
      expect(w.name).toBe(`w_${u.f},${w.c}(${w.p},${w.q})`);
      expect(w.w).toBe(net.params[w.index]);
      expect(w.x).toBe(x[(w.c * H + u.i + w.p) * Wd + u.j + w.q]);
      expect(w.x).not.toBe(0); // the brightest input of the unit's patch: the unit's term is not 0
      expect(w.term).toBe(delta[unit] * w.x);
      let gradByHand = 0;
      let nonZero = 0;
      let biasByHand = 0;
      for (let i2 = 0; i2 < oh; i2++)
        for (let j2 = 0; j2 < ow; j2++) {
          const d = delta[(u.f * oh + i2) * ow + j2];
          gradByHand += d * x[(w.c * H + i2 + w.p) * Wd + j2 + w.q];
          biasByHand += d;
          if (d !== 0) nonZero++;
        }
      expect(w.positions).toBe(oh * ow);
      expect(w.nonZero).toBe(nonZero);
      expect(w.sum.engine).toBe(ws.grad[w.index]);
      expect(relativeError(w.sum.sum, ws.grad[w.index], 1e-15)).toBeLessThan(1e-12);
      expect(relativeError(gradByHand, ws.grad[w.index], 1e-15)).toBeLessThan(1e-12);
      expect(w.sum.terms.reduce((s, t) => s + t.product, 0) + w.sum.restSum).toBeCloseTo(w.sum.sum, 14);
      expect(relativeError(w.finiteDifference, ws.grad[w.index], 1e-12)).toBeLessThan(1e-6);
      expect(w.relativeError).toBeLessThan(1e-6);
      expect(Math.abs(ws.grad[w.index])).toBeGreaterThan(0);
      // the bias: Σ δ
      expect(u.bias.index).toBe(cs.b + u.f);
      expect(u.bias.engine).toBe(ws.grad[cs.b + u.f]);
      expect(relativeError(u.bias.sum, biasByHand, 1e-15)).toBeLessThan(1e-12);
      expect(relativeError(u.bias.sum, ws.grad[cs.b + u.f], 1e-15)).toBeLessThan(1e-12);
      expect(relativeError(u.bias.finiteDifference, ws.grad[cs.b + u.f], 1e-12)).toBeLessThan(1e-6);

      // the unit has the largest |δ| of the window winners that win outright and see some input
      if (u.pool) {
        const ps = shapes[u.pool.index] as PoolShape;
        const k = ps.size;
        const a = ws.a[u.pool.index];
        let rivals = 0;
        for (const o of new Set(ws.argmax[u.pool.index + 1])) {
          const [f, i, j] = [Math.floor(o / (oh * ow)), Math.floor((o % (oh * ow)) / ow), o % ow];
          let outright = true;
          for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) {
            const other = (f * oh + Math.floor(i / k) * k + p) * ow + Math.floor(j / k) * k + q;
            if (other !== o && a[other] === a[o]) outright = false;
          }
          let sees = false;
          for (let ch = 0; ch < C; ch++) for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) if (x[(ch * H + i + p) * Wd + j + q] !== 0) sees = true;
          if (!outright || !sees) continue;
          rivals++;
          expect(Math.abs(delta[o])).toBeLessThanOrEqual(Math.abs(delta[unit]));
        }
        expect(rivals).toBeGreaterThan(1);
      } else {
        for (let o = 0; o < delta.length; o++) {
          const [i, j] = [Math.floor((o % (oh * ow)) / ow), o % ow];
          let sees = false;
          for (let ch = 0; ch < C; ch++) for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) if (x[(ch * H + i + p) * Wd + j + q] !== 0) sees = true;
          if (sees) expect(Math.abs(delta[o])).toBeLessThanOrEqual(Math.abs(delta[unit]));
        }
      }
    });
  }

  it('step 1: every layer’s output is the engine’s; the maps are the most active channels, the units the largest |a|', () => {
    const net = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers: [conv(5, 5, 'relu'), pool(2), dropout(0.5), dense(7, 'tanh'), dense(10, 'softmax')], cost: 'cross-entropy' }, new Random(8), 'scaled');
    const e = explainLayered(net, { set: digits, index: 2, top: 3 });
    const { ws } = engine(net, digits, 2);
    expect(e.layers.map((l) => l.kind)).toEqual(['conv', 'pool', 'dropout', 'dense', 'dense']);
    expect(e.layers.map((l) => l.spec)).toEqual(['conv:5x5:relu', 'pool:2', 'dropout:0.5', 'dense:7:tanh', 'dense:10:softmax']);
    expect(e.layers.map((l) => l.parameters)).toEqual([5 * 25 + 5, 0, 0, 5 * 12 * 12 * 7 + 7, 7 * 10 + 10]);
    expect(e.network.parameters).toBe(net.params.length);
    for (const l of e.layers) {
      const out = ws.a[l.index + 1];
      const n = l.output.channels * l.output.height * l.output.width;
      expect(l.stats.units).toBe(n);
      expect(l.stats.max).toBe(Math.max(...out.subarray(0, n)));
      expect(l.stats.min).toBe(Math.min(...out.subarray(0, n)));
      expect(l.stats.active).toBe(Array.from(out.subarray(0, n)).filter((a) => Math.abs(a) >= 0.5).length);
      if (l.kind === 'conv' || l.kind === 'pool') {
        const plane = l.output.height * l.output.width;
        const means = Array.from({ length: l.output.channels }, (_, ch) => out.subarray(ch * plane, (ch + 1) * plane).reduce((s, a) => s + Math.abs(a), 0) / plane);
        expect(l.maps).toHaveLength(3);
        for (const map of l.maps) {
          expect(map.values).toEqual(Array.from(out.subarray(map.channel * plane, (map.channel + 1) * plane)));
          expect(map.meanAbs).toBeCloseTo(means[map.channel], 14);
        }
        const shown = new Set(l.maps.map((mp) => mp.channel));
        for (let ch = 0; ch < l.output.channels; ch++) if (!shown.has(ch)) expect(means[ch]).toBeLessThanOrEqual(Math.min(...l.maps.map((mp) => mp.meanAbs)) + 1e-15);
      } else expect(l.maps).toEqual([]);
      if (l.kind === 'dense') {
        expect(l.units).toHaveLength(3);
        for (const t of l.units) {
          expect(t.a).toBe(out[t.j]);
          expect(t.z).toBe(ws.z[l.index + 1][t.j]);
        }
        for (let i = 1; i < l.units.length; i++) expect(Math.abs(l.units[i].a)).toBeLessThanOrEqual(Math.abs(l.units[i - 1].a));
      }
    }
    // dropout is the identity here
    expect(Array.from(ws.a[3])).toEqual(Array.from(ws.a[2]));
    // the outputs: softmax probabilities, and what the example wants of them
    const L = e.layers.length;
    expect(e.outputs.map((o) => o.a)).toEqual(Array.from(ws.a[L]));
    expect(e.outputs.reduce((s, o) => s + o.a, 0)).toBeCloseTo(1, 12);
    for (const o of e.outputs) expect(o.error).toBe(o.a - (o.j === digits.labels[2] ? 1 : 0));
    expect(e.example.predicted).toBe(e.outputs.reduce((b, o) => (o.a > e.outputs[b].a ? o.j : b), 0));
    expect(e.input.units).toBe(784);
  });

  it('no conv layer: no unit; deterministic; refuses what does not fit', () => {
    const mlp = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers: [dense(6, 'sigmoid'), dense(10, 'sigmoid')], cost: 'quadratic' }, new Random(1));
    expect(explainLayered(mlp, { set: digits, index: 0 }).unit).toBeNull();
    const net = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers: [conv(2, 5, 'sigmoid'), pool(2), dense(10, 'softmax')], cost: 'cross-entropy' }, new Random(1));
    expect(explainLayered(net, { set: digits, index: 4 })).toEqual(explainLayered(net, { set: digits, index: 4 }));
    expect(() => explainLayered(net, { set: digits, index: 50 })).toThrow(LimitError);
    expect(() => explainLayered(net, { set: randomSet(4, 6, 6, 3), index: 0 })).toThrow(ShapeError);
  });
});
