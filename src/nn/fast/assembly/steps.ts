/**
 * The parts of a training step around the matrix loops, in WebAssembly so that a mini-batch
 * crosses from JavaScript only a few times: the gather of the batch's non-zero pixels from the
 * set's lists held in this memory, the sigmoid (with JavaScript's own exponential, see exp
 * below), the quadratic cost and δ^L of a sigmoid output, σ' in BP2, and BP3's bias sums.
 * Every loop does the arithmetic of its TypeScript twin (../plain.ts, and functions.ts for the
 * readable path) in the same order, so the results are the same bit for bit.
 */

/** Where the gather's first pass leaves the sum of what it touched (so that no load is dropped). */
let touched: i32 = 0;

/**
 * gatherSparse: for the m examples whose indices are at pE (i32), their labels to pY (i32) and
 * their non-zero pixels to xValue (pV, f64: PIXEL[v], the table at pPixel) and xRow (pR, i32:
 * pixel index times n1), example x owning entries nzStart[x] … nzStart[x+1]) (pS). The set's
 * lists: start (pStart, i32, one more than the images, rebased to 0), index (pIndex, u16),
 * value (pValue, u8), labels (pLabels, u8).
 */
export function gatherSparse(pStart: usize, pIndex: usize, pValue: usize, pLabels: usize, pPixel: usize, pE: usize, m: i32, n1: i32, pV: usize, pR: usize, pS: usize, pY: usize): void {
  // First touch one byte of every cache line of the m lists: these loads do not depend on one
  // another, so the processor has many cache misses in flight at once (the lists of a shuffled
  // batch lie anywhere in the set's megabytes); the copy below then finds them in the cache.
  let t: i32 = 0;
  for (let x = 0; x < m; x++) {
    const e = <usize>load<i32>(pE + (<usize>x << 2));
    const p0 = load<i32>(pStart + (e << 2));
    const p1 = load<i32>(pStart + (e << 2), 4);
    for (let p = p0; p < p1; p += 32) t += <i32>load<u16>(pIndex + (<usize>p << 1));
    for (let p = p0; p < p1; p += 64) t += <i32>load<u8>(pValue + <usize>p);
    t += <i32>load<u8>(pLabels + e);
  }
  touched += t;
  let q: i32 = 0;
  for (let x = 0; x < m; x++) {
    const e = <usize>load<i32>(pE + (<usize>x << 2));
    store<i32>(pY + (<usize>x << 2), <i32>load<u8>(pLabels + e));
    store<i32>(pS + (<usize>x << 2), q);
    const p1 = load<i32>(pStart + (e << 2), 4);
    for (let p = load<i32>(pStart + (e << 2)); p < p1; p++) {
      store<f64>(pV + (<usize>q << 3), load<f64>(pPixel + (<usize>load<u8>(pValue + <usize>p) << 3)));
      store<i32>(pR + (<usize>q << 2), <i32>load<u16>(pIndex + (<usize>p << 1)) * n1);
      q++;
    }
  }
  store<i32>(pS + (<usize>m << 2), q);
}

/**
 * e^x exactly as JavaScript's Math.exp computes it in V8 (src/base/ieee754.cc, fdlibm's
 * e_exp.c): x = k·ln2 + r with ln2 in two parts, then a degree-5 rational approximation of
 * e^r, scaled by 2^k. The same constants and the same operations in the same order, so the
 * result is the same double (test/nn/fast/steps.test.ts compares it with Math.exp).
 *
 * fdlibm: Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at
 * SunSoft, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute
 * this software is freely granted, provided that this notice is preserved.
 */
