import { describe, expect, it } from 'vitest';
import { convBackward, convForward, type ConvDims } from '../../../src/nn/layers/conv.js';
import { poolBackward, poolForward, type PoolDims } from '../../../src/nn/layers/pool.js';
import { denseBackwardRows, denseForward } from '../../../src/nn/layers/dense.js';
import { opsFor } from '../../../src/nn/fast/layered.js';
import { cloneLayered, createLayered, readableOps, type LayerOps, type LayerSpec } from '../../../src/nn/layered.js';
import { Random } from '../../../src/nn/random.js';
import type { Cost } from '../../../src/nn/functions.js';
import { createFastMemory } from '../../../src/nn/fast/wasm.js';
import { LayeredEngine } from '../../../src/train/layered.js';
import { randomSet } from '../../helpers.js';

/** Index of the first element where a and b differ as bits (Object.is), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Fills with values in [-1, 1) (some exact zeros, as after a ReLU), from a fixed seed. */
function randomArray(n: number, rng: Random, zeros = 0.2): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.next() < zeros ? 0 : rng.next() * 2 - 1;
  return v;
}

/** The WebAssembly ops on a memory with room for the given arrays, each copied in: the views and the ops. */
function inWasm(arrays: (Float64Array | Int32Array)[]): { views: (Float64Array | Int32Array)[]; ops: LayerOps } {
  const sizes = arrays.map((a) => Math.ceil((a.byteLength + 16) / 16) * 16);
  const mem = createFastMemory(sizes.reduce((s, n) => s + n, 0) + 64, 'wasm-simd');
  let at = 0;
  const views = arrays.map((a, i) => {
    const v = a instanceof Float64Array ? new Float64Array(mem.buffer, at, a.length) : new Int32Array(mem.buffer, at, a.length);
    v.set(a);
    at += sizes[i];
    return v;
  });
  return { views, ops: opsFor(mem) };
}

const convShapes: [string, ConvDims, number][] = [];
for (const k of [1, 2, 3, 5, 7, 9])
  for (const ow of [1, 2, 3, 5, 7, 9, 16])
    convShapes.push([`k ${k}, output width ${ow}`, { channels: 1 + (k % 3), height: k + 2, width: ow + k - 1, filters: 1 + ((k + ow) % 3), size: k }, 1 + (ow % 3)]);
convShapes.push(['network3.py first layer, 20 5×5 on 28×28', { channels: 1, height: 28, width: 28, filters: 20, size: 5 }, 2]);
convShapes.push(['network3.py second layer, 40 5×5 over 20 of 12×12', { channels: 20, height: 12, width: 12, filters: 40, size: 5 }, 2]);
convShapes.push(['a 10×10 filter (the wide-filter loop)', { channels: 2, height: 13, width: 14, filters: 2, size: 10 }, 2]);

describe('the WebAssembly conv kernels give the readable loops\' results bit for bit', () => {
  for (const [name, d, m] of convShapes) {
    it(`${name}, ${m} examples`, () => {
      const rng = new Random(d.size * 100 + d.width);
      const oh = d.height - d.size + 1;
      const ow = d.width - d.size + 1;
      const w = randomArray(d.filters * d.channels * d.size * d.size, rng, 0);
      const b = randomArray(d.filters, rng, 0);
      const a = randomArray(m * d.channels * d.height * d.width, rng);
      const delta = randomArray(m * d.filters * oh * ow, rng, 0.1);
      const z = new Float64Array(delta.length);
      const gw = randomArray(w.length, rng, 0); // gradients accumulate: start from non-zero sums
      const gb = randomArray(b.length, rng, 0);
      const dA = new Float64Array(a.length).fill(7); // overwritten
      const { views, ops } = inWasm([w, b, a, delta, z, gw, gb, dA]);
      const [W, B, A, D, Z, GW, GB, DA] = views as Float64Array[];
      convForward(w, b, a, z, m, d);
      ops.convForward(W, B, A, Z, m, d);
      expect(firstDifference(Z, z)).toBe(-1);
      convBackward(w, a, delta, gw, gb, dA, m, d);
      ops.convBackward(W, A, D, GW, GB, DA, m, d);
      expect(firstDifference(GB, gb)).toBe(-1);
      expect(firstDifference(GW, gw)).toBe(-1);
      expect(firstDifference(DA, dA)).toBe(-1);
      expect(z.some((v) => v !== 0) && dA.some((v) => v !== 0 && v !== 7)).toBe(true);
    });
  }
});

