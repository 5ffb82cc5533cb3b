/**
 * Max-pooling, k×k windows with stride k, forward and backward side by side (Nielsen, ch. 6):
 *
 *   forward:   a'_c(i,j) = max_(p,q < k) a_c(k·i + p, k·j + q)        (the arg-max recorded)
 *   backward:  ∂C/∂a_c(u,v) = ∂C/∂a'_c(i,j)  if (u,v) is the arg-max of window (i,j), else 0
 *
 * "local derivative × upstream gradient": ∂ max / ∂ a is 1 for the largest input of a window and
 * 0 for the others, so each window's upstream gradient goes to its arg-max only. The layer has no
 * parameters. Rows and columns beyond the last whole window (H mod k, W mod k) are dropped.
 *
 * m examples at once, example-major and channel-major inside ([x][c][u][v]), as conv.ts.
 */

export interface PoolDims {
  channels: number;
  height: number;
  width: number;
  size: number;
}

/** a' = maxpool(a) for m examples; argmax[o] = index in `a` of the input that output o took. */
export function poolForward(a: Float64Array, out: Float64Array, argmax: Int32Array, m: number, d: PoolDims): void {
  const { channels: C, height: H, width: Wd, size: k } = d;
  const oh = Math.floor(H / k);
  const ow = Math.floor(Wd / k);
  let o = 0;
  for (let x = 0; x < m; x++) {
    for (let c = 0; c < C; c++) {
      const plane = (x * C + c) * H * Wd;
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++, o++) {
          let best = plane + k * i * Wd + k * j;
          let max = a[best];
          for (let p = 0; p < k; p++) {
            const row = plane + (k * i + p) * Wd + k * j;
            for (let q = 0; q < k; q++) {
              if (a[row + q] > max) {
                max = a[row + q];
                best = row + q;
              }
            }
          }
          out[o] = max; // a'_c(i,j) = max of the window
          argmax[o] = best;
        }
      }
    }
  }
}

/** ∂C/∂a from ∂C/∂a' (dOut, m examples): each window's gradient to its arg-max, 0 elsewhere. */
export function poolBackward(dOut: Float64Array, argmax: Int32Array, dA: Float64Array, m: number, d: PoolDims): void {
  const { channels: C, height: H, width: Wd, size: k } = d;
  const n = m * C * Math.floor(H / k) * Math.floor(Wd / k);
  dA.fill(0, 0, m * C * H * Wd);
  for (let o = 0; o < n; o++) dA[argmax[o]] += dOut[o]; // ∂ max/∂a = 1 at the arg-max × upstream gradient
}
