/**
 * A convolutional layer (k×k filters, stride 1, "valid": no padding), forward and backward side
 * by side (Nielsen, ch. 6; the same shared-weight sum as ch. 2's BP1–BP4, one weight per
 * filter tap instead of per connection):
 *
 *   forward:   z_f(i,j) = b_f + Σ_c Σ_p Σ_q w_f,c(p,q) · a_c(i+p, j+q)         z = w ∗ a + b
 *   backward:  ∂C/∂b_f      = Σ_(i,j) δ_f(i,j)                                 (BP3, summed over the positions that share b_f)
 *              ∂C/∂w_f,c(p,q) = Σ_(i,j) δ_f(i,j) · a_c(i+p, j+q)                (BP4: a ⋆ δ, the input correlated with δ)
 *              ∂C/∂a_c(u,v) = Σ_f Σ_(p,q) w_f,c(p,q) · δ_f(u−p, v−q)            (BP2 before ⊙ σ': δ fully correlated with the flipped kernel)
 *
 * where δ = ∂C/∂z is the upstream gradient. Each backward line is "local derivative × upstream
 * gradient": ∂z_f(i,j)/∂b_f = 1, ∂z_f(i,j)/∂w_f,c(p,q) = a_c(i+p, j+q), ∂z_f(i,j)/∂a_c(i+p, j+q) =
 * w_f,c(p,q); a shared weight or an input pixel feeds many z, so its gradient sums over all of
 * them (the multi-path chain rule).
 *
 * m examples at once, example-major and channel-major inside: a[x][c][u][v] is
 * a[((x·C + c)·H + u)·W + v] (C input channels of H×W), z[x][f][i][j] likewise with F filters of
 * (H−k+1)×(W−k+1). Weights w[f][c][p][q] = w[((f·C + c)·k + p)·k + q], then the F biases (see
 * layout.ts). Every inner loop runs along a row j of the output, contiguous in memory.
 */

/** The shape of a convolution: C input channels of H×W, F filters of k×k. */
export interface ConvDims {
  channels: number;
  height: number;
  width: number;
  filters: number;
  size: number;
}

/** z = w ∗ a + b for m examples. */
export function convForward(w: Float64Array, b: Float64Array, a: Float64Array, z: Float64Array, m: number, d: ConvDims): void {
  const { channels: C, height: H, width: Wd, filters: F, size: k } = d;
  const oh = H - k + 1;
  const ow = Wd - k + 1;
  const inSize = C * H * Wd;
  const outPlane = oh * ow;
  for (let x = 0; x < m; x++) {
    for (let f = 0; f < F; f++) {
      const zo = (x * F + f) * outPlane;
      for (let i = 0; i < outPlane; i++) z[zo + i] = b[f]; // z starts at b_f
      for (let c = 0; c < C; c++) {
        const ao = x * inSize + c * H * Wd;
        for (let p = 0; p < k; p++) {
          for (let q = 0; q < k; q++) {
            const wv = w[((f * C + c) * k + p) * k + q];
            // z_f(i,j) += w_f,c(p,q) · a_c(i+p, j+q), row by row
            for (let i = 0; i < oh; i++) {
              const zr = zo + i * ow;
              const ar = ao + (i + p) * Wd + q;
              for (let j = 0; j < ow; j++) z[zr + j] += wv * a[ar + j];
            }
          }
        }
      }
    }
  }
}

/**
 * Given δ = ∂C/∂z of the m examples: adds the gradient of the batch's average cost to nablaW
 * and nablaB, and (unless dA is null) writes ∂C/∂a for the layer below into dA.
 */
export function convBackward(
  w: Float64Array,
  a: Float64Array,
  delta: Float64Array,
  nablaW: Float64Array,
  nablaB: Float64Array,
  dA: Float64Array | null,
  m: number,
  d: ConvDims,
): void {
  const { channels: C, height: H, width: Wd, filters: F, size: k } = d;
  const oh = H - k + 1;
  const ow = Wd - k + 1;
  const inSize = C * H * Wd;
  const outPlane = oh * ow;
  const inv = 1 / m;
  for (let x = 0; x < m; x++) {
    for (let f = 0; f < F; f++) {
      const dOff = (x * F + f) * outPlane;
      let s = 0;
      for (let i = 0; i < outPlane; i++) s += delta[dOff + i];
      nablaB[f] += s * inv; // BP3: ∂C/∂b_f = Σ_(i,j) δ_f(i,j)
      for (let c = 0; c < C; c++) {
        const ao = x * inSize + c * H * Wd;
        for (let p = 0; p < k; p++) {
          for (let q = 0; q < k; q++) {
            // BP4: ∂C/∂w_f,c(p,q) = Σ_(i,j) δ_f(i,j) · a_c(i+p, j+q)   (a ⋆ δ)
            let g = 0;
            for (let i = 0; i < oh; i++) {
              const dr = dOff + i * ow;
              const ar = ao + (i + p) * Wd + q;
              for (let j = 0; j < ow; j++) g += delta[dr + j] * a[ar + j];
            }
            nablaW[((f * C + c) * k + p) * k + q] += g * inv;
          }
        }
      }
    }
  }
  if (dA === null) return;
  convBackwardInput(w, delta, dA, m, d);
}

/**
 * ∂C/∂a_c(u,v) = Σ_(p,q) Σ_f w_f,c(p,q) · δ_f(u−p, v−q): the full correlation of δ with the
 * flipped kernel, computed as its transpose — for each tap (p,q) of channel c, the filters'
 * share t(i,j) = Σ_f w_f,c(p,q) · δ_f(i,j) handed back to the input it came from, a_c(i+p, j+q)
 * (local derivative w × upstream δ, summed over the filters that read that input through that
 * tap; then over the taps).
 */
export function convBackwardInput(w: Float64Array, delta: Float64Array, dA: Float64Array, m: number, d: ConvDims): void {
  const { channels: C, height: H, width: Wd, filters: F, size: k } = d;
  const oh = H - k + 1;
  const ow = Wd - k + 1;
  const inSize = C * H * Wd;
  const outPlane = oh * ow;
  const tapStride = C * k * k; // from w_f,c(p,q) to w_f+1,c(p,q)
  dA.fill(0, 0, m * inSize);
  for (let x = 0; x < m; x++) {
    for (let c = 0; c < C; c++) {
      const ao = x * inSize + c * H * Wd;
      for (let p = 0; p < k; p++) {
        for (let q = 0; q < k; q++) {
          const w0 = (c * k + p) * k + q; // w_0,c(p,q)
          for (let i = 0; i < oh; i++) {
            const ar = ao + (i + p) * Wd + q;
            for (let j = 0; j < ow; j++) {
              let t = 0;
              for (let f = 0; f < F; f++) t += w[w0 + f * tapStride] * delta[(x * F + f) * outPlane + i * ow + j]; // t(i,j) = Σ_f w_f,c(p,q) · δ_f(i,j)
              dA[ar + j] += t;
            }
          }
        }
      }
    }
  }
}
