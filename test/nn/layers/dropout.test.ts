import { describe, expect, it } from 'vitest';
import { dropoutBackward, dropoutForward, dropoutIdentity } from '../../../src/nn/layers/dropout.js';
import { Random } from '../../../src/nn/random.js';
import { dot, randomArray, worstDifference } from './fd.js';

describe('dropout layer (inverted)', () => {
  it('training: drops a fraction p, scales the rest by 1/(1 − p), from the seeded generator (same seed, same mask)', () => {
    const n = 20000;
    const p = 0.3;
    const a = new Float64Array(n).fill(2);
    const out = new Float64Array(n);
    const mask = new Float64Array(n);
    dropoutForward(a, out, mask, n, p, new Random(42));
    let dropped = 0;
    let sum = 0;
    let odd = 0; // masks other than 0 and 1/(1 − p), outputs other than a·r
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) dropped++;
      else if (mask[i] !== 1 / (1 - p)) odd++;
      if (out[i] !== a[i] * mask[i]) odd++;
      sum += out[i];
    }
    expect(odd).toBe(0);
    // binomial: sd of the dropped fraction is sqrt(p(1−p)/n) ≈ 0.0032; 5 sd
    expect(Math.abs(dropped / n - p)).toBeLessThan(0.017);
    expect(Math.abs(sum / n - 2)).toBeLessThan(0.05); // E[a'] = a
    const again = new Float64Array(n);
    dropoutForward(a, out, again, n, p, new Random(42));
    expect(again).toEqual(mask);
    dropoutForward(a, out, again, n, p, new Random(43));
    expect(again).not.toEqual(mask);
  });

  it('evaluation: the identity', () => {
    const a = randomArray(50, 1);
    const out = new Float64Array(50);
    dropoutIdentity(a, out, 50);
    expect(out).toEqual(a);
  });

  it('backward: ∂C/∂a = r ⊙ ∂C/∂a′ against finite differences (the mask held fixed); a planted bug — the mask without its scale — fails', () => {
    const n = 40;
    const p = 0.5;
    const a = randomArray(n, 2);
    const r = randomArray(n, 3);
    const out = new Float64Array(n);
    const mask = new Float64Array(n);
    dropoutForward(a, out, mask, n, p, new Random(7));
    const L = () => {
      for (let i = 0; i < n; i++) out[i] = a[i] * mask[i]; // the same mask
      return dot(r, out);
    };
    const dA = new Float64Array(n);
    dropoutBackward(r, mask, dA, n);
    expect(worstDifference(L, a, dA)).toBeLessThan(1e-9);
    const unscaled = Float64Array.from(mask, (v, i) => (v === 0 ? 0 : 1) * r[i]);
    expect(worstDifference(L, a, unscaled)).toBeGreaterThan(1e-2);
  });
});
