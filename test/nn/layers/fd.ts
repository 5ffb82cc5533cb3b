/** Finite differences for the layer tests: ∂f/∂x[i] by the five-point central difference. */
export function numerical(f: () => number, x: Float64Array, i: number, h = 1e-4): number {
  const saved = x[i];
  const at = (d: number) => {
    x[i] = saved + d;
    return f();
  };
  const g = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
  x[i] = saved;
  return g;
}

/** Largest |analytic[i] − ∂f/∂x[i]| over every i of x. */
export function worstDifference(f: () => number, x: Float64Array, analytic: Float64Array, h = 1e-4): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numerical(f, x, i, h)));
  return worst;
}

/** n uniform numbers in [−1, 1) from a small LCG (tests only: independent of the engine's generator). */
export function randomArray(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  });
}

/** Σ r ⊙ z: a scalar "cost" whose upstream gradient ∂L/∂z is exactly r. */
export function dot(r: Float64Array, z: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * z[i];
  return s;
}
