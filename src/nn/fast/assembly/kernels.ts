/**
 * The fast kernels in WebAssembly SIMD, written in AssemblyScript (TypeScript syntax; v128 is a
 * 128-bit vector of two f64 lanes). Built by `npm run build` into dist/nn/fast/kernels.wasm and
 * loaded by ../wasm.ts; the readable equivalent of every loop is ../plain.ts.
 *
 * Memory is the workspace's (imported); every p… argument is a byte address in it, laid out by
 * createWorkspace (src/nn/workspace.ts). The batch's pixels are gathered by gatherSparse:
 * example x owns entries nzStart[x] … nzStart[x+1]) of xValue (at pV, f64) and xRow (at pR,
 * i32: pixel index times the row width).
 *
 * The lanes run across units j (two neighbouring outputs at a time), never across the terms of
 * one sum: each z_j receives its additions in the same order as the scalar loop, with separate
 * multiply and add (no fused multiply-add), so the results are bit for bit those of ../plain.ts.
 * Blocks of units keep their vectors of sums (or deltas) in registers across the inner loop: in
 * the sparse first layer blocks of 30 units, then one block of all but the odd unit left (every
 * block walks the whole pixel list again); in the dense layers 16, 8, 4, then 2 units. An odd
 * width ends with one scalar unit: every width from 1 up is covered.
 */

/**
 * denseForwardSparse, z^1 = W^1 x + b^1 for the m examples (W^1 input-major at pW, b^1 at pB, z^1
 * to pZ; H hidden units): z_j = b_j + Σ_q xValue[q] · W[xRow[q] + j], the terms in pixel order,
 * as the dense sum over all 784 pixels (whose extra terms are all 0 · w). The units are walked in
 * blocks of 30 (15 vectors of sums across the pixel list: x64 has 16 vector registers, and one
 * pass per example over 784-30-10's pixels measured 1.6× faster than the two of blocks of 20),
 * then one block of the 2 to 28 units left, then the odd last unit: H = 30 and H = 100 are 1 and
 * 4 passes over the pixels.
 */
export function denseForwardSparse(pW: usize, pB: usize, pZ: usize, pV: usize, pR: usize, pS: usize, m: i32, H: i32): void {
  for (let x = 0; x < m; x++) {
    const q0 = load<i32>(pS + (<usize>x << 2));
    const q1 = load<i32>(pS + (<usize>x << 2), 4);
    const z = pZ + (<usize>(x * H) << 3);
    let j = 0;
    for (; j + 30 <= H; j += 30) sparseSums15(pW, pB, z, pV, pR, q0, q1, j);
    switch ((H - j) >> 1) {
      case 14: sparseSums14(pW, pB, z, pV, pR, q0, q1, j); break;
      case 13: sparseSums13(pW, pB, z, pV, pR, q0, q1, j); break;
      case 12: sparseSums12(pW, pB, z, pV, pR, q0, q1, j); break;
      case 11: sparseSums11(pW, pB, z, pV, pR, q0, q1, j); break;
      case 10: sparseSums10(pW, pB, z, pV, pR, q0, q1, j); break;
      case 9: sparseSums9(pW, pB, z, pV, pR, q0, q1, j); break;
      case 8: sparseSums8(pW, pB, z, pV, pR, q0, q1, j); break;
      case 7: sparseSums7(pW, pB, z, pV, pR, q0, q1, j); break;
      case 6: sparseSums6(pW, pB, z, pV, pR, q0, q1, j); break;
      case 5: sparseSums5(pW, pB, z, pV, pR, q0, q1, j); break;
      case 4: sparseSums4(pW, pB, z, pV, pR, q0, q1, j); break;
      case 3: sparseSums3(pW, pB, z, pV, pR, q0, q1, j); break;
      case 2: sparseSums2(pW, pB, z, pV, pR, q0, q1, j); break;
      case 1: sparseSums1(pW, pB, z, pV, pR, q0, q1, j); break;
    }
    j = H & ~1;
    if (j < H) {
      let s = load<f64>(pB + (<usize>j << 3));
      for (let q = q0; q < q1; q++) s += load<f64>(pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3)) * load<f64>(pV + (<usize>q << 3));
      store<f64>(z + (<usize>j << 3), s);
    }
  }
}

