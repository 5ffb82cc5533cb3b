/**
 * The convolution and max-pool kernels in WebAssembly SIMD: the twins of ../../layers/conv.ts
 * and ../../layers/pool.ts (the readable loops, which the TypeScript backend runs as they are).
 * Shapes as there: m examples, a[x][c][u][v] (C channels of H×W), z[x][f][i][j] (F filters of
 * oh×ow, oh = H−k+1, ow = W−k+1), weights w[f][c][p][q] at pW, biases b[f] at pB.
 *
 * Each conv kernel computes a range of filters (f0 … f1) or, for ∂C/∂a, of input channels
 * (c0 … c1): two threads share a layer by taking one range each (../threads.ts), and every
 * output is still computed whole, by one thread, in the same order.
 *
 * As in kernels.ts, the lanes run across independent sums, never across the terms of one sum,
 * with separate multiply and add: every output receives its terms in the readable loop's order,
 * so the results are bit for bit those of conv.ts and pool.ts.
 *   convForward:        lanes across output positions j of a row; a block of 8 positions keeps
 *                       its 4 vectors of sums in registers across all C·k² terms.
 *   convBackwardInput:  lanes across positions j; a block of 8 keeps the filters' sums in registers.
 *   convBackward:       BP4's sums, lanes across the filter column q (q, q+1 read neighbouring
 *                       pixels of a row); an odd k's last vector computes one lane too many,
 *                       which is dropped (it may read one f64 past an image: buffers keep 16
 *                       bytes of slack after them, see ../layered.ts).
 */

/** z = w ∗ a + b (conv.ts convForward). */
export function convForward(pW: usize, pB: usize, pA: usize, pZ: usize, m: i32, C: i32, H: i32, Wd: i32, F: i32, k: i32, f0: i32, f1: i32): void {
  const oh = H - k + 1;
  const ow = Wd - k + 1;
  const row = <usize>Wd << 3;
  const plane = <usize>(H * Wd) << 3;
  const taps = <usize>(k * k) << 3;
  for (let x = 0; x < m; x++) {
    const a = pA + <usize>x * <usize>C * plane;
    for (let f = f0; f < f1; f++) {
      const bf = load<f64>(pB + (<usize>f << 3));
      const wf = pW + <usize>(f * C) * taps;
      const z = pZ + (<usize>((x * F + f) * oh * ow) << 3);
      for (let i = 0; i < oh; i++) {
        const zr = z + (<usize>(i * ow) << 3);
        const ar = a + <usize>i * row;
        let j = 0;
        for (; j + 8 <= ow; j += 8) {
          let s0 = f64x2.splat(bf), s1 = s0, s2 = s0, s3 = s0;
          const aj = ar + (<usize>j << 3);
          for (let c = 0; c < C; c++) {
            const ac = aj + <usize>c * plane;
            const wc = wf + <usize>c * taps;
            for (let p = 0; p < k; p++) {
              const ap = ac + <usize>p * row;
              const wp = wc + (<usize>(p * k) << 3);
              for (let q = 0; q < k; q++) {
                const w = f64x2.splat(load<f64>(wp + (<usize>q << 3)));
                const aq = ap + (<usize>q << 3);
                s0 = f64x2.add(s0, f64x2.mul(w, v128.load(aq, 0)));
                s1 = f64x2.add(s1, f64x2.mul(w, v128.load(aq, 16)));
                s2 = f64x2.add(s2, f64x2.mul(w, v128.load(aq, 32)));
                s3 = f64x2.add(s3, f64x2.mul(w, v128.load(aq, 48)));
              }
            }
          }
          const o = zr + (<usize>j << 3);
          v128.store(o, s0, 0);
          v128.store(o, s1, 16);
          v128.store(o, s2, 32);
          v128.store(o, s3, 48);
        }
        for (; j + 2 <= ow; j += 2) {
          let s = f64x2.splat(bf);
          const aj = ar + (<usize>j << 3);
          for (let c = 0; c < C; c++) {
            const ac = aj + <usize>c * plane;
            const wc = wf + <usize>c * taps;
            for (let p = 0; p < k; p++) {
              const ap = ac + <usize>p * row;
              const wp = wc + (<usize>(p * k) << 3);
              for (let q = 0; q < k; q++) s = f64x2.add(s, f64x2.mul(f64x2.splat(load<f64>(wp + (<usize>q << 3))), v128.load(ap + (<usize>q << 3))));
            }
          }
          v128.store(zr + (<usize>j << 3), s);
        }
        if (j < ow) {
          let s = bf;
          const aj = ar + (<usize>j << 3);
          for (let c = 0; c < C; c++) {
            const ac = aj + <usize>c * plane;
            const wc = wf + <usize>c * taps;
            for (let p = 0; p < k; p++) {
              const ap = ac + <usize>p * row;
              const wp = wc + (<usize>(p * k) << 3);
              for (let q = 0; q < k; q++) s += load<f64>(wp + (<usize>q << 3)) * load<f64>(ap + (<usize>q << 3));
            }
          }
          store<f64>(zr + (<usize>j << 3), s);
        }
      }
    }
  }
}

