/**
 * The fast kernels as plain TypeScript loops over the same memory: what runs where WebAssembly
 * SIMD does not, and the readable statement of what assembly/kernels.ts computes. Each sum
 * receives its terms in the same order as there, so the results are the same bit for bit; only
 * the arrangement of the loops (blocks of units in registers, two lanes) differs.
 *
 * Memory is seen as F (doubles) and I (ints); a byte address p is F[p >> 3] or I[p >> 2].
 */
import type { FastKernels } from './kernels.js';

export function plainKernels(buffer: ArrayBuffer): FastKernels {
  const k = plainLoops(buffer);
  // the blocks and the row-by-row variants for wide layers are the same loops here (over all H units)
  return {
    ...k,
    denseForwardSparseRows: k.denseForwardSparse,
    denseUpdateSparse: (pW, pD, pV, pR, pS, m, H) => k.denseUpdateSparseRows(pW, pD, pV, pR, pS, m, H, 0, 2 ** 31 - 1),
  };
}

function plainLoops(buffer: ArrayBuffer): Omit<FastKernels, 'denseForwardSparseRows' | 'denseUpdateSparse'> {
  const F = new Float64Array(buffer);
  const I = new Int32Array(buffer);
  const U8 = new Uint8Array(buffer);
  const U16 = new Uint16Array(buffer);
  return {
    /** z^1_j = b_j + Σ_q xValue[q] · W[xRow[q] + j] over example x's non-zero pixels, in pixel order. */
    denseForwardSparse(pW, pB, pZ, pV, pR, pS, m, H) {
      const W = pW >> 3, B = pB >> 3, Z = pZ >> 3, V = pV >> 3, R = pR >> 2, S = pS >> 2;
      for (let x = 0; x < m; x++) {
        const z = Z + x * H;
        for (let j = 0; j < H; j++) F[z + j] = F[B + j];
        for (let q = I[S + x]; q < I[S + x + 1]; q++) {
          const v = F[V + q];
          const w = W + I[R + q];
          for (let j = 0; j < H; j++) F[z + j] += F[w + j] * v;
        }
      }
    },
    /** Row xRow[q] of W += xValue[q] · δ_x, example by example (δ already scaled by −η/m), for the rows starting at lo ≤ xRow[q] < hi. */
    denseUpdateSparseRows(pW, pD, pV, pR, pS, m, H, lo, hi) {
      const W = pW >> 3, D = pD >> 3, V = pV >> 3, R = pR >> 2, S = pS >> 2;
      for (let x = 0; x < m; x++) {
        const d = D + x * H;
        for (let q = I[S + x]; q < I[S + x + 1]; q++) {
          const r = I[R + q];
          if (r < lo || r >= hi) continue;
          const v = F[V + q];
          const w = W + r;
          for (let j = 0; j < H; j++) F[w + j] += v * F[d + j];
        }
      }
    },
    /** z_j = b_j + Σ_k W[k][j] · a_k (W input-major), for each of the m examples. */
    denseForward(pW, pB, pA, pZ, m, nIn, nOut) {
      const W = pW >> 3, B = pB >> 3, A = pA >> 3, Z = pZ >> 3;
      for (let x = 0; x < m; x++) {
        const a = A + x * nIn;
        const z = Z + x * nOut;
        for (let j = 0; j < nOut; j++) F[z + j] = F[B + j];
        for (let k = 0; k < nIn; k++) {
          const v = F[a + k];
          const w = W + k * nOut;
          for (let j = 0; j < nOut; j++) F[z + j] += F[w + j] * v;
        }
      }
    },
    /** d_k = Σ_j W[k][j] · up_j (BP2's Wᵀδ), for each of the m examples. */
    denseBackwardInput(pW, pUp, pD, m, n, nUp) {
      const W = pW >> 3, U = pUp >> 3, D = pD >> 3;
      for (let x = 0; x < m; x++) {
        const up = U + x * nUp;
        for (let k = 0; k < n; k++) {
          const w = W + k * nUp;
          let s = 0;
          for (let j = 0; j < nUp; j++) s += F[w + j] * F[up + j];
          F[D + x * n + k] = s;
        }
      }
    },
    /** Row k of W += a_k · δ, example by example (δ already scaled by −η/m). */
    denseUpdate(pW, pA, pD, m, nIn, nOut) {
      const W = pW >> 3, A = pA >> 3, D = pD >> 3;
      for (let x = 0; x < m; x++) {
        const a = A + x * nIn;
        const d = D + x * nOut;
        for (let k = 0; k < nIn; k++) {
          const v = F[a + k];
          const w = W + k * nOut;
          for (let j = 0; j < nOut; j++) F[w + j] += v * F[d + j];
        }
      }
    },
    /** x ← c·x. */
    scale(pX, n, c) {
      const X = pX >> 3;
      for (let i = 0; i < n; i++) F[X + i] = c * F[X + i];
    },
    /** y ← y + c·x. */
    addScaled(pX, pY, n, c) {
      const X = pX >> 3, Y = pY >> 3;
      for (let i = 0; i < n; i++) F[Y + i] += c * F[X + i];
    },
    // The rest of a step (assembly/steps.ts).
    /** The m examples at pE: labels to pY, non-zero pixels to xValue (PIXEL[v]) and xRow (index · n1), from the set's lists. */
    gatherSparse(pStart, pIndex, pValue, pLabels, pPixel, pE, m, n1, pV, pR, pS, pY) {
      const St = pStart >> 2, Ix = pIndex >> 1, E = pE >> 2, P = pPixel >> 3, V = pV >> 3, R = pR >> 2, S = pS >> 2, Y = pY >> 2;
      let q = 0;
      for (let x = 0; x < m; x++) {
        const e = I[E + x];
        I[Y + x] = U8[pLabels + e];
        I[S + x] = q;
        for (let p = I[St + e], end = I[St + e + 1]; p < end; p++) {
          F[V + q] = F[P + U8[pValue + p]];
          I[R + q] = U16[Ix + p] * n1;
          q++;
        }
      }
      I[S + m] = q;
    },
    /** a = 1 / (1 + e^(−z)). */
    sigmoid(pZ, pA, n) {
      const Z = pZ >> 3, A = pA >> 3;
      for (let i = 0; i < n; i++) F[A + i] = 1 / (1 + Math.exp(-F[Z + i]));
    },
    /** d ← d · a(1 − a). */
    sigmoidDerivative(pA, pD, n) {
      const A = pA >> 3, D = pD >> 3;
      for (let i = 0; i < n; i++) F[D + i] *= F[A + i] * (1 - F[A + i]);
    },
    /** sum + Σ_x ½ Σ_j (a_j − y_j)², and δ^L = (a − y) ⊙ a(1 − a) to pD unless pD is 0. */
    quadraticSigmoid(pA, pD, pY, m, n, sum) {
      const A = pA >> 3, D = pD >> 3, Y = pY >> 2;
      for (let x = 0; x < m; x++) {
        const label = I[Y + x];
        let c = 0;
        for (let j = 0; j < n; j++) {
          const e = F[A + x * n + j] - (j === label ? 1 : 0);
          c += e * e;
        }
        sum += 0.5 * c;
        if (pD === 0) continue;
        for (let j = 0; j < n; j++) {
          const a = F[A + x * n + j];
          F[D + x * n + j] = (a - (j === label ? 1 : 0)) * (a * (1 - a));
        }
      }
      return sum;
    },
    /** b_j += Σ_x d[x][j], in example order. */
    addRows(pB, pD, m, n) {
      const B = pB >> 3, D = pD >> 3;
      for (let x = 0; x < m; x++) for (let j = 0; j < n; j++) F[B + j] += F[D + x * n + j];
    },
  };
}
