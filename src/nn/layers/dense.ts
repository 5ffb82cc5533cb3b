/**
 * A fully connected layer, forward and backward side by side (Nielsen, ch. 2):
 *
 *   forward:   z = W a + b                      (a: the layer below's activations)
 *   backward:  ∂C/∂b = δ                        (BP3)
 *              ∂C/∂W = δ aᵀ                     (BP4)
 *              ∂C/∂a = Wᵀ δ                     (BP2 before ⊙ σ': the gradient handed down)
 *
 * where δ = ∂C/∂z is the upstream gradient. Each backward line is "local derivative × upstream
 * gradient": ∂z_j/∂b_j = 1, ∂z_j/∂w_jk = a_k, ∂z_j/∂a_k = w_jk, and a_k feeds every z_j, so its
 * gradient sums over all of them (the multi-path chain rule).
 *
 * m examples at once, example-major (row x of a is a[x·nIn … x·nIn + nIn)); W input-major,
 * W[k·nOut + j] = w_jk (see layout.ts). The fast backend (fast/assembly/kernels.ts in WebAssembly,
 * fast/plain.ts in TypeScript) has a twin of each loop
 * under the same name.
 */

/** z = W a + b for m examples. */
export function denseForward(W: Float64Array, b: Float64Array, a: Float64Array, z: Float64Array, m: number, nIn: number, nOut: number): void {
  for (let x = 0; x < m; x++) {
    const zo = x * nOut;
    for (let j = 0; j < nOut; j++) z[zo + j] = b[j];
    for (let k = 0; k < nIn; k++) {
      const ak = a[x * nIn + k];
      if (ak === 0) continue; // adds exact zeros: skipping it changes nothing
      const row = k * nOut;
      for (let j = 0; j < nOut; j++) z[zo + j] += W[row + j] * ak;
    }
  }
}

/**
 * Given δ = ∂C/∂z of the m examples: adds the gradient of the batch's average cost to nablaW and
 * nablaB, and (unless dA is null) writes ∂C/∂a = Wᵀ δ for the layer below into dA.
 */
export function denseBackward(
  W: Float64Array,
  a: Float64Array,
  delta: Float64Array,
  nablaW: Float64Array,
  nablaB: Float64Array,
  dA: Float64Array | null,
  m: number,
  nIn: number,
  nOut: number,
): void {
  for (let x = 0; x < m; x++) {
    for (let j = 0; j < nOut; j++) {
      const d = delta[x * nOut + j] / m;
      nablaB[j] += d; // BP3: ∂C/∂b_j = δ_j
      for (let k = 0; k < nIn; k++) nablaW[k * nOut + j] += d * a[x * nIn + k]; // BP4: ∂C/∂w_jk = δ_j a_k
    }
  }
  if (dA === null) return;
  denseBackwardInput(W, delta, dA, m, nIn, nOut);
}

/** ∂C/∂a = Wᵀ δ for m examples: dA_k = Σ_j w_jk δ_j, the sum over every neuron j that a_k feeds. */
export function denseBackwardInput(W: Float64Array, delta: Float64Array, dA: Float64Array, m: number, nIn: number, nOut: number): void {
  for (let x = 0; x < m; x++) {
    for (let k = 0; k < nIn; k++) {
      let s = 0;
      for (let j = 0; j < nOut; j++) s += W[k * nOut + j] * delta[x * nOut + j];
      dA[x * nIn + k] = s;
    }
  }
}

/**
 * denseBackward's sums with every loop contiguous (for wide layers, such as a dense layer above a
 * conv-pool volume): first ∂C/∂a = Wᵀ δ into dA (unless null), then δ is scaled by 1/m in place
 * (δ is overwritten) and BP3, BP4 add ∂C/∂b_j = δ_j, ∂C/∂w_jk = δ_j a_k row k of W at a time.
 * Each parameter receives the same terms in the same order of x as in denseBackward.
 */
export function denseBackwardRows(
  W: Float64Array,
  a: Float64Array,
  delta: Float64Array,
  nablaW: Float64Array,
  nablaB: Float64Array,
  dA: Float64Array | null,
  m: number,
  nIn: number,
  nOut: number,
): void {
  if (dA !== null) denseBackwardInput(W, delta, dA, m, nIn, nOut); // ∂C/∂a = Wᵀ δ, before δ is scaled
  for (let i = 0, n = m * nOut; i < n; i++) delta[i] /= m;
  for (let x = 0; x < m; x++) {
    const dx = x * nOut;
    for (let j = 0; j < nOut; j++) nablaB[j] += delta[dx + j]; // BP3: ∂C/∂b_j = δ_j
    for (let k = 0; k < nIn; k++) {
      const ak = a[x * nIn + k];
      if (ak === 0) continue; // adds exact zeros: skipping it changes nothing
      const row = k * nOut;
      for (let j = 0; j < nOut; j++) nablaW[row + j] += delta[dx + j] * ak; // BP4: ∂C/∂w_jk = δ_j a_k
    }
  }
}