describe('the WebAssembly pool and dense kernels give the readable loops\' results bit for bit', () => {
  const pools: PoolDims[] = [
    { channels: 3, height: 24, width: 24, size: 2 },
    { channels: 2, height: 7, width: 9, size: 3 }, // rows and columns beyond the last window dropped
    { channels: 1, height: 5, width: 5, size: 1 },
  ];
  for (const d of pools) {
    it(`max-pool ${d.size}×${d.size} over ${d.channels} of ${d.height}×${d.width}`, () => {
      const m = 3;
      const rng = new Random(d.height);
      const a = randomArray(m * d.channels * d.height * d.width, rng, 0.3); // ties among zeros: the first one wins
      const n = m * d.channels * Math.floor(d.height / d.size) * Math.floor(d.width / d.size);
      const out = new Float64Array(n), arg = new Int32Array(n), up = randomArray(n, rng, 0), dA = new Float64Array(a.length).fill(3);
      const { views, ops } = inWasm([a, out, arg, up, dA]);
      const [A, O, I, U, DA] = views;
      poolForward(a, out, arg, m, d);
      ops.poolForward(A as Float64Array, O as Float64Array, I as Int32Array, m, d);
      expect(firstDifference(O, out)).toBe(-1);
      expect(firstDifference(I, arg)).toBe(-1);
      poolBackward(up, arg, dA, m, d);
      ops.poolBackward(U as Float64Array, I as Int32Array, DA as Float64Array, m, d);
      expect(firstDifference(DA, dA)).toBe(-1);
    });
  }
  for (const [nIn, nOut] of [[1, 1], [3, 2], [9, 5], [640, 100], [100, 10], [17, 33]]) {
    it(`dense ${nIn} → ${nOut}`, () => {
      const m = 4;
      const rng = new Random(nIn * 7 + nOut);
      const W = randomArray(nIn * nOut, rng, 0), b = randomArray(nOut, rng, 0), a = randomArray(m * nIn, rng);
      const z = new Float64Array(m * nOut), delta = randomArray(m * nOut, rng, 0), gw = randomArray(W.length, rng, 0), gb = randomArray(nOut, rng, 0), dA = new Float64Array(m * nIn);
      const { views, ops } = inWasm([W, b, a, z, delta, gw, gb, dA]);
      const [VW, VB, VA, VZ, VD, VGW, VGB, VDA] = views as Float64Array[];
      denseForward(W, b, a, z, m, nIn, nOut);
      ops.denseForward(VW, VB, VA, VZ, m, nIn, nOut);
      expect(firstDifference(VZ, z)).toBe(-1);
      denseBackwardRows(W, a, delta, gw, gb, dA, m, nIn, nOut);
      ops.denseBackwardRows(VW, VA, VD, VGW, VGB, VDA, m, nIn, nOut);
      expect(firstDifference(VDA, dA)).toBe(-1);
      expect(firstDifference(VGW, gw)).toBe(-1);
      expect(firstDifference(VGB, gb)).toBe(-1);
    });
  }
});