/** Sums of 30 hidden units j … j+29 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums15(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  let s9 = v128.load(b, 144);
  let s10 = v128.load(b, 160);
  let s11 = v128.load(b, 176);
  let s12 = v128.load(b, 192);
  let s13 = v128.load(b, 208);
  let s14 = v128.load(b, 224);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
    s9 = f64x2.add(s9, f64x2.mul(v128.load(w, 144), v));
    s10 = f64x2.add(s10, f64x2.mul(v128.load(w, 160), v));
    s11 = f64x2.add(s11, f64x2.mul(v128.load(w, 176), v));
    s12 = f64x2.add(s12, f64x2.mul(v128.load(w, 192), v));
    s13 = f64x2.add(s13, f64x2.mul(v128.load(w, 208), v));
    s14 = f64x2.add(s14, f64x2.mul(v128.load(w, 224), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
  v128.store(r, s9, 144);
  v128.store(r, s10, 160);
  v128.store(r, s11, 176);
  v128.store(r, s12, 192);
  v128.store(r, s13, 208);
  v128.store(r, s14, 224);
}

/** Sums of 28 hidden units j … j+27 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums14(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  let s9 = v128.load(b, 144);
  let s10 = v128.load(b, 160);
  let s11 = v128.load(b, 176);
  let s12 = v128.load(b, 192);
  let s13 = v128.load(b, 208);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
    s9 = f64x2.add(s9, f64x2.mul(v128.load(w, 144), v));
    s10 = f64x2.add(s10, f64x2.mul(v128.load(w, 160), v));
    s11 = f64x2.add(s11, f64x2.mul(v128.load(w, 176), v));
    s12 = f64x2.add(s12, f64x2.mul(v128.load(w, 192), v));
    s13 = f64x2.add(s13, f64x2.mul(v128.load(w, 208), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
  v128.store(r, s9, 144);
  v128.store(r, s10, 160);
  v128.store(r, s11, 176);
  v128.store(r, s12, 192);
  v128.store(r, s13, 208);
}

/** Sums of 26 hidden units j … j+25 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums13(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  let s9 = v128.load(b, 144);
  let s10 = v128.load(b, 160);
  let s11 = v128.load(b, 176);
  let s12 = v128.load(b, 192);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
    s9 = f64x2.add(s9, f64x2.mul(v128.load(w, 144), v));
    s10 = f64x2.add(s10, f64x2.mul(v128.load(w, 160), v));
    s11 = f64x2.add(s11, f64x2.mul(v128.load(w, 176), v));
    s12 = f64x2.add(s12, f64x2.mul(v128.load(w, 192), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
  v128.store(r, s9, 144);
  v128.store(r, s10, 160);
  v128.store(r, s11, 176);
  v128.store(r, s12, 192);
}

/** Sums of 24 hidden units j … j+23 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums12(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  let s9 = v128.load(b, 144);
  let s10 = v128.load(b, 160);
  let s11 = v128.load(b, 176);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
    s9 = f64x2.add(s9, f64x2.mul(v128.load(w, 144), v));
    s10 = f64x2.add(s10, f64x2.mul(v128.load(w, 160), v));
    s11 = f64x2.add(s11, f64x2.mul(v128.load(w, 176), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
  v128.store(r, s9, 144);
  v128.store(r, s10, 160);
  v128.store(r, s11, 176);
}

/** Sums of 22 hidden units j … j+21 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums11(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  let s9 = v128.load(b, 144);
  let s10 = v128.load(b, 160);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
    s9 = f64x2.add(s9, f64x2.mul(v128.load(w, 144), v));
    s10 = f64x2.add(s10, f64x2.mul(v128.load(w, 160), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
  v128.store(r, s9, 144);
  v128.store(r, s10, 160);
}

/** Sums of 20 hidden units j … j+19 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums10(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  let s9 = v128.load(b, 144);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
    s9 = f64x2.add(s9, f64x2.mul(v128.load(w, 144), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
  v128.store(r, s9, 144);
}

/** Sums of 18 hidden units j … j+17 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums9(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  let s8 = v128.load(b, 128);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
    s8 = f64x2.add(s8, f64x2.mul(v128.load(w, 128), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
  v128.store(r, s8, 128);
}

/** Sums of 16 hidden units j … j+15 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums8(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  let s7 = v128.load(b, 112);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
    s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
  v128.store(r, s7, 112);
}

/** Sums of 14 hidden units j … j+13 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums7(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  let s6 = v128.load(b, 96);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
    s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
  v128.store(r, s6, 96);
}

/** Sums of 12 hidden units j … j+11 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums6(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  let s5 = v128.load(b, 80);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
    s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
  v128.store(r, s5, 80);
}

/** Sums of 10 hidden units j … j+9 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums5(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  let s4 = v128.load(b, 64);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
    s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
  v128.store(r, s4, 64);
}

/** Sums of 8 hidden units j … j+7 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums4(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  let s3 = v128.load(b, 48);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
  v128.store(r, s3, 48);
}

/** Sums of 6 hidden units j … j+5 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums3(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  let s2 = v128.load(b, 32);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
  v128.store(r, s2, 32);
}

/** Sums of 4 hidden units j … j+3 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums2(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  let s1 = v128.load(b, 16);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
  v128.store(r, s1, 16);
}

/** Sums of 2 hidden units j … j+1 of one example over its pixels q0 … q1 (see denseForwardSparse). */
function sparseSums1(pW: usize, pB: usize, z: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const b = pB + (<usize>j << 3);
  let s0 = v128.load(b, 0);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
  }
  const r = z + (<usize>j << 3);
  v128.store(r, s0, 0);
}