// @ts-ignore: decorator
@inline
function exp(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  const negative = <u32>(bits >> 63);
  const hx = <u32>(bits >> 32) & 0x7fffffff; // high word of |x|
  if (hx >= 0x40862e42) {
    // |x| ≥ 709.78…: overflow, underflow, or not finite
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <u32>bits) != 0) return x + x; // NaN
      return negative ? 0.0 : x; // e^±∞
    }
    if (x > 7.09782712893383973096e2) return Infinity;
    if (x < -7.45133219101941108420e2) return 0.0;
  }
  let hi = 0.0;
  let lo = 0.0;
  let k: i32 = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: reduce
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5 ln2: k = ±1
      if (x == 1.0) return 2.718281828459045;
      if (negative) {
        hi = x + 6.93147180369123816490e-1;
        lo = -1.90821492927058770002e-10;
        k = -1;
      } else {
        hi = x - 6.93147180369123816490e-1;
        lo = 1.90821492927058770002e-10;
        k = 1;
      }
    } else {
      k = <i32>(1.44269504088896338700 * x + (negative ? -0.5 : 0.5));
      const t = <f64>k;
      hi = x - t * 6.93147180369123816490e-1; // exact
      lo = t * 1.90821492927058770002e-10;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1.0 + x; // |x| < 2^-28
  }
  const t = x * x;
  const c = x - t * (1.66666666666666019037e-1 + t * (-2.77777777770155933842e-3 + t * (6.61375632143793436117e-5 + t * (-1.65339022054652515390e-6 + t * 4.13813679705723846039e-8))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 8.988465674311579539e307;
    return y * reinterpret<f64>(<u64>(<u32>(0x3ff00000 + (k << 20))) << 32);
  }
  return y * reinterpret<f64>(<u64>(<u32>(0x3ff00000 + ((k + 1000) << 20))) << 32) * 9.33263618503218878990e-302;
}

/** Math.exp's twin, exported for the test that compares the two. */
export function expOf(x: f64): f64 {
  return exp(x);
}

/** sigmoid, a = 1 / (1 + e^(−z)) for the n doubles at pZ, to pA. */
export function sigmoid(pZ: usize, pA: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(pA + o, 1.0 / (1.0 + exp(-load<f64>(pZ + o))));
  }
}

/** sigmoidDerivative, BP2's d ← d · σ'(z) = d · a(1 − a) for the n doubles at pD, a at pA. */
export function sigmoidDerivative(pA: usize, pD: usize, n: i32): void {
  const one = f64x2.splat(1.0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const a = v128.load(pA + o);
    v128.store(pD + o, f64x2.mul(v128.load(pD + o), f64x2.mul(a, f64x2.sub(one, a))));
  }
  if (i < n) {
    const o = <usize>i << 3;
    const a = load<f64>(pA + o);
    store<f64>(pD + o, load<f64>(pD + o) * (a * (1.0 - a)));
  }
}

/**
 * quadraticSigmoid, BP1 for the quadratic cost of a sigmoid output: for each of the m examples
 * (n outputs at pA, label at pY) its cost ½ Σ_j (a_j − y_j)² is added to `sum`, and δ^L =
 * (a − y) ⊙ a(1 − a) written to pD (when pD is not 0). Returns the sum.
 */
export function quadraticSigmoid(pA: usize, pD: usize, pY: usize, m: i32, n: i32, sum: f64): f64 {
  for (let x = 0; x < m; x++) {
    const label = load<i32>(pY + (<usize>x << 2));
    const a0 = pA + (<usize>(x * n) << 3);
    let c = 0.0;
    for (let j = 0; j < n; j++) {
      const e = load<f64>(a0 + (<usize>j << 3)) - (j == label ? 1.0 : 0.0);
      c += e * e;
    }
    sum += 0.5 * c;
    if (pD == 0) continue;
    const d0 = pD + (<usize>(x * n) << 3);
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      const a = load<f64>(a0 + o);
      store<f64>(d0 + o, (a - (j == label ? 1.0 : 0.0)) * (a * (1.0 - a)));
    }
  }
  return sum;
}

/** addRows, BP3: b_j += Σ_x d[x][j] for the m rows of n doubles at pD, in example order. */
export function addRows(pB: usize, pD: usize, m: i32, n: i32): void {
  const row = <usize>n << 3;
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    let s = v128.load(pB + o);
    let d = pD + o;
    for (let x = 0; x < m; x++) {
      s = f64x2.add(s, v128.load(d));
      d += row;
    }
    v128.store(pB + o, s);
  }
  if (j < n) {
    const o = <usize>j << 3;
    let s = load<f64>(pB + o);
    let d = pD + o;
    for (let x = 0; x < m; x++) {
      s += load<f64>(d);
      d += row;
    }
    store<f64>(pB + o, s);
  }
}