describe('training a layer list on the WebAssembly kernels is the readable training, bit for bit', () => {
  const set = randomSet(60, 14, 14, 4);
  const nets: [string, LayerSpec[], Cost][] = [
    ['conv-pool-conv-pool-dense-dropout, relu, softmax', [
      { kind: 'conv', filters: 4, size: 3, activation: 'relu' }, { kind: 'pool', size: 2 },
      { kind: 'conv', filters: 5, size: 2, activation: 'relu' }, { kind: 'pool', size: 2 },
      { kind: 'dense', units: 9, activation: 'relu' }, { kind: 'dropout', p: 0.3 },
      { kind: 'dense', units: 4, activation: 'softmax' }], 'cross-entropy'],
    ['conv 5×5 sigmoid, pool 3, tanh dense, sigmoid output', [
      { kind: 'conv', filters: 3, size: 5, activation: 'sigmoid' }, { kind: 'pool', size: 3 },
      { kind: 'dense', units: 7, activation: 'tanh' }, { kind: 'dense', units: 4, activation: 'sigmoid' }], 'cross-entropy'],
  ];
  for (const [name, layers, cost] of nets) {
    it(`${name}: 12 steps with momentum, every parameter and cost the same`, () => {
      const readable = createLayered({ input: { channels: 1, height: 14, width: 14 }, layers, cost }, new Random(5));
      const fast = cloneLayered(readable);
      const opt = { eta: 0.1, lambda: 0.5, n: 60, momentum: 0.9 };
      const engine = new LayeredEngine(fast, 5, true);
      expect(fast.params.buffer).not.toBe(readable.params.buffer);
      const order = Int32Array.from({ length: 60 }, (_, i) => (i * 13) % 60);
      const noiseA = new Random(3), noiseB = new Random(3);
      const plain = new LayeredEngine(readable, 5, true, 0, 'typescript');
      for (let s = 0; s < 12; s++) {
        const c1 = engine.step(set, order, s * 5, 5, opt, noiseA);
        const c2 = plain.step(set, order, s * 5, 5, opt, noiseB);
        expect(c1).toBe(c2);
      }
      expect(firstDifference(fast.params, readable.params)).toBe(-1);
      expect(firstDifference(engine.velocity, plain.velocity)).toBe(-1);
      expect(engine.evaluate(set)).toEqual(plain.evaluate(set));
      expect(plain.ws.ops.convForward).toBe(convForward); // the TypeScript engine runs the readable loops themselves
      engine.close();
    });
    it(`${name}: the same 12 steps with the conv layers split between two threads, switched on and off`, () => {
      const readable = createLayered({ input: { channels: 1, height: 14, width: 14 }, layers, cost }, new Random(6));
      const fast = cloneLayered(readable);
      const opt = { eta: 0.1, lambda: 0, n: 60, momentum: 0 };
      const engine = new LayeredEngine(fast, 5, false, 1, 'wasm-simd', true);
      const plain = new LayeredEngine(readable, 5, false, 1, 'typescript');
      expect(engine.threads).toBe(2);
      const order = Int32Array.from({ length: 60 }, (_, i) => (i * 7) % 60);
      const noiseA = new Random(4), noiseB = new Random(4);
      for (let s = 0; s < 12; s++) {
        engine.threads = s % 4 === 3 ? 1 : 2;
        expect(engine.step(set, order, s * 5, 5, opt, noiseA)).toBe(plain.step(set, order, s * 5, 5, opt, noiseB));
      }
      expect(firstDifference(fast.params, readable.params)).toBe(-1);
      engine.threads = 2;
      expect(engine.evaluate(set)).toEqual(plain.evaluate(set));
      engine.close();
      expect(engine.threads).toBe(1);
    });
  }
});

describe('which loops a layer list runs on', () => {
  it('the WebAssembly kernels by default where SIMD runs (the parameters move into their memory), the readable loops when asked', () => {
    const net = createLayered({ input: { channels: 1, height: 8, width: 8 }, layers: [{ kind: 'conv', filters: 2, size: 3, activation: 'relu' }, { kind: 'dense', units: 3, activation: 'softmax' }], cost: 'cross-entropy' }, new Random(2));
    const before = net.params;
    const engine = new LayeredEngine(net, 4, false);
    expect(engine.ws.ops).not.toBe(readableOps);
    expect(engine.ws.ops.convForward).not.toBe(convForward);
    expect(net.params.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(net.params)).toEqual(Array.from(before)); // the same values, moved
    const plain = new LayeredEngine(cloneLayered(net), 4, false, 0, 'typescript');
    expect(plain.ws.ops).toBe(readableOps);
  });
});