/**
 * denseUpdateSparse, BP4 fused into the SGD step on the first layer: row xRow[q] of W (at pW) +=
 * xValue[q] · δ_x, δ (at pD) already scaled by −η/m, for each example x in turn (so every weight
 * receives its additions in example order) and each of its non-zero pixels; the units in blocks
 * as denseForwardSparse, their δ in registers.
 */
export function denseUpdateSparse(pW: usize, pD: usize, pV: usize, pR: usize, pS: usize, m: i32, H: i32): void {
  for (let x = 0; x < m; x++) {
    const q0 = load<i32>(pS + (<usize>x << 2));
    const q1 = load<i32>(pS + (<usize>x << 2), 4);
    const d = pD + (<usize>(x * H) << 3);
    let j = 0;
    for (; j + 30 <= H; j += 30) sparseUpdates15(pW, d, pV, pR, q0, q1, j);
    switch ((H - j) >> 1) {
      case 14: sparseUpdates14(pW, d, pV, pR, q0, q1, j); break;
      case 13: sparseUpdates13(pW, d, pV, pR, q0, q1, j); break;
      case 12: sparseUpdates12(pW, d, pV, pR, q0, q1, j); break;
      case 11: sparseUpdates11(pW, d, pV, pR, q0, q1, j); break;
      case 10: sparseUpdates10(pW, d, pV, pR, q0, q1, j); break;
      case 9: sparseUpdates9(pW, d, pV, pR, q0, q1, j); break;
      case 8: sparseUpdates8(pW, d, pV, pR, q0, q1, j); break;
      case 7: sparseUpdates7(pW, d, pV, pR, q0, q1, j); break;
      case 6: sparseUpdates6(pW, d, pV, pR, q0, q1, j); break;
      case 5: sparseUpdates5(pW, d, pV, pR, q0, q1, j); break;
      case 4: sparseUpdates4(pW, d, pV, pR, q0, q1, j); break;
      case 3: sparseUpdates3(pW, d, pV, pR, q0, q1, j); break;
      case 2: sparseUpdates2(pW, d, pV, pR, q0, q1, j); break;
      case 1: sparseUpdates1(pW, d, pV, pR, q0, q1, j); break;
    }
    j = H & ~1;
    if (j < H) {
      const d0 = load<f64>(d + (<usize>j << 3));
      for (let q = q0; q < q1; q++) {
        const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
        store<f64>(w, load<f64>(w) + load<f64>(pV + (<usize>q << 3)) * d0);
      }
    }
  }
}