/**
 * BP3 and BP4 of conv.ts convBackward for the m examples, δ at pD: nablaB_f += (1/m)·Σ δ_f and
 * nablaW_f,c(p,q) += (1/m)·Σ_(i,j) δ_f(i,j)·a_c(i+p, j+q), example by example.
 */
export function convBackwardParams(pA: usize, pD: usize, pGW: usize, pGB: usize, m: i32, C: i32, H: i32, Wd: i32, F: i32, k: i32, f0: i32, f1: i32): void {
  const oh = H - k + 1;
  const ow = Wd - k + 1;
  const row = <usize>Wd << 3;
  const plane = <usize>(H * Wd) << 3;
  const taps = <usize>(k * k) << 3;
  const inv = 1 / <f64>m;
  const pairs = k >> 1;
  for (let x = 0; x < m; x++) {
    const a = pA + <usize>x * <usize>C * plane;
    for (let f = f0; f < f1; f++) {
      const d = pD + (<usize>((x * F + f) * oh * ow) << 3);
      let s = 0.0;
      for (let i = 0, n = oh * ow; i < n; i++) s += load<f64>(d + (<usize>i << 3));
      const gb = pGB + (<usize>f << 3);
      store<f64>(gb, load<f64>(gb) + s * inv); // BP3
      for (let c = 0; c < C; c++) {
        const ac = a + <usize>c * plane;
        const gc = pGW + <usize>(f * C + c) * taps;
        for (let p = 0; p < k; p++) {
          const gp = gc + (<usize>(p * k) << 3);
          // BP4: the sums of q = 0…k−1 side by side, each over (i, j) in order
          let g0 = f64x2.splat(0), g1 = g0, g2 = g0, g3 = g0;
          if (k <= 8) {
            for (let i = 0; i < oh; i++) {
              const dr = d + (<usize>(i * ow) << 3);
              const ar = ac + <usize>(i + p) * row;
              for (let j = 0; j < ow; j++) {
                const dv = f64x2.splat(load<f64>(dr + (<usize>j << 3)));
                const aj = ar + (<usize>j << 3);
                g0 = f64x2.add(g0, f64x2.mul(dv, v128.load(aj, 0)));
                if (k > 2) g1 = f64x2.add(g1, f64x2.mul(dv, v128.load(aj, 16)));
                if (k > 4) g2 = f64x2.add(g2, f64x2.mul(dv, v128.load(aj, 32)));
                if (k > 6) g3 = f64x2.add(g3, f64x2.mul(dv, v128.load(aj, 48)));
              }
            }
            addLanes(gp, 0, g0, k, inv);
            if (k > 2) addLanes(gp, 2, g1, k, inv);
            if (k > 4) addLanes(gp, 4, g2, k, inv);
            if (k > 6) addLanes(gp, 6, g3, k, inv);
          } else {
            // wide filters: two columns at a time, then the odd one
            let q = 0;
            for (; q < pairs * 2; q += 2) {
              let g = f64x2.splat(0);
              for (let i = 0; i < oh; i++) {
                const dr = d + (<usize>(i * ow) << 3);
                const ar = ac + <usize>(i + p) * row + (<usize>q << 3);
                for (let j = 0; j < ow; j++) g = f64x2.add(g, f64x2.mul(f64x2.splat(load<f64>(dr + (<usize>j << 3))), v128.load(ar + (<usize>j << 3))));
              }
              addLanes(gp, q, g, k, inv);
            }
            if (q < k) {
              let g = 0.0;
              for (let i = 0; i < oh; i++) {
                const dr = d + (<usize>(i * ow) << 3);
                const ar = ac + <usize>(i + p) * row + (<usize>q << 3);
                for (let j = 0; j < ow; j++) g += load<f64>(dr + (<usize>j << 3)) * load<f64>(ar + (<usize>j << 3));
              }
              const o = gp + (<usize>q << 3);
              store<f64>(o, load<f64>(o) + g * inv);
            }
          }
        }
      }
    }
  }
}

/** nablaW[q] += lane0 · inv and nablaW[q+1] += lane1 · inv (the second only when q+1 < k). */
// @ts-ignore: decorator
@inline
function addLanes(gp: usize, q: i32, g: v128, k: i32, inv: f64): void {
  const o = gp + (<usize>q << 3);
  store<f64>(o, load<f64>(o) + f64x2.extract_lane(g, 0) * inv);
  if (q + 1 < k) store<f64>(o, load<f64>(o, 8) + f64x2.extract_lane(g, 1) * inv, 8);
}

/**
 * ∂C/∂a = the full correlation of δ with the flipped kernel (conv.ts convBackwardInput), in the
 * readable order: dA = 0, then for each channel c and tap (p,q) the filters' share t(i,j) =
 * Σ_f w_f,c(p,q)·δ_f(i,j), lanes across j (a block of 8 positions in 4 vectors of sums), added
 * to the input row it came from.
 */
