/**
 * Backpropagation for a mini-batch, written as the mathematics (Nielsen, ch. 2):
 *
 *   forward:   z^l = W^l a^(l−1) + b^l,   a^l = σ(z^l)
 *   BP1:       δ^L = ∂C/∂a ⊙ σ'(z^L)
 *   BP2:       δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ'(z^l)
 *   BP3:       ∂C/∂b^l = δ^l
 *   BP4:       ∂C/∂W^l = δ^l (a^(l−1))ᵀ
 *   SGD:       W ← W − η·(1/m) Σ_x ∂C_x/∂W,  b likewise
 *
 * Each backward step is "local derivative × upstream gradient": δ^(l+1) is the upstream
 * gradient ∂C/∂z^(l+1); Wᵀ carries it down to ∂C/∂a^l (summed over every neuron it feeds: the
 * multi-path chain rule), and σ'(z^l) carries it through the activation.
 *
 * This is the straightforward, dense formulation. Training runs the fast kernels of
 * kernels.ts, which compute the same numbers (tests hold them to this file); gradcheck and
 * explain use this one. See network.ts for how W is stored (input-major: W[k·n_out + j] = w_jk).
 */
import { activate, activateOutput, exampleCost, mulDerivative, outputDelta } from './functions.js';
import type { Network } from './network.js';
import type { Workspace } from './workspace.js';

/** Forward pass of m examples: from ws.a[0] (m × n_0) to ws.a[L] (m × n_L), keeping every z and a. */
export function feedforward(net: Network, ws: Workspace, m: number): void {
  const { sizes } = net;
  const L = sizes.length - 1;
  for (let l = 1; l <= L; l++) {
    const nIn = sizes[l - 1];
    const nOut = sizes[l];
    const W = net.W[l - 1];
    const b = net.b[l - 1];
    const aPrev = ws.a[l - 1];
    const z = ws.z[l];
    const a = ws.a[l];
    for (let x = 0; x < m; x++) {
      const zo = x * nOut;
      // z^l = W^l a^(l−1) + b^l
      for (let j = 0; j < nOut; j++) z[zo + j] = b[j];
      for (let k = 0; k < nIn; k++) {
        const ak = aPrev[x * nIn + k];
        if (ak === 0) continue; // adds exact zeros: skipping it changes nothing
        const row = k * nOut;
        for (let j = 0; j < nOut; j++) z[zo + j] += W[row + j] * ak;
      }
      // a^l = σ(z^l)
      if (l < L) activate(net.activation, z, a, zo, nOut);
      else activateOutput(net.output, z, a, zo, nOut);
    }
  }
}

/**
 * Backward pass of m examples after `feedforward`, labels in ws.y: fills ws.nablaW and ws.nablaB
 * with the gradient of the batch's average cost (1/m) Σ_x C_x. Returns Σ_x C_x.
 */
export function backprop(net: Network, ws: Workspace, m: number): number {
  const { sizes } = net;
  const L = sizes.length - 1;
  ws.grad.fill(0);
  let cost = 0;
  const nL = sizes[L];
  for (let x = 0; x < m; x++) {
    cost += exampleCost(net.cost, net.output, ws.z[L], ws.a[L], x * nL, nL, ws.y[x]);
    // BP1: δ^L = ∂C/∂a ⊙ σ'(z^L)
    outputDelta(net.cost, net.output, ws.a[L], ws.delta[L], x * nL, nL, ws.y[x]);
  }
  for (let l = L; l >= 1; l--) {
    const nIn = sizes[l - 1];
    const nOut = sizes[l];
    const delta = ws.delta[l];
    const aPrev = ws.a[l - 1];
    const nablaW = ws.nablaW[l - 1];
    const nablaB = ws.nablaB[l - 1];
    for (let x = 0; x < m; x++) {
      for (let j = 0; j < nOut; j++) {
        const d = delta[x * nOut + j] / m;
        nablaB[j] += d; // BP3: ∂C/∂b^l_j = δ^l_j
        for (let k = 0; k < nIn; k++) nablaW[k * nOut + j] += d * aPrev[x * nIn + k]; // BP4: ∂C/∂w_jk = δ_j a_k
      }
    }
    if (l === 1) break; // δ of the input layer is never needed
    // BP2: δ^(l−1) = (W^l)ᵀ δ^l ⊙ σ'(z^(l−1))
    const W = net.W[l - 1];
    const below = ws.delta[l - 1];
    for (let x = 0; x < m; x++) {
      for (let k = 0; k < nIn; k++) {
        let s = 0;
        for (let j = 0; j < nOut; j++) s += W[k * nOut + j] * delta[x * nOut + j];
        below[x * nIn + k] = s; // ∂C/∂a^(l−1)_k: the sum over every neuron j that a_k feeds
      }
    }
    mulDerivative(net.activation, ws.z[l - 1], ws.a[l - 1], below, m * nIn); // ⊙ σ'(z^(l−1))
  }
  return cost;
}

/** One plain SGD step with the gradient in ws.grad: every parameter p ← p − η·∂C/∂p. */
export function sgdStep(net: Network, ws: Workspace, eta: number): void {
  const p = net.params;
  const g = ws.grad;
  for (let i = 0; i < p.length; i++) p[i] -= eta * g[i];
}