/** Updates of 28 hidden units j … j+27 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates14(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  const d9 = v128.load(p, 144);
  const d10 = v128.load(p, 160);
  const d11 = v128.load(p, 176);
  const d12 = v128.load(p, 192);
  const d13 = v128.load(p, 208);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
    v128.store(w, f64x2.add(v128.load(w, 144), f64x2.mul(v, d9)), 144);
    v128.store(w, f64x2.add(v128.load(w, 160), f64x2.mul(v, d10)), 160);
    v128.store(w, f64x2.add(v128.load(w, 176), f64x2.mul(v, d11)), 176);
    v128.store(w, f64x2.add(v128.load(w, 192), f64x2.mul(v, d12)), 192);
    v128.store(w, f64x2.add(v128.load(w, 208), f64x2.mul(v, d13)), 208);
  }
}

/** Updates of 26 hidden units j … j+25 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates13(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  const d9 = v128.load(p, 144);
  const d10 = v128.load(p, 160);
  const d11 = v128.load(p, 176);
  const d12 = v128.load(p, 192);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
    v128.store(w, f64x2.add(v128.load(w, 144), f64x2.mul(v, d9)), 144);
    v128.store(w, f64x2.add(v128.load(w, 160), f64x2.mul(v, d10)), 160);
    v128.store(w, f64x2.add(v128.load(w, 176), f64x2.mul(v, d11)), 176);
    v128.store(w, f64x2.add(v128.load(w, 192), f64x2.mul(v, d12)), 192);
  }
}

/** Updates of 24 hidden units j … j+23 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates12(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  const d9 = v128.load(p, 144);
  const d10 = v128.load(p, 160);
  const d11 = v128.load(p, 176);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
    v128.store(w, f64x2.add(v128.load(w, 144), f64x2.mul(v, d9)), 144);
    v128.store(w, f64x2.add(v128.load(w, 160), f64x2.mul(v, d10)), 160);
    v128.store(w, f64x2.add(v128.load(w, 176), f64x2.mul(v, d11)), 176);
  }
}

/** Updates of 22 hidden units j … j+21 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates11(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  const d9 = v128.load(p, 144);
  const d10 = v128.load(p, 160);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
    v128.store(w, f64x2.add(v128.load(w, 144), f64x2.mul(v, d9)), 144);
    v128.store(w, f64x2.add(v128.load(w, 160), f64x2.mul(v, d10)), 160);
  }
}

/** Updates of 20 hidden units j … j+19 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates10(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  const d9 = v128.load(p, 144);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
    v128.store(w, f64x2.add(v128.load(w, 144), f64x2.mul(v, d9)), 144);
  }
}

/** Updates of 18 hidden units j … j+17 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates9(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
  }
}

/** Updates of 16 hidden units j … j+15 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates8(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
  }
}

/** Updates of 30 hidden units j … j+29 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates15(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  const d7 = v128.load(p, 112);
  const d8 = v128.load(p, 128);
  const d9 = v128.load(p, 144);
  const d10 = v128.load(p, 160);
  const d11 = v128.load(p, 176);
  const d12 = v128.load(p, 192);
  const d13 = v128.load(p, 208);
  const d14 = v128.load(p, 224);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
    v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
    v128.store(w, f64x2.add(v128.load(w, 128), f64x2.mul(v, d8)), 128);
    v128.store(w, f64x2.add(v128.load(w, 144), f64x2.mul(v, d9)), 144);
    v128.store(w, f64x2.add(v128.load(w, 160), f64x2.mul(v, d10)), 160);
    v128.store(w, f64x2.add(v128.load(w, 176), f64x2.mul(v, d11)), 176);
    v128.store(w, f64x2.add(v128.load(w, 192), f64x2.mul(v, d12)), 192);
    v128.store(w, f64x2.add(v128.load(w, 208), f64x2.mul(v, d13)), 208);
    v128.store(w, f64x2.add(v128.load(w, 224), f64x2.mul(v, d14)), 224);
  }
}

/** Updates of 14 hidden units j … j+13 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates7(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  const d6 = v128.load(p, 96);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
    v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
  }
}

/** Updates of 12 hidden units j … j+11 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates6(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  const d5 = v128.load(p, 80);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
    v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
  }
}

/** Updates of 10 hidden units j … j+9 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates5(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  const d4 = v128.load(p, 64);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
    v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
  }
}

/** Updates of 8 hidden units j … j+7 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates4(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  const d3 = v128.load(p, 48);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
    v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
  }
}

/** Updates of 6 hidden units j … j+5 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates3(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  const d2 = v128.load(p, 32);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
    v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
  }
}

/** Updates of 4 hidden units j … j+3 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates2(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  const d1 = v128.load(p, 16);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
    v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
  }
}

/** Updates of 2 hidden units j … j+1 from one example's pixels q0 … q1 (see denseUpdateSparse). */
function sparseUpdates1(pW: usize, d: usize, pV: usize, pR: usize, q0: i32, q1: i32, j: i32): void {
  const p = d + (<usize>j << 3);
  const d0 = v128.load(p, 0);
  for (let q = q0; q < q1; q++) {
    const v = f64x2.splat(load<f64>(pV + (<usize>q << 3)));
    const w = pW + (<usize>(load<i32>(pR + (<usize>q << 2)) + j) << 3);
    v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
  }
}

