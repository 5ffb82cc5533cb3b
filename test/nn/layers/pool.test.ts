import { describe, expect, it } from 'vitest';
import { poolBackward, poolForward, type PoolDims } from '../../../src/nn/layers/pool.js';
import { dot, randomArray, worstDifference } from './fd.js';

// 2 examples, 3 channels of 7×6, 2×2 windows: 3×3 outputs per channel (the 7th row is dropped)
const d: PoolDims = { channels: 3, height: 7, width: 6, size: 2 };
const m = 2;
const oh = Math.floor(d.height / d.size);
const ow = Math.floor(d.width / d.size);
const nIn = m * d.channels * d.height * d.width;
const nOut = m * d.channels * oh * ow;

describe('max-pool layer (k×k, stride k)', () => {
  it('forward: the maximum of each window, and its arg-max recorded', () => {
    const a = randomArray(nIn, 5);
    const out = new Float64Array(nOut);
    const arg = new Int32Array(nOut);
    poolForward(a, out, arg, m, d);
    const { channels: C, height: H, width: W, size: k } = d;
    for (let x = 0; x < m; x++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            let max = -Infinity;
            for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) max = Math.max(max, a[((x * C + c) * H + k * i + p) * W + k * j + q]);
            const o = ((x * C + c) * oh + i) * ow + j;
            expect(out[o]).toBe(max);
            expect(a[arg[o]]).toBe(max);
          }
  });

  it('backward: δ goes to the arg-max of each window only — against finite differences', () => {
    const a = randomArray(nIn, 6); // distinct values: no ties within a window
    const r = randomArray(nOut, 7);
    const out = new Float64Array(nOut);
    const arg = new Int32Array(nOut);
    const L = () => {
      poolForward(a, out, arg, m, d);
      return dot(r, out);
    };
    L();
    const dA = new Float64Array(nIn).fill(9); // poolBackward must overwrite, not add
    poolBackward(r, arg, dA, m, d);
    expect(worstDifference(L, a, dA, 1e-6)).toBeLessThan(1e-8);
    // the dropped last row gets no gradient
    for (let x = 0; x < m; x++) for (let c = 0; c < d.channels; c++) for (let v = 0; v < d.width; v++) expect(dA[((x * d.channels + c) * d.height + 6) * d.width + v]).toBe(0);
  });

  it('planted bug fails: spreading δ evenly over the window (average-pool backward)', () => {
    const a = randomArray(nIn, 6);
    const r = randomArray(nOut, 7);
    const out = new Float64Array(nOut);
    const arg = new Int32Array(nOut);
    const L = () => {
      poolForward(a, out, arg, m, d);
      return dot(r, out);
    };
    const { channels: C, height: H, width: W, size: k } = d;
    const spread = new Float64Array(nIn);
    for (let x = 0; x < m; x++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) spread[((x * C + c) * H + k * i + p) * W + k * j + q] = r[((x * C + c) * oh + i) * ow + j] / (k * k);
    expect(worstDifference(L, a, spread, 1e-6)).toBeGreaterThan(1e-2);
  });
});
