import { describe, expect, it } from 'vitest';
import { PIXEL, subset } from '../../../src/data/dataset.js';
import { gatherSparse, residentSet, trainMiniBatch } from '../../../src/nn/fast/engine.js';
import { createFastMemory, simdAvailable, type FastBackend } from '../../../src/nn/fast/wasm.js';
import { activate, costFunction, mulDerivative } from '../../../src/nn/functions.js';
import { cloneNetwork, createNetwork } from '../../../src/nn/network.js';
import { Random } from '../../../src/nn/random.js';
import { createWorkspace } from '../../../src/nn/workspace.js';
import { randomSet } from '../../helpers.js';

const BACKENDS: FastBackend[] = simdAvailable() ? ['wasm-simd', 'typescript'] : ['typescript'];
const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("the kernels' exponential is JavaScript's Math.exp, bit for bit", () => {
  it('on special values, the edges of every branch, and 2 million others', () => {
    const { kernels } = createFastMemory(65536, 'wasm-simd');
    const expOf = (kernels as unknown as { expOf(x: number): number }).expOf;
    const xs = [0, -0, 1, -1, 2, Infinity, -Infinity, NaN, 709.782712893384, 709.79, -745.1332191019411, -745.14, 1e-300, -1e-300, 5e-324, 2 ** -28, -(2 ** -28), 2 ** -29];
    for (const edge of [0.5 * Math.LN2, 1.5 * Math.LN2, 1021 * Math.LN2, 1024 * Math.LN2]) for (const s of [1, -1]) for (const d of [-1e-15, 0, 1e-15]) xs.push(s * edge * (1 + d));
    const rng = new Random(5);
    for (let i = 0; i < 1e6; i++) xs.push(60 * (rng.next() - 0.5)); // where sigmoids live
    const f = new Float64Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 1e6; i++) {
      u[0] = rng.next() * 2 ** 32;
      u[1] = rng.next() * 2 ** 32;
      xs.push(f[0]); // any double
    }
    let differ = 0;
    let first: number | undefined;
    for (const x of xs) {
      const a = expOf(x);
      const b = Math.exp(x);
      if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) {
        differ++;
        first ??= x;
      }
    }
    expect({ differ, first }).toEqual({ differ: 0, first: undefined });
  });
});

describe("the step's kernels against functions.ts, bit for bit, on both backends", () => {
  for (const backend of BACKENDS) {
    for (const [m, n] of [[1, 1], [3, 7], [10, 30], [4, 10], [2, 100]]) {
      it(`${backend}: sigmoid, σ', quadratic cost and δ^L, bias sums (m = ${m}, n = ${n})`, () => {
        const rng = new Random(m * 100 + n);
        const N = m * n;
        const z = Float64Array.from({ length: N }, () => 8 * rng.gauss());
        const d = Float64Array.from({ length: N }, () => rng.gauss());
        const b = Float64Array.from({ length: n }, () => rng.gauss());
        const y = Int32Array.from({ length: m }, () => Math.floor(rng.next() * n));
        const mem = createFastMemory(8 * (4 * N + n) + 4 * m + 64, backend);
        const F = (at: number, len: number) => new Float64Array(mem.buffer, at, len);
        const [pZ, pA, pD, pE, pB] = [0, 8 * N, 16 * N, 24 * N, 32 * N];
        const pY = 32 * N + 8 * n;
        F(pZ, N).set(z);
        F(pD, N).set(d);
        F(pB, n).set(b);
        new Int32Array(mem.buffer, pY, m).set(y);
        const k = mem.kernels;

        const a = new Float64Array(N);
        activate('sigmoid', z, a, 0, N);
        k.sigmoid(pZ, pA, N);
        expect(bits(F(pA, N))).toEqual(bits(a));

        const dd = Float64Array.from(d);
        mulDerivative('sigmoid', z, a, dd, N);
        k.sigmoidDerivative(pA, pD, N);
        expect(bits(F(pD, N))).toEqual(bits(dd));

        const C = costFunction('quadratic', 'sigmoid');
        let cost = 0.25;
        const delta = new Float64Array(N);
        for (let x = 0; x < m; x++) {
          cost += C.fn(z, a, x * n, n, y[x]);
          C.delta(a, delta, x * n, n, y[x]);
        }
        expect(k.quadraticSigmoid(pA, pE, pY, m, n, 0.25)).toBe(cost);
        expect(bits(F(pE, N))).toEqual(bits(delta));
        F(pE, N).fill(7);
        expect(k.quadraticSigmoid(pA, 0, pY, m, n, 0.25)).toBe(cost); // pD = 0: the cost only
        expect([...F(pE, N)].every((v) => v === 7)).toBe(true);

        const bb = Float64Array.from(b);
        for (let x = 0; x < m; x++) for (let j = 0; j < n; j++) bb[j] += dd[x * n + j];
        k.addRows(pB, pD, m, n);
        expect(bits(F(pB, n))).toEqual(bits(bb));
      });
    }
  }
});