/**
 * denseForward, z = W a + b for a dense layer (W input-major: row k holds the weights from input
 * k) over m examples, W at pW, b at pB, a (m × nIn) at pA, z (m × nOut) to pZ; each z_j = b_j +
 * Σ_k W[k][j] · a_k in input order.
 */
export function denseForward(pW: usize, pB: usize, pA: usize, pZ: usize, m: i32, nIn: i32, nOut: i32): void {
  const stride = <usize>nOut << 3;
  for (let x = 0; x < m; x++) {
    const a = pA + (<usize>(x * nIn) << 3);
    const z = pZ + (<usize>(x * nOut) << 3);
    let j = 0;
    for (; j + 16 <= nOut; j += 16) {
      const b = pB + (<usize>j << 3);
      let s0 = v128.load(b, 0);
      let s1 = v128.load(b, 16);
      let s2 = v128.load(b, 32);
      let s3 = v128.load(b, 48);
      let s4 = v128.load(b, 64);
      let s5 = v128.load(b, 80);
      let s6 = v128.load(b, 96);
      let s7 = v128.load(b, 112);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
        s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
        s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
        s4 = f64x2.add(s4, f64x2.mul(v128.load(w, 64), v));
        s5 = f64x2.add(s5, f64x2.mul(v128.load(w, 80), v));
        s6 = f64x2.add(s6, f64x2.mul(v128.load(w, 96), v));
        s7 = f64x2.add(s7, f64x2.mul(v128.load(w, 112), v));
        w += stride;
      }
      const r = z + (<usize>j << 3);
      v128.store(r, s0, 0);
      v128.store(r, s1, 16);
      v128.store(r, s2, 32);
      v128.store(r, s3, 48);
      v128.store(r, s4, 64);
      v128.store(r, s5, 80);
      v128.store(r, s6, 96);
      v128.store(r, s7, 112);
    }
    if (j + 8 <= nOut) {
      const b = pB + (<usize>j << 3);
      let s0 = v128.load(b, 0);
      let s1 = v128.load(b, 16);
      let s2 = v128.load(b, 32);
      let s3 = v128.load(b, 48);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
        s2 = f64x2.add(s2, f64x2.mul(v128.load(w, 32), v));
        s3 = f64x2.add(s3, f64x2.mul(v128.load(w, 48), v));
        w += stride;
      }
      const r = z + (<usize>j << 3);
      v128.store(r, s0, 0);
      v128.store(r, s1, 16);
      v128.store(r, s2, 32);
      v128.store(r, s3, 48);
      j += 8;
    }
    if (j + 4 <= nOut) {
      const b = pB + (<usize>j << 3);
      let s0 = v128.load(b, 0);
      let s1 = v128.load(b, 16);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
        s1 = f64x2.add(s1, f64x2.mul(v128.load(w, 16), v));
        w += stride;
      }
      const r = z + (<usize>j << 3);
      v128.store(r, s0, 0);
      v128.store(r, s1, 16);
      j += 4;
    }
    if (j + 2 <= nOut) {
      const b = pB + (<usize>j << 3);
      let s0 = v128.load(b, 0);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        s0 = f64x2.add(s0, f64x2.mul(v128.load(w, 0), v));
        w += stride;
      }
      const r = z + (<usize>j << 3);
      v128.store(r, s0, 0);
      j += 2;
    }
    if (j < nOut) {
      let s = load<f64>(pB + (<usize>j << 3));
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        s += load<f64>(w) * load<f64>(a + (<usize>k << 3));
        w += stride;
      }
      store<f64>(z + (<usize>j << 3), s);
    }
  }
}

