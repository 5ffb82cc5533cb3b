import { describe, expect, it } from 'vitest';
import { convBackward, convBackwardInput, convForward, type ConvDims } from '../../../src/nn/layers/conv.js';
import { dot, randomArray, worstDifference } from './fd.js';

// 2 examples, 2 input channels of 7×6, 3 filters of 3×3: output 3 × 5×4 (not square, so a
// swapped height and width shows)
const d: ConvDims = { channels: 2, height: 7, width: 6, filters: 3, size: 3 };
const m = 2;
const oh = d.height - d.size + 1;
const ow = d.width - d.size + 1;
const nIn = m * d.channels * d.height * d.width;
const nOut = m * d.filters * oh * ow;

/** z = w ∗ a + b straight from the definition, in another loop order than conv.ts. */
function naiveForward(w: Float64Array, b: Float64Array, a: Float64Array): Float64Array {
  const z = new Float64Array(nOut);
  const { channels: C, height: H, width: W, filters: F, size: k } = d;
  for (let x = 0; x < m; x++)
    for (let f = 0; f < F; f++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let s = b[f];
          for (let c = 0; c < C; c++) for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) s += w[((f * C + c) * k + p) * k + q] * a[((x * C + c) * H + i + p) * W + j + q];
          z[((x * F + f) * oh + i) * ow + j] = s;
        }
  return z;
}

const setup = () => ({
  w: randomArray(d.filters * d.channels * d.size * d.size, 1),
  b: randomArray(d.filters, 2),
  a: randomArray(nIn, 3),
  r: randomArray(nOut, 4), // the upstream gradient δ = ∂L/∂z of L = Σ r ⊙ z
});

describe('conv layer (k×k, stride 1, valid)', () => {
  it('forward: z = w ∗ a + b, as the definition', () => {
    const { w, b, a } = setup();
    const z = new Float64Array(nOut);
    convForward(w, b, a, z, m, d);
    const want = naiveForward(w, b, a);
    for (let i = 0; i < nOut; i++) expect(z[i]).toBeCloseTo(want[i], 12);
  });

  it('backward: ∂C/∂w = a ⋆ δ, ∂C/∂b = Σ δ, ∂C/∂a = full correlation of δ with the flipped kernel — against finite differences', () => {
    const { w, b, a, r } = setup();
    const z = new Float64Array(nOut);
    const L = () => {
      convForward(w, b, a, z, m, d);
      return dot(r, z) / m; // the gradients are of the batch's average
    };
    const gW = new Float64Array(w.length);
    const gB = new Float64Array(b.length);
    const dA = new Float64Array(nIn);
    convBackward(w, a, r, gW, gB, dA, m, d);
    expect(worstDifference(L, w, gW)).toBeLessThan(1e-9);
    expect(worstDifference(L, b, gB)).toBeLessThan(1e-9);
    // dA is ∂(Σ r z)/∂a (not averaged: it is handed down, and the layer below averages)
    const gradA = Float64Array.from(dA, (v) => v / m);
    expect(worstDifference(L, a, gradA)).toBeLessThan(1e-9);
  });

  it('planted bugs fail the same comparison: δ correlated with the unflipped kernel, or the kernel gradient transposed', () => {
    const { w, b, a, r } = setup();
    const z = new Float64Array(nOut);
    const L = () => {
      convForward(w, b, a, z, m, d);
      return dot(r, z);
    };
    const { channels: C, height: H, width: W, filters: F, size: k } = d;
    // ∂C/∂a_c(u,v) = Σ w(p,q) δ(u−p, v−q), written wrongly with w(k−1−p, k−1−q): the kernel not flipped
    const wrongA = new Float64Array(nIn);
    for (let x = 0; x < m; x++)
      for (let f = 0; f < F; f++)
        for (let c = 0; c < C; c++)
          for (let p = 0; p < k; p++)
            for (let q = 0; q < k; q++)
              for (let i = 0; i < oh; i++)
                for (let j = 0; j < ow; j++) wrongA[((x * C + c) * H + i + p) * W + j + q] += w[((f * C + c) * k + (k - 1 - p)) * k + (k - 1 - q)] * r[((x * F + f) * oh + i) * ow + j];
    expect(worstDifference(L, a, wrongA)).toBeGreaterThan(1e-3);
    // and the right one, through convBackwardInput alone, passes
    const dA = new Float64Array(nIn);
    convBackwardInput(w, r, dA, m, d);
    expect(worstDifference(L, a, dA)).toBeLessThan(1e-9);
    // the kernel gradient with p and q swapped
    const gW = new Float64Array(w.length);
    convBackward(w, a, r, gW, new Float64Array(F), null, m, d);
    for (let i = 0; i < gW.length; i++) gW[i] *= m; // convBackward averages over the m examples; L sums
    const swapped = new Float64Array(w.length);
    for (let fc = 0; fc < F * C; fc++) for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) swapped[(fc * k + p) * k + q] = gW[(fc * k + q) * k + p];
    expect(worstDifference(L, w, gW)).toBeLessThan(1e-9);
    expect(worstDifference(L, w, swapped)).toBeGreaterThan(1e-3);
  });

  it('adds into the gradient buffers (a mini-batch accumulates) and leaves dA untouched when null', () => {
    const { w, a, r } = setup();
    const gW = new Float64Array(w.length).fill(1);
    const gB = new Float64Array(d.filters).fill(1);
    const fresh = new Float64Array(w.length);
    convBackward(w, a, r, fresh, new Float64Array(d.filters), null, m, d);
    convBackward(w, a, r, gW, gB, null, m, d);
    for (let i = 0; i < w.length; i++) expect(gW[i]).toBeCloseTo(1 + fresh[i], 12);
  });
});
