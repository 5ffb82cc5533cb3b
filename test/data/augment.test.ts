import { describe, expect, it } from 'vitest';
import { ElasticDistortion, gaussianKernel } from '../../src/data/augment.js';
import { makeDigitSet, PIXEL } from '../../src/data/dataset.js';
import { Random } from '../../src/nn/random.js';
import { randomSet } from '../helpers.js';

/** A rows × cols image of distinct bytes, as a set of one image. */
function ramp(rows: number, cols: number) {
  const bytes = Uint8Array.from({ length: rows * cols }, (_, k) => (k * 37 + 11) % 256);
  return makeDigitSet('ramp', bytes, new Uint8Array(1), rows, cols);
}

/** The image read at (y, x) between its pixels, bilinear, written out from the four pixels around (0 beyond). */
function bilinear(bytes: Uint8Array, rows: number, cols: number, y: number, x: number): number {
  const px = (p: number, q: number) => (p >= 0 && p < rows && q >= 0 && q < cols ? bytes[p * cols + q] / 255 : 0);
  const p = Math.floor(y);
  const q = Math.floor(x);
  const fy = y - p;
  const fx = x - q;
  return (1 - fy) * (1 - fx) * px(p, q) + (1 - fy) * fx * px(p, q + 1) + fy * (1 - fx) * px(p + 1, q) + fy * fx * px(p + 1, q + 1);
}