/**
 * denseBackwardInput, the matrix part of BP2, d = Wᵀ δ_up for m examples: d_k = Σ_j W[k][j] ·
 * up_j (j in order), W at pW, δ_up (m × nUp) at pUp, d (m × n) to pD. Here each sum runs along a
 * row of W, so lanes across j would reorder it: four rows at a time in scalar registers, four
 * independent chains of additions instead of one.
 */
export function denseBackwardInput(pW: usize, pUp: usize, pD: usize, m: i32, n: i32, nUp: i32): void {
  const row = <usize>nUp << 3;
  for (let x = 0; x < m; x++) {
    const up = pUp + (<usize>(x * nUp) << 3);
    const d = pD + (<usize>(x * n) << 3);
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      const w = pW + <usize>k * row;
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      for (let j = 0; j < nUp; j++) {
        const o = <usize>j << 3;
        const u = load<f64>(up + o);
        s0 += load<f64>(w + o) * u;
        s1 += load<f64>(w + row + o) * u;
        s2 += load<f64>(w + 2 * row + o) * u;
        s3 += load<f64>(w + 3 * row + o) * u;
      }
      const r = d + (<usize>k << 3);
      store<f64>(r, s0);
      store<f64>(r, s1, 8);
      store<f64>(r, s2, 16);
      store<f64>(r, s3, 24);
    }
    for (; k < n; k++) {
      const w = pW + <usize>k * row;
      let s = 0.0;
      for (let j = 0; j < nUp; j++) s += load<f64>(w + (<usize>j << 3)) * load<f64>(up + (<usize>j << 3));
      store<f64>(d + (<usize>k << 3), s);
    }
  }
}

/**
 * denseUpdate, BP4 fused into the step on a dense layer: row k of W (at pW) += a_k · δ for each
 * example in turn, δ (m × nOut, at pD) already scaled by −η/m, a (m × nIn) at pA.
 */