export function convBackwardInput(pW: usize, pD: usize, pDA: usize, m: i32, C: i32, H: i32, Wd: i32, F: i32, k: i32, c0: i32, c1: i32): void {
  const oh = H - k + 1;
  const ow = Wd - k + 1;
  const row = <usize>Wd << 3;
  const plane = <usize>(H * Wd) << 3;
  const outPlane = <usize>(oh * ow) << 3;
  const tapStride = <usize>(C * k * k) << 3;
  for (let x = 0; x < m; x++) {
    const dx = pD + <usize>(x * F) * outPlane;
    for (let c = c0; c < c1; c++) {
      const dc = pDA + <usize>(x * C + c) * plane;
      memory.fill(dc, 0, plane);
      for (let p = 0; p < k; p++) {
        for (let q = 0; q < k; q++) {
          const w0 = pW + (<usize>((c * k + p) * k + q) << 3);
          for (let i = 0; i < oh; i++) {
            const dr = dx + (<usize>(i * ow) << 3);
            const ar = dc + <usize>(i + p) * row + (<usize>q << 3);
            let j = 0;
            for (; j + 8 <= ow; j += 8) {
              const o = <usize>j << 3;
              let t0 = f64x2.splat(0), t1 = t0, t2 = t0, t3 = t0;
              let w = w0;
              let d = dr + o;
              for (let f = 0; f < F; f++) {
                const wv = f64x2.splat(load<f64>(w));
                t0 = f64x2.add(t0, f64x2.mul(wv, v128.load(d, 0)));
                t1 = f64x2.add(t1, f64x2.mul(wv, v128.load(d, 16)));
                t2 = f64x2.add(t2, f64x2.mul(wv, v128.load(d, 32)));
                t3 = f64x2.add(t3, f64x2.mul(wv, v128.load(d, 48)));
                w += tapStride;
                d += outPlane;
              }
              const a = ar + o;
              v128.store(a, f64x2.add(v128.load(a, 0), t0), 0);
              v128.store(a, f64x2.add(v128.load(a, 16), t1), 16);
              v128.store(a, f64x2.add(v128.load(a, 32), t2), 32);
              v128.store(a, f64x2.add(v128.load(a, 48), t3), 48);
            }
            for (; j + 2 <= ow; j += 2) {
              const o = <usize>j << 3;
              let t = f64x2.splat(0);
              let w = w0;
              let d = dr + o;
              for (let f = 0; f < F; f++) {
                t = f64x2.add(t, f64x2.mul(f64x2.splat(load<f64>(w)), v128.load(d)));
                w += tapStride;
                d += outPlane;
              }
              v128.store(ar + o, f64x2.add(v128.load(ar + o), t));
            }
            if (j < ow) {
              const o = <usize>j << 3;
              let t = 0.0;
              let w = w0;
              let d = dr + o;
              for (let f = 0; f < F; f++) {
                t += load<f64>(w) * load<f64>(d);
                w += tapStride;
                d += outPlane;
              }
              store<f64>(ar + o, load<f64>(ar + o) + t);
            }
          }
        }
      }
    }
  }
}

/** a' = max over each k×k window, stride k (pool.ts poolForward); argmax (i32 at pI) indexes a's elements. */
export function poolForward(pA: usize, pO: usize, pI: usize, m: i32, C: i32, H: i32, Wd: i32, k: i32): void {
  const oh = H / k;
  const ow = Wd / k;
  let o = 0;
  for (let x = 0; x < m; x++) {
    for (let c = 0; c < C; c++) {
      const plane = (x * C + c) * H * Wd;
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++, o++) {
          let best = plane + k * i * Wd + k * j;
          let max = load<f64>(pA + (<usize>best << 3));
          for (let p = 0; p < k; p++) {
            const r = plane + (k * i + p) * Wd + k * j;
            for (let q = 0; q < k; q++) {
              const v = load<f64>(pA + (<usize>(r + q) << 3));
              if (v > max) {
                max = v;
                best = r + q;
              }
            }
          }
          store<f64>(pO + (<usize>o << 3), max);
          store<i32>(pI + (<usize>o << 2), best);
        }
      }
    }
  }
}

/** ∂C/∂a: each window's upstream gradient to its arg-max, 0 elsewhere (pool.ts poolBackward); n outputs, nIn inputs. */
export function poolBackward(pDO: usize, pI: usize, pDA: usize, n: i32, nIn: i32): void {
  memory.fill(pDA, 0, <usize>nIn << 3);
  for (let o = 0; o < n; o++) {
    const t = pDA + (<usize>load<i32>(pI + (<usize>o << 2)) << 3);
    store<f64>(t, load<f64>(t) + load<f64>(pDO + (<usize>o << 3)));
  }
}
