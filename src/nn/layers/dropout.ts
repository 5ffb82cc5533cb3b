/**
 * Inverted dropout (Srivastava et al. 2014; Nielsen, ch. 3 and 6), forward and backward side by
 * side. In training, each activation is kept with probability 1 − p and scaled by 1/(1 − p):
 *
 *   forward:   a'_i = a_i · r_i,   r_i = 1/(1 − p) with probability 1 − p, else 0
 *   backward:  ∂C/∂a_i = r_i · ∂C/∂a'_i            (local derivative r_i × upstream gradient)
 *
 * The scale keeps E[a'] = a, so in evaluation the layer is the identity (a' = a) and the
 * network needs no rescaling after training. The mask r is drawn from our seeded generator
 * (random.ts), so a run is reproducible; the layer has no parameters.
 */
import type { Random } from '../random.js';

/** Training: draws the mask r (n numbers) from `rng` and writes a' = a ⊙ r. */
export function dropoutForward(a: Float64Array, out: Float64Array, mask: Float64Array, n: number, p: number, rng: Random): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    const r = rng.next() < p ? 0 : keep;
    mask[i] = r;
    out[i] = a[i] * r; // a'_i = a_i · r_i
  }
}

/** Evaluation: a' = a. */
export function dropoutIdentity(a: Float64Array, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i];
}

/** ∂C/∂a = r ⊙ ∂C/∂a' (the mask of the last training forward pass). */
export function dropoutBackward(dOut: Float64Array, mask: Float64Array, dA: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dA[i] = mask[i] * dOut[i];
}