export function denseUpdate(pW: usize, pA: usize, pD: usize, m: i32, nIn: i32, nOut: i32): void {
  const stride = <usize>nOut << 3;
  for (let x = 0; x < m; x++) {
    const a = pA + (<usize>(x * nIn) << 3);
    const o = pD + (<usize>(x * nOut) << 3);
    let j = 0;
    for (; j + 16 <= nOut; j += 16) {
      const p = o + (<usize>j << 3);
      const d0 = v128.load(p, 0);
      const d1 = v128.load(p, 16);
      const d2 = v128.load(p, 32);
      const d3 = v128.load(p, 48);
      const d4 = v128.load(p, 64);
      const d5 = v128.load(p, 80);
      const d6 = v128.load(p, 96);
      const d7 = v128.load(p, 112);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
        v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
        v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
        v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
        v128.store(w, f64x2.add(v128.load(w, 64), f64x2.mul(v, d4)), 64);
        v128.store(w, f64x2.add(v128.load(w, 80), f64x2.mul(v, d5)), 80);
        v128.store(w, f64x2.add(v128.load(w, 96), f64x2.mul(v, d6)), 96);
        v128.store(w, f64x2.add(v128.load(w, 112), f64x2.mul(v, d7)), 112);
        w += stride;
      }
    }
    if (j + 8 <= nOut) {
      const p = o + (<usize>j << 3);
      const d0 = v128.load(p, 0);
      const d1 = v128.load(p, 16);
      const d2 = v128.load(p, 32);
      const d3 = v128.load(p, 48);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
        v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
        v128.store(w, f64x2.add(v128.load(w, 32), f64x2.mul(v, d2)), 32);
        v128.store(w, f64x2.add(v128.load(w, 48), f64x2.mul(v, d3)), 48);
        w += stride;
      }
      j += 8;
    }
    if (j + 4 <= nOut) {
      const p = o + (<usize>j << 3);
      const d0 = v128.load(p, 0);
      const d1 = v128.load(p, 16);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
        v128.store(w, f64x2.add(v128.load(w, 16), f64x2.mul(v, d1)), 16);
        w += stride;
      }
      j += 4;
    }
    if (j + 2 <= nOut) {
      const p = o + (<usize>j << 3);
      const d0 = v128.load(p, 0);
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        const v = f64x2.splat(load<f64>(a + (<usize>k << 3)));
        v128.store(w, f64x2.add(v128.load(w, 0), f64x2.mul(v, d0)), 0);
        w += stride;
      }
      j += 2;
    }
    if (j < nOut) {
      const d0 = load<f64>(o + (<usize>j << 3));
      let w = pW + (<usize>j << 3);
      for (let k = 0; k < nIn; k++) {
        store<f64>(w, load<f64>(w) + load<f64>(a + (<usize>k << 3)) * d0);
        w += stride;
      }
    }
  }
}

/** scale, x ← c·x for the n doubles at pX (momentum's v ← μv). */
export function scale(pX: usize, n: i32, c: f64): void {
  const cc = f64x2.splat(c);
  const end = pX + (<usize>n << 3);
  let p = pX;
  for (; p + 16 <= end; p += 16) v128.store(p, f64x2.mul(cc, v128.load(p)));
  if (p < end) store<f64>(p, c * load<f64>(p));
}

/** addScaled, y ← y + c·x for the n doubles at pX and pY (L2's decay term; momentum's p ← p + v with c = 1). */
export function addScaled(pX: usize, pY: usize, n: i32, c: f64): void {
  const cc = f64x2.splat(c);
  const end = pX + (<usize>n << 3);
  let p = pX;
  let y = pY;
  for (; p + 16 <= end; p += 16, y += 16) v128.store(y, f64x2.add(v128.load(y), f64x2.mul(cc, v128.load(p))));
  if (p < end) store<f64>(y, load<f64>(y) + c * load<f64>(p));
}

// The rest of a step (gather, sigmoid, BP1's quadratic cost, σ', BP3): see steps.ts.
export { gatherSparse, expOf, sigmoid, sigmoidDerivative, quadraticSigmoid, addRows, denseForwardSparseRows, denseUpdateSparseRows } from './steps';
// Convolution and max-pool (layer-list networks): see conv.ts.
export { convForward, convBackwardParams, convBackwardInput, poolForward, poolBackward } from './conv';
