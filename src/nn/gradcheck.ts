/**
 * Gradient checking: every analytic ∂C/∂p of backprop.ts against a central finite difference
 * of the mini-batch's average cost, in Float64.
 */
import { backprop, feedforward } from './backprop.js';
import { exampleCost } from './functions.js';
import type { Network } from './network.js';
import type { Workspace } from './workspace.js';

export interface LayerError {
  /** Weight layer l (from layer l to layer l+1). */
  layer: number;
  /** Largest relative error over the layer's weights, and over its biases. */
  weights: number;
  biases: number;
}

/** Average cost of the m examples in ws (inputs in ws.a[0], labels in ws.y). */
export function batchCost(net: Network, ws: Workspace, m: number): number {
  feedforward(net, ws, m);
  const L = net.sizes.length - 1;
  const n = net.sizes[L];
  let c = 0;
  for (let x = 0; x < m; x++) c += exampleCost(net.cost, net.output, ws.z[L], ws.a[L], x * n, n, ws.y[x]);
  return c / m;
}

/**
 * |a − b| / max(|a|, |b|, floor). The floor keeps gradients that are practically 0 from
 * turning rounding noise into a large "relative" error: below it the error is absolute, scaled.
 */
export function relativeError(a: number, b: number, floor = 1e-6): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}

/**
 * ∂(average cost)/∂params[i] by the five-point central difference
 *   (−C(p+2h) + 8C(p+h) − 8C(p−h) + C(p−2h)) / 12h,  error O(h⁴).
 */
export function numericalGradient(net: Network, ws: Workspace, m: number, i: number, h: number): number {
  const saved = net.params[i];
  const at = (d: number) => {
    net.params[i] = saved + d;
    return batchCost(net, ws, m);
  };
  const g = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
  net.params[i] = saved;
  return g;
}

/**
 * Compares every gradient of the batch already in ws (ws.a[0], ws.y) with finite differences.
 * Returns the largest relative error per layer. The network's parameters are left unchanged.
 * `analytic` replaces backprop's gradient (to show that the check catches a wrong one).
 */
export function gradientCheck(net: Network, ws: Workspace, m: number, h = 1e-3, analytic?: Float64Array): LayerError[] {
  if (!analytic) {
    feedforward(net, ws, m);
    backprop(net, ws, m);
    analytic = Float64Array.from(ws.grad);
  }
  const errors: LayerError[] = [];
  let at = 0;
  for (let l = 0; l + 1 < net.sizes.length; l++) {
    const nW = net.sizes[l] * net.sizes[l + 1];
    const nB = net.sizes[l + 1];
    let we = 0;
    let be = 0;
    for (let i = at; i < at + nW + nB; i++) {
      const e = relativeError(analytic[i], numericalGradient(net, ws, m, i, h));
      if (i < at + nW) we = Math.max(we, e);
      else be = Math.max(be, e);
    }
    errors.push({ layer: l, weights: we, biases: be });
    at += nW + nB;
  }
  return errors;
}
