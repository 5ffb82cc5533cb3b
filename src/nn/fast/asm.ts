/**
 * The fast backend's loops in asm.js, the typed subset of JavaScript that V8 compiles ahead of
 * time to machine code without the map and overflow checks it puts around every typed-array
 * access in ordinary code. Each loop is the twin of the readable operation of the same name in
 * ../layers/dense.ts (denseForward, denseBackwardInput) or of its step fused with SGD
 * (denseUpdate: BP4 added straight into W), and the *Sparse loops are the first layer's, over
 * the non-zero pixels only. An engine that does not compile asm.js runs this as ordinary code,
 * with the same results, only slower. It imports nothing: the workspace links it to its memory.
 */

/** The asm.js loops, linked to one workspace's heap (see EngineAsm). */
export interface AsmKernels {
  denseForwardSparse(pW: number, pB: number, pZ: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  denseUpdateSparse(pW: number, pD: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  denseForward(pW: number, pB: number, pA: number, pZ: number, m: number, nIn: number, nOut: number): void;
  denseBackwardInput(pW: number, pUp: number, pD: number, m: number, n: number, nUp: number): void;
  denseUpdate(pW: number, pA: number, pD: number, m: number, nIn: number, nOut: number): void;
  scale(pX: number, n: number, c: number): void;
  addScaled(pX: number, pY: number, n: number, c: number): void;
}

/** The kernels over `heap` (an ArrayBuffer of an asm.js size: see workspace.ts). */
export function kernelsOn(heap: ArrayBuffer): AsmKernels {
  return EngineAsm(globalThis, null, heap);
}

/* eslint-disable */
/**
 * The matrix loops in asm.js. Its annotations are types: `x | 0` an int, `+x` a double. Memory
 * is one ArrayBuffer seen as F (doubles) and I (ints); every p… argument is a byte address in
 * it, and F[p >> 3] is the double at byte p. The batch's pixels are gathered by gatherSparse:
 * example x owns entries nzStart[x] … nzStart[x+1]) of xValue (at pV) and xRow (at pR).
 * (V8 still compares every address with the memory's size, since an asm.js read out of range
 * gives undefined rather than a fault: with no vector instructions either, that is most of what
 * separates these loops from the C reference's.)
 */
function EngineAsm(stdlib: typeof globalThis, foreign: unknown, heap: ArrayBuffer): AsmKernels {
  'use asm';
  var F = new stdlib.Float64Array(heap);
  var I = new stdlib.Int32Array(heap);
  var imul = stdlib.Math.imul;

  /**
   * z^1 = W^1 x + b^1 for the m examples (W^1 at pW, b^1 at pB, z^1 to pZ; H hidden units):
   * one example at a time, blocks of 6 hidden units (then 3, then 1) summed in local variables
   * across the example's pixel list: z_j = b_j + Σ_q xValue[q] · W[xRow[q] + j], the terms in
   * pixel order, as the dense sum over all 784 pixels (whose extra terms are all 0 · w).
   */
  function denseForwardSparse(pW: number, pB: number, pZ: number, pV: number, pR: number, pS: number, m: number, H: number): void {
    pW = pW | 0; pB = pB | 0; pZ = pZ | 0; pV = pV | 0; pR = pR | 0; pS = pS | 0; m = m | 0; H = H | 0;
    var x = 0, q = 0, q0 = 0, q1 = 0, j = 0, o = 0, r = 0;
    var v = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      q0 = I[(pS + (x << 2)) >> 2] | 0;
      q1 = I[(pS + (x << 2) + 4) >> 2] | 0;
      o = imul(x, H) | 0;
      j = 0;
      for (; ((j + 6) | 0) <= (H | 0); j = (j + 6) | 0) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3]; s1 = +F[(r + 8) >> 3]; s2 = +F[(r + 16) >> 3]; s3 = +F[(r + 24) >> 3]; s4 = +F[(r + 32) >> 3]; s5 = +F[(r + 40) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          s0 = s0 + +F[r >> 3] * v;
          s1 = s1 + +F[(r + 8) >> 3] * v;
          s2 = s2 + +F[(r + 16) >> 3] * v;
          s3 = s3 + +F[(r + 24) >> 3] * v;
          s4 = s4 + +F[(r + 32) >> 3] * v;
          s5 = s5 + +F[(r + 40) >> 3] * v;
        }
        r = (pZ + ((o + j) << 3)) | 0;
        F[r >> 3] = s0; F[(r + 8) >> 3] = s1; F[(r + 16) >> 3] = s2; F[(r + 24) >> 3] = s3; F[(r + 32) >> 3] = s4; F[(r + 40) >> 3] = s5;
      }
      if (((j + 3) | 0) <= (H | 0)) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3]; s1 = +F[(r + 8) >> 3]; s2 = +F[(r + 16) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          s0 = s0 + +F[r >> 3] * v;
          s1 = s1 + +F[(r + 8) >> 3] * v;
          s2 = s2 + +F[(r + 16) >> 3] * v;
        }
        r = (pZ + ((o + j) << 3)) | 0;
        F[r >> 3] = s0; F[(r + 8) >> 3] = s1; F[(r + 16) >> 3] = s2;
        j = (j + 3) | 0;
      }
      for (; (j | 0) < (H | 0); j = (j + 1) | 0) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          s0 = s0 + +F[r >> 3] * v;
        }
        r = (pZ + ((o + j) << 3)) | 0;
        F[r >> 3] = s0;
      }
    }
  }

  /**
   * BP4 fused into the SGD step on the first layer: row xRow[q] of W (at pW) += xValue[q] · δ_x,
   * δ (at pD) already scaled by −η/m, for each example x in turn (so every weight receives its
   * additions in example order) and each of its non-zero pixels; blocks of 15 hidden units
   * (then 5, then 1) keep their δ in local variables across the pixel list.
   */
  function denseUpdateSparse(pW: number, pD: number, pV: number, pR: number, pS: number, m: number, H: number): void {
    pW = pW | 0; pD = pD | 0; pV = pV | 0; pR = pR | 0; pS = pS | 0; m = m | 0; H = H | 0;
    var x = 0, q = 0, q0 = 0, q1 = 0, j = 0, o = 0, r = 0;
    var v = 0.0, d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0, d4 = 0.0, d5 = 0.0, d6 = 0.0, d7 = 0.0;
    var d8 = 0.0, d9 = 0.0, d10 = 0.0, d11 = 0.0, d12 = 0.0, d13 = 0.0, d14 = 0.0;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      q0 = I[(pS + (x << 2)) >> 2] | 0;
      q1 = I[(pS + (x << 2) + 4) >> 2] | 0;
      o = imul(x, H) | 0;
      j = 0;
      for (; ((j + 15) | 0) <= (H | 0); j = (j + 15) | 0) {
        r = (pD + ((o + j) << 3)) | 0;
        d0 = +F[r >> 3]; d1 = +F[(r + 8) >> 3]; d2 = +F[(r + 16) >> 3]; d3 = +F[(r + 24) >> 3]; d4 = +F[(r + 32) >> 3];
        d5 = +F[(r + 40) >> 3]; d6 = +F[(r + 48) >> 3]; d7 = +F[(r + 56) >> 3]; d8 = +F[(r + 64) >> 3]; d9 = +F[(r + 72) >> 3];
        d10 = +F[(r + 80) >> 3]; d11 = +F[(r + 88) >> 3]; d12 = +F[(r + 96) >> 3]; d13 = +F[(r + 104) >> 3]; d14 = +F[(r + 112) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          F[r >> 3] = +F[r >> 3] + v * d0;
          F[(r + 8) >> 3] = +F[(r + 8) >> 3] + v * d1;
          F[(r + 16) >> 3] = +F[(r + 16) >> 3] + v * d2;
          F[(r + 24) >> 3] = +F[(r + 24) >> 3] + v * d3;
          F[(r + 32) >> 3] = +F[(r + 32) >> 3] + v * d4;
          F[(r + 40) >> 3] = +F[(r + 40) >> 3] + v * d5;
          F[(r + 48) >> 3] = +F[(r + 48) >> 3] + v * d6;
          F[(r + 56) >> 3] = +F[(r + 56) >> 3] + v * d7;
          F[(r + 64) >> 3] = +F[(r + 64) >> 3] + v * d8;
          F[(r + 72) >> 3] = +F[(r + 72) >> 3] + v * d9;
          F[(r + 80) >> 3] = +F[(r + 80) >> 3] + v * d10;
          F[(r + 88) >> 3] = +F[(r + 88) >> 3] + v * d11;
          F[(r + 96) >> 3] = +F[(r + 96) >> 3] + v * d12;
          F[(r + 104) >> 3] = +F[(r + 104) >> 3] + v * d13;
          F[(r + 112) >> 3] = +F[(r + 112) >> 3] + v * d14;
        }
      }
      for (; ((j + 5) | 0) <= (H | 0); j = (j + 5) | 0) {
        r = (pD + ((o + j) << 3)) | 0;
        d0 = +F[r >> 3]; d1 = +F[(r + 8) >> 3]; d2 = +F[(r + 16) >> 3]; d3 = +F[(r + 24) >> 3]; d4 = +F[(r + 32) >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          F[r >> 3] = +F[r >> 3] + v * d0;
          F[(r + 8) >> 3] = +F[(r + 8) >> 3] + v * d1;
          F[(r + 16) >> 3] = +F[(r + 16) >> 3] + v * d2;
          F[(r + 24) >> 3] = +F[(r + 24) >> 3] + v * d3;
          F[(r + 32) >> 3] = +F[(r + 32) >> 3] + v * d4;
        }
      }
      for (; (j | 0) < (H | 0); j = (j + 1) | 0) {
        r = (pD + ((o + j) << 3)) | 0;
        d0 = +F[r >> 3];
        for (q = q0; (q | 0) < (q1 | 0); q = (q + 1) | 0) {
          v = +F[(pV + (q << 3)) >> 3];
          r = (pW + (((I[(pR + (q << 2)) >> 2] | 0) + j) << 3)) | 0;
          F[r >> 3] = +F[r >> 3] + v * d0;
        }
      }
    }
  }

  /**
   * z = W a + b for a dense layer (W input-major: row k holds the weights from input k) over m
   * examples, W at pW, b at pB, a (m × nIn) at pA, z (m × nOut) to pZ. Blocks of 5 outputs
   * summed in local variables across the inputs, each z_j = b_j + Σ_k in input order.
   */
  function denseForward(pW: number, pB: number, pA: number, pZ: number, m: number, nIn: number, nOut: number): void {
    pW = pW | 0; pB = pB | 0; pA = pA | 0; pZ = pZ | 0; m = m | 0; nIn = nIn | 0; nOut = nOut | 0;
    var x = 0, j = 0, k = 0, a = 0, z = 0, r = 0, w = 0, stride = 0;
    var v = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
    stride = nOut << 3;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      a = (pA + (imul(x, nIn) << 3)) | 0;
      z = (pZ + (imul(x, nOut) << 3)) | 0;
      for (j = 0; ((j + 5) | 0) <= (nOut | 0); j = (j + 5) | 0) {
        r = (pB + (j << 3)) | 0;
        s0 = +F[r >> 3]; s1 = +F[(r + 8) >> 3]; s2 = +F[(r + 16) >> 3]; s3 = +F[(r + 24) >> 3]; s4 = +F[(r + 32) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          v = +F[(a + (k << 3)) >> 3];
          s0 = s0 + +F[w >> 3] * v;
          s1 = s1 + +F[(w + 8) >> 3] * v;
          s2 = s2 + +F[(w + 16) >> 3] * v;
          s3 = s3 + +F[(w + 24) >> 3] * v;
          s4 = s4 + +F[(w + 32) >> 3] * v;
          w = (w + stride) | 0;
        }
        r = (z + (j << 3)) | 0;
        F[r >> 3] = s0; F[(r + 8) >> 3] = s1; F[(r + 16) >> 3] = s2; F[(r + 24) >> 3] = s3; F[(r + 32) >> 3] = s4;
      }
      for (; (j | 0) < (nOut | 0); j = (j + 1) | 0) {
        s0 = +F[(pB + (j << 3)) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          s0 = s0 + +F[w >> 3] * +F[(a + (k << 3)) >> 3];
          w = (w + stride) | 0;
        }
        F[(z + (j << 3)) >> 3] = s0;
      }
    }
  }

  /**
   * The matrix part of BP2, d = Wᵀ δ_up for m examples: d_k = Σ_j W[k·nUp + j] · up_j (j in
   * order), W at pW, δ_up (m × nUp) at pUp, d (m × n) to pD. Four rows of W at a time: four
   * independent sums instead of one chain of additions.
   */
  function denseBackwardInput(pW: number, pUp: number, pD: number, m: number, n: number, nUp: number): void {
    pW = pW | 0; pUp = pUp | 0; pD = pD | 0; m = m | 0; n = n | 0; nUp = nUp | 0;
    var x = 0, j = 0, k = 0, up = 0, d = 0, w = 0, row = 0;
    var u = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    row = nUp << 3;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      up = (pUp + (imul(x, nUp) << 3)) | 0;
      d = (pD + (imul(x, n) << 3)) | 0;
      for (k = 0; ((k + 4) | 0) <= (n | 0); k = (k + 4) | 0) {
        w = (pW + imul(k, row)) | 0;
        s0 = 0.0; s1 = 0.0; s2 = 0.0; s3 = 0.0;
        for (j = 0; (j | 0) < (nUp | 0); j = (j + 1) | 0) {
          u = +F[(up + (j << 3)) >> 3];
          s0 = s0 + +F[(w + (j << 3)) >> 3] * u;
          s1 = s1 + +F[(w + row + (j << 3)) >> 3] * u;
          s2 = s2 + +F[(w + (row << 1) + (j << 3)) >> 3] * u;
          s3 = s3 + +F[(w + imul(row, 3) + (j << 3)) >> 3] * u;
        }
        F[(d + (k << 3)) >> 3] = s0; F[(d + (k << 3) + 8) >> 3] = s1; F[(d + (k << 3) + 16) >> 3] = s2; F[(d + (k << 3) + 24) >> 3] = s3;
      }
      for (; (k | 0) < (n | 0); k = (k + 1) | 0) {
        w = (pW + imul(k, row)) | 0;
        s0 = 0.0;
        for (j = 0; (j | 0) < (nUp | 0); j = (j + 1) | 0) s0 = s0 + +F[(w + (j << 3)) >> 3] * +F[(up + (j << 3)) >> 3];
        F[(d + (k << 3)) >> 3] = s0;
      }
    }
  }

  /**
   * BP4 fused into the step on a dense layer: row k of W (at pW) += a_k · δ for each example in
   * turn, δ (m × nOut, at pD) already scaled by −η/m, a (m × nIn) at pA; blocks of 5 δ in local
   * variables across the inputs.
   */
  function denseUpdate(pW: number, pA: number, pD: number, m: number, nIn: number, nOut: number): void {
    pW = pW | 0; pA = pA | 0; pD = pD | 0; m = m | 0; nIn = nIn | 0; nOut = nOut | 0;
    var x = 0, j = 0, k = 0, a = 0, o = 0, w = 0, stride = 0;
    var v = 0.0, d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0, d4 = 0.0;
    stride = nOut << 3;
    for (x = 0; (x | 0) < (m | 0); x = (x + 1) | 0) {
      a = (pA + (imul(x, nIn) << 3)) | 0;
      o = (pD + (imul(x, nOut) << 3)) | 0;
      for (j = 0; ((j + 5) | 0) <= (nOut | 0); j = (j + 5) | 0) {
        w = (o + (j << 3)) | 0;
        d0 = +F[w >> 3]; d1 = +F[(w + 8) >> 3]; d2 = +F[(w + 16) >> 3]; d3 = +F[(w + 24) >> 3]; d4 = +F[(w + 32) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          v = +F[(a + (k << 3)) >> 3];
          F[w >> 3] = +F[w >> 3] + v * d0;
          F[(w + 8) >> 3] = +F[(w + 8) >> 3] + v * d1;
          F[(w + 16) >> 3] = +F[(w + 16) >> 3] + v * d2;
          F[(w + 24) >> 3] = +F[(w + 24) >> 3] + v * d3;
          F[(w + 32) >> 3] = +F[(w + 32) >> 3] + v * d4;
          w = (w + stride) | 0;
        }
      }
      for (; (j | 0) < (nOut | 0); j = (j + 1) | 0) {
        d0 = +F[(o + (j << 3)) >> 3];
        w = (pW + (j << 3)) | 0;
        for (k = 0; (k | 0) < (nIn | 0); k = (k + 1) | 0) {
          F[w >> 3] = +F[w >> 3] + +F[(a + (k << 3)) >> 3] * d0;
          w = (w + stride) | 0;
        }
      }
    }
  }

  /** x ← c·x for the n doubles at pX (momentum's v ← μv). */
  function scale(pX: number, n: number, c: number): void {
    pX = pX | 0; n = n | 0; c = +c;
    var end = 0;
    end = (pX + (n << 3)) | 0;
    for (; (pX | 0) < (end | 0); pX = (pX + 8) | 0) F[pX >> 3] = c * +F[pX >> 3];
  }

  /** y ← y + c·x for the n doubles at pX and pY (L2's decay term; momentum's p ← p + v with c = 1). */
  function addScaled(pX: number, pY: number, n: number, c: number): void {
    pX = pX | 0; pY = pY | 0; n = n | 0; c = +c;
    var end = 0;
    end = (pX + (n << 3)) | 0;
    for (; (pX | 0) < (end | 0); pX = (pX + 8) | 0, pY = (pY + 8) | 0) F[pY >> 3] = +F[pY >> 3] + c * +F[pX >> 3];
  }

  return { denseForwardSparse: denseForwardSparse, denseUpdateSparse: denseUpdateSparse, denseForward: denseForward, denseBackwardInput: denseBackwardInput, denseUpdate: denseUpdate, scale: scale, addScaled: addScaled };
}
/* eslint-enable */