/**
 * denseForwardSparse for wide layers (see ../engine.ts for when): the same sums, z_j = b_j + Σ_q
 * xValue[q] · W[xRow[q] + j] in pixel order, but pixel by pixel over whole rows, the sums kept in
 * memory (z, n · 8 bytes, stays in the L1 cache): each row of W is read once, front to back, which
 * the processor's prefetcher follows, instead of once per block of units. (Two threads share it
 * by examples: each computes whole rows of z.)
 */
export function denseForwardSparseRows(pW: usize, pB: usize, pZ: usize, pV: usize, pR: usize, pS: usize, m: i32, H: i32): void {
  const even = <usize>(H & ~1) << 3;
  const bytes = <usize>H << 3;
  for (let x = 0; x < m; x++) {
    const q0 = load<i32>(pS + (<usize>x << 2));
    const q1 = load<i32>(pS + (<usize>x << 2), 4);
    const z = pZ + <usize>x * bytes;
    memory.copy(z, pB, bytes);
    for (let q = q0; q < q1; q++) {
      const s = load<f64>(pV + (<usize>q << 3));
      const v = f64x2.splat(s);
      const w = pW + (<usize>load<i32>(pR + (<usize>q << 2)) << 3);
      let o: usize = 0;
      for (; o + 64 <= even; o += 64) {
        v128.store(z + o, f64x2.add(v128.load(z + o), f64x2.mul(v128.load(w + o), v)));
        v128.store(z + o, f64x2.add(v128.load(z + o, 16), f64x2.mul(v128.load(w + o, 16), v)), 16);
        v128.store(z + o, f64x2.add(v128.load(z + o, 32), f64x2.mul(v128.load(w + o, 32), v)), 32);
        v128.store(z + o, f64x2.add(v128.load(z + o, 48), f64x2.mul(v128.load(w + o, 48), v)), 48);
      }
      for (; o < even; o += 16) v128.store(z + o, f64x2.add(v128.load(z + o), f64x2.mul(v128.load(w + o), v)));
      if (even < bytes) store<f64>(z + even, load<f64>(z + even) + load<f64>(w + even) * s);
    }
  }
}

/**
 * denseUpdateSparse for wide layers: row xRow[q] of W += xValue[q] · δ_x, example by example, each
 * row front to back (see denseForwardSparseRows), for the rows that start at lo ≤ xRow[q] < hi
 * only (element offsets: pixel i's row starts at i·H), so that two threads can share W^1 by rows,
 * each updating rows of its own (../engine.ts). Each weight receives the same terms in the same
 * order whichever thread updates it.
 */
export function denseUpdateSparseRows(pW: usize, pD: usize, pV: usize, pR: usize, pS: usize, m: i32, H: i32, lo: i32, hi: i32): void {
  const even = <usize>(H & ~1) << 3;
  const bytes = <usize>H << 3;
  for (let x = 0; x < m; x++) {
    const q0 = load<i32>(pS + (<usize>x << 2));
    const q1 = load<i32>(pS + (<usize>x << 2), 4);
    const d = pD + <usize>x * bytes;
    for (let q = q0; q < q1; q++) {
      const r = load<i32>(pR + (<usize>q << 2));
      if (r < lo || r >= hi) continue;
      const s = load<f64>(pV + (<usize>q << 3));
      const v = f64x2.splat(s);
      const w = pW + (<usize>r << 3);
      let o: usize = 0;
      for (; o + 64 <= even; o += 64) {
        v128.store(w + o, f64x2.add(v128.load(w + o), f64x2.mul(v, v128.load(d + o))));
        v128.store(w + o, f64x2.add(v128.load(w + o, 16), f64x2.mul(v, v128.load(d + o, 16))), 16);
        v128.store(w + o, f64x2.add(v128.load(w + o, 32), f64x2.mul(v, v128.load(d + o, 32))), 32);
        v128.store(w + o, f64x2.add(v128.load(w + o, 48), f64x2.mul(v, v128.load(d + o, 48))), 48);
      }
      for (; o < even; o += 16) v128.store(w + o, f64x2.add(v128.load(w + o), f64x2.mul(v, v128.load(d + o))));
      if (even < bytes) store<f64>(w + even, load<f64>(w + even) + s * load<f64>(d + even));
    }
  }
}