describe('the gather from the set held in the kernels\' memory', () => {
  it('gives each example its labels and non-zero pixels, from a subset too, and survives the heap growing', () => {
    const set = randomSet(50, 6, 6, 4);
    const part = subset(set, 13, 41);
    const net = createNetwork({ sizes: [36, 5, 4], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(2));
    const ws = createWorkspace(net, 6);
    const order = Int32Array.from({ length: part.count }, (_, i) => (i * 11) % part.count);
    for (const [s, o, start] of [[set, null, 44], [part, order, 20], [set, null, 3]] as const) {
      gatherSparse(s, o, start, 6, ws, 5);
      let q = 0;
      for (let x = 0; x < 6; x++) {
        const e = o === null ? start + x : o[start + x];
        expect(ws.y[x]).toBe(s.labels[e]);
        expect(ws.nzStart[x]).toBe(q);
        for (let i = 0; i < 36; i++) {
          const v = s.images[e * 36 + i];
          if (v === 0) continue;
          expect([ws.xValue[q], ws.xRow[q]]).toEqual([PIXEL[v], i * 5]);
          q++;
        }
      }
      expect(ws.nzStart[6]).toBe(q);
    }
    expect(ws.resident.size).toBe(2); // each set copied once
  });

  it('a set of at most one batch is read where it is, not copied, with the same result', () => {
    const big = randomSet(7, 6, 6, 4, 3);
    const set = subset(big, 0, 6); // the same 6 images, one batch
    const net = createNetwork({ sizes: [36, 5, 4], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(2));
    const small = createWorkspace(net, 6);
    const other = createWorkspace(net, 6);
    const order = Int32Array.from([5, 0, 3, 1, 4, 2]);
    gatherSparse(set, order, 0, 6, small, 5);
    gatherSparse(big, order, 0, 6, other, 5);
    expect([small.resident.size, other.resident.size]).toEqual([0, 1]);
    const n = small.nzStart[6];
    expect(n).toBeGreaterThan(0);
    expect(n).toBe(other.nzStart[6]);
    expect([...small.nzStart, ...small.y, ...small.xRow.subarray(0, n)]).toEqual([...other.nzStart, ...other.y, ...other.xRow.subarray(0, n)]);
    expect(bits(small.xValue.subarray(0, n))).toEqual(bits(other.xValue.subarray(0, n)));
  });

  it('a network living in the workspace keeps its parameters and its place when a new set makes the heap grow', () => {
    const a = randomSet(40, 6, 6, 4, 1);
    const b = randomSet(40, 6, 6, 4, 2);
    const net = createNetwork({ sizes: [36, 7, 4], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(4));
    const copy = cloneNetwork(net);
    const ws = createWorkspace(net, 10);
    const ws2 = createWorkspace(copy, 10);
    const opt = { eta: 1, lambda: 0, n: 40, momentum: 0 };
    trainMiniBatch(net, ws, a, null, 0, 10, opt);
    const bytes = ws.heap.byteLength;
    residentSet(ws2, b, copy); // the second workspace grows before its first step
    trainMiniBatch(copy, ws2, a, null, 0, 10, opt);
    trainMiniBatch(net, ws, b, null, 0, 10, opt); // grows ws: views remade, net adopted again
    trainMiniBatch(copy, ws2, b, null, 0, 10, opt);
    expect(ws.heap.byteLength).toBeGreaterThan(bytes);
    expect(net.params.buffer).toBe(ws.heap);
    expect(bits(net.params)).toEqual(bits(copy.params));
    trainMiniBatch(net, ws, a, null, 10, 10, opt);
    trainMiniBatch(copy, ws2, a, null, 10, 10, opt);
    expect(bits(net.params)).toEqual(bits(copy.params));
  });
});

describe('the row-by-row first layer for wide layers gives the blocks\' results, bit for bit, whole or in ranges of units', () => {
  for (const H of [1, 2, 3, 7, 8, 9, 30, 61, 513]) {
    it(`width ${H}: denseForwardSparseRows, denseUpdateSparseRows`, () => {
      const rng = new Random(H + 1);
      const m = 3;
      const nIn = 50;
      const nW = nIn * H;
      const F64 = 8;
      // layout: W (twice), b, z (twice), δ, xValue, then the i32 xRow and nzStart
      const pW1 = 8, pW2 = pW1 + F64 * nW, pB = pW2 + F64 * nW, pZ1 = pB + F64 * H, pZ2 = pZ1 + F64 * m * H;
      const pD = pZ2 + F64 * m * H, pV = pD + F64 * m * H, pR = pV + F64 * m * nIn, pS = pR + 4 * m * nIn;
      const { buffer, kernels: k } = createFastMemory(pS + 4 * (m + 1), 'wasm-simd');
      const F = (at: number, n: number) => new Float64Array(buffer, at, n);
      const W = Float64Array.from({ length: nW }, () => rng.gauss() * Math.exp(2 * rng.gauss()));
      F(pW1, nW).set(W);
      F(pW2, nW).set(W);
      F(pB, H).set(Float64Array.from({ length: H }, () => rng.gauss()));
      F(pD, m * H).set(Float64Array.from({ length: m * H }, () => rng.gauss() * Math.exp(2 * rng.gauss())));
      const S = new Int32Array(buffer, pS, m + 1);
      const R = new Int32Array(buffer, pR, m * nIn);
      const V = F(pV, m * nIn);
      let q = 0;
      for (let x = 0; x < m; x++) {
        S[x] = q;
        for (let i = 0; i < nIn; i++) {
          if (rng.next() < 0.5) continue;
          V[q] = (1 + Math.floor(rng.next() * 255)) / 255;
          R[q++] = i * H;
        }
      }
      S[m] = q;
      k.denseForwardSparse(pW1, pB, pZ1, pV, pR, pS, m, H);
      k.denseForwardSparseRows(pW1, pB, pZ2, pV, pR, pS, m, H);
      expect(bits(F(pZ2, m * H))).toEqual(bits(F(pZ1, m * H)));
      k.denseUpdateSparse(pW1, pD, pV, pR, pS, m, H);
      // by rows of W, in two ranges (as two threads share them), at every cut: the same numbers
      for (const cutRow of [0, 1, nIn >> 1, nIn - 1, nIn]) {
        F(pW2, nW).set(W);
        k.denseUpdateSparseRows(pW2, pD, pV, pR, pS, m, H, cutRow * H, 2 ** 31 - 1);
        k.denseUpdateSparseRows(pW2, pD, pV, pR, pS, m, H, 0, cutRow * H);
        expect(bits(F(pW2, nW))).toEqual(bits(F(pW1, nW)));
      }
      expect(bits(F(pW2, nW))).not.toEqual(bits(W)); // the update did something
    });
  }
});
