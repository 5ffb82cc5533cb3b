/**
 * Gradient checking: every analytic ∂C/∂p of backprop (network.ts) against a central finite
 * difference of the mini-batch's average cost, in Float64.
 *
 * A parameter passes when |analytic − numerical| ≤ atol + rtol · |numerical|, as PyTorch's
 * gradcheck and numpy's allclose combine an absolute and a relative tolerance: the relative part
 * judges ordinary gradients, the absolute part keeps gradients that are practically 0 (where
 * rounding noise is the whole difference) from failing a correct engine.
 */
import { backprop, costSum, feedforward, type Network } from './network.js';
import type { Workspace } from './workspace.js';

export interface Tolerance {
  /** Relative tolerance. */
  rtol: number;
  /** Absolute tolerance. */
  atol: number;
}

/** The tolerances of `digit-train gradcheck` (five-point differences are accurate to ~1e-10). */
export const GRADCHECK_TOLERANCE: Tolerance = { rtol: 1e-6, atol: 1e-9 };

export interface LayerError {
  /** Weight layer l (from layer l to layer l+1). */
  layer: number;
  /** Largest |analytic − numerical| / (atol + rtol·|numerical|) over the layer's weights and
   *  over its biases: at most 1 passes. */
  weights: number;
  biases: number;
  /** Largest |analytic − numerical| over the layer's parameters, and the largest relative
   *  error |analytic − numerical| / max(|analytic|, |numerical|, 1e-300). */
  maxAbsolute: number;
  maxRelative: number;
}

/** Average cost of the m examples in ws (inputs in ws.a[0], labels in ws.y). */
export function batchCost(net: Network, ws: Workspace, m: number): number {
  feedforward(net, ws, m);
  return costSum(net, ws, m) / m;
}

/**
 * |a − b| / max(|a|, |b|, floor). The floor keeps gradients that are practically 0 from
 * turning rounding noise into a large "relative" error: below it the error is absolute, scaled.
 */
export function relativeError(a: number, b: number, floor = 1e-6): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}

/** |analytic − numerical| in units of the tolerance atol + rtol·|numerical|: ≤ 1 passes. */
export function toleranceRatio(analytic: number, numerical: number, tol: Tolerance): number {
  return Math.abs(analytic - numerical) / (tol.atol + tol.rtol * Math.abs(numerical));
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
 * Returns the errors per layer. The network's parameters are left unchanged.
 * `analytic` replaces backprop's gradient (to show that the check catches a wrong one).
 */
export function gradientCheck(net: Network, ws: Workspace, m: number, tol: Tolerance = GRADCHECK_TOLERANCE, h = 1e-3, analytic?: Float64Array): LayerError[] {
  if (!analytic) {
    feedforward(net, ws, m);
    backprop(net, ws, m);
    analytic = Float64Array.from(ws.grad);
  }
  return net.layout.layers.map((s, layer) => {
    const e = { layer, weights: 0, biases: 0, maxAbsolute: 0, maxRelative: 0 };
    for (let i = s.w; i < s.b + s.nOut; i++) {
      const numerical = numericalGradient(net, ws, m, i, h);
      const ratio = toleranceRatio(analytic[i], numerical, tol);
      if (i < s.b) e.weights = Math.max(e.weights, ratio);
      else e.biases = Math.max(e.biases, ratio);
      e.maxAbsolute = Math.max(e.maxAbsolute, Math.abs(analytic[i] - numerical));
      e.maxRelative = Math.max(e.maxRelative, relativeError(analytic[i], numerical, 1e-300));
    }
    return e;
  });
}