describe('elastic distortions (data/augment.ts)', () => {
  it('the Gaussian kernel: 2⌈3σ⌉ + 1 taps, symmetric, summing to 1, in the ratio exp(−t²/2σ²)', () => {
    const g = gaussianKernel(4);
    expect(g).toHaveLength(25);
    expect(g.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
    for (let t = 0; t <= 12; t++) expect(g[12 + t]).toBe(g[12 - t]);
    expect(g[12 + 4] / g[12]).toBeCloseTo(Math.exp(-0.5), 14);
    expect(gaussianKernel(0.5)).toHaveLength(5);
    expect(() => gaussianKernel(0)).toThrow(RangeError);
  });

  it('the field is reproducible from the seed, and another seed draws another field', () => {
    const a = new ElasticDistortion(12, 10, { alpha: 34, sigma: 4 });
    const b = new ElasticDistortion(12, 10, { alpha: 34, sigma: 4 });
    const r1 = new Random(9);
    const r2 = new Random(9);
    a.drawField(r1);
    b.drawField(r2);
    expect(Array.from(b.dx)).toEqual(Array.from(a.dx));
    expect(Array.from(b.dy)).toEqual(Array.from(a.dy));
    expect(r2.state).toBe(r1.state);
    const first = Array.from(a.dx);
    a.drawField(r1); // the next draw: a new field
    expect(Array.from(a.dx)).not.toEqual(first);
    b.drawField(new Random(10));
    expect(Array.from(b.dx)).not.toEqual(Array.from(a.dx));
    expect(Array.from(a.dx)).not.toEqual(Array.from(a.dy)); // two independent fields
  });

  it('the field is α times the Gaussian-smoothed uniform noise: the same numbers as a direct 2-D convolution', () => {
    const rows = 9;
    const cols = 11;
    const el = new ElasticDistortion(rows, cols, { alpha: 3, sigma: 1.5 });
    const rng = new Random(4);
    const copy = new Random(4);
    el.drawField(rng);
    const noise = Array.from({ length: 2 * rows * cols }, () => 2 * copy.next() - 1);
    expect(noise.every((v) => v >= -1 && v < 1)).toBe(true);
    const g = gaussianKernel(1.5);
    const r = (g.length - 1) / 2;
    for (const [field, from] of [[el.dx, 0], [el.dy, rows * cols]] as const) {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let p = i - r; p <= i + r; p++) for (let q = j - r; q <= j + r; q++) if (p >= 0 && p < rows && q >= 0 && q < cols) s += g[p - i + r] * g[q - j + r] * noise[from + p * cols + q];
          expect(field[i * cols + j]).toBeCloseTo(3 * s, 13);
        }
      }
    }
  });

  it('α = 0 gives the image back exactly (and with a shift, the shifted image)', () => {
    const set = ramp(7, 8);
    const el = new ElasticDistortion(7, 8, { alpha: 0, sigma: 4 });
    const out = new Float64Array(3 + 56).fill(5);
    el.apply(set, 0, out, 3, new Random(2));
    expect(Array.from(el.dx).every((v) => v === 0)).toBe(true);
    expect(Array.from(out.subarray(0, 3))).toEqual([5, 5, 5]); // nothing written before `at`
    expect(Array.from(out.subarray(3))).toEqual(Array.from(set.images, (v) => PIXEL[v]));
    el.apply(set, 0, out, 3, new Random(2), 2, -1); // right 2, up 1
    for (let i = 0; i < 7; i++) for (let j = 0; j < 8; j++) {
      const si = i + 1;
      const sj = j - 2;
      expect(out[3 + i * 8 + j]).toBe(si < 7 && sj >= 0 ? PIXEL[set.images[si * 8 + sj]] : 0);
    }
  });

  it('a constant field (Δx, Δy) = (0.25, −0.6) reads every pixel between its neighbours as bilinear interpolation gives it', () => {
    const rows = 6;
    const cols = 7;
    const set = ramp(rows, cols);
    const el = new ElasticDistortion(rows, cols, { alpha: 1, sigma: 1 });
    el.dx.fill(0.25);
    el.dy.fill(-0.6);
    const out = new Float64Array(rows * cols);
    el.warp(set.images, 0, out, 0);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) expect(out[i * cols + j]).toBeCloseTo(bilinear(set.images, rows, cols, i - 0.6, j + 0.25), 14);
    }
    // one value by hand: pixel (2, 3) reads (1.4, 3.25) = 0.6·(0.75·I(1,3) + 0.25·I(1,4)) + 0.4·(0.75·I(2,3) + 0.25·I(2,4))
    const I = (p: number, q: number) => set.images[p * cols + q] / 255;
    expect(out[2 * cols + 3]).toBeCloseTo(0.6 * (0.75 * I(1, 3) + 0.25 * I(1, 4)) + 0.4 * (0.75 * I(2, 3) + 0.25 * I(2, 4)), 14);
    // the top row reads half outside the image (row −0.6): 0.4 of its own pixels, the rest 0
    expect(out[3]).toBeCloseTo(0.4 * (0.75 * I(0, 3) + 0.25 * I(0, 4)), 14);
    // a whole-pixel field is a shift: (1, 0) reads the right-hand neighbour, 0 past the last column
    el.dx.fill(1);
    el.dy.fill(0);
    el.warp(set.images, 0, out, 0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expect(out[i * cols + j]).toBe(j + 1 < cols ? I(i, j + 1) : 0);
  });

  it('pixels stay in [0, 1], even for large fields over an image all ink; a field moves the ink around, it does not create it', () => {
    const ink = makeDigitSet('ink', new Uint8Array(10 * 10).fill(255), new Uint8Array(1), 10, 10);
    const set = randomSet(20, 10, 10);
    const el = new ElasticDistortion(10, 10, { alpha: 60, sigma: 2 });
    const rng = new Random(3);
    const out = new Float64Array(100);
    let moved = 0;
    for (let e = 0; e < 20; e++) {
      el.apply(e % 2 ? ink : set, e % 2 ? 0 : e, out, 0, rng);
      for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
      if (e % 2) moved += out.filter((v) => v < 1).length;
    }
    expect(moved).toBeGreaterThan(0); // the ink image did change (zeros came in from beyond its border)
  });

  it('keeps the buffers made by its constructor from image to image, and refuses images of another size', () => {
    const el = new ElasticDistortion(8, 8, { alpha: 34, sigma: 4 });
    const { dx, dy, kernel } = el;
    el.apply(randomSet(2, 8, 8), 1, new Float64Array(64), 0, new Random(1));
    expect(el.dx).toBe(dx);
    expect(el.dy).toBe(dy);
    expect(el.kernel).toBe(kernel);
    expect(() => el.apply(randomSet(1, 4, 4), 0, new Float64Array(64), 0, new Random(1))).toThrow(/for 8×8 images, random has 4×4/);
  });
});
