/**
 * Gradient checking for layer lists (layered.ts): every analytic ∂C/∂p of backpropLayered
 * against a five-point central finite difference of the mini-batch's average cost, with the
 * same measure as gradcheck.ts (|analytic − numerical| ≤ atol + rtol·|numerical|).
 *
 * Dropout masks are drawn once, by the forward pass whose gradient is checked, and replayed in
 * every finite-difference evaluation, so both sides differentiate the same function.
 */
import { GRADCHECK_TOLERANCE, relativeError, toleranceRatio, type LayerError, type Tolerance } from './gradcheck.js';
import { backpropLayered, costSumLayered, feedforwardLayered, type LayeredNetwork, type LayeredWorkspace } from './layered.js';
import type { Random } from './random.js';

export interface StackLayerError extends LayerError {
  /** 'conv' or 'dense'. */
  kind: 'conv' | 'dense';
  /** Parameters of the layer, and how many of them were checked. */
  parameters: number;
  checked: number;
}

/** The indices from..to−1, or `limit` of them drawn without replacement by `rng` (sorted). */
function pick(from: number, to: number, sample?: { limit: number; rng: Random }): number[] {
  const all = Array.from({ length: to - from }, (_, i) => from + i);
  if (!sample || all.length <= sample.limit) return all;
  for (let i = 0; i < sample.limit; i++) {
    const j = i + Math.floor(sample.rng.next() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, sample.limit).sort((a, b) => a - b);
}

/**
 * The finite-difference step for a layer list: 1e-3 as for an MLP, but 1e-5 when it has max-pool
 * or ReLU layers. Their cost is only piecewise smooth: two inputs of a pooling window closer than
 * the step (common at the anti-aliased edges of a digit) swap the arg-max inside the stencil and
 * spoil the difference; 1e-5 still keeps the rounding error (~1e-10) below the tolerance.
 */
export function differenceStep(net: LayeredNetwork): number {
  return net.layers.some((s) => s.kind === 'pool' || ((s.kind === 'conv' || s.kind === 'dense') && s.activation === 'relu')) ? 1e-5 : 1e-3;
}

/** Average cost of the m examples in ws, dropout masks replayed. */
export function batchCostLayered(net: LayeredNetwork, ws: LayeredWorkspace, m: number): number {
  feedforwardLayered(net, ws, m, 'replay');
  return costSumLayered(net, ws, m) / m;
}

/** ∂(average cost)/∂params[i] by (−C(p+2h) + 8C(p+h) − 8C(p−h) + C(p−2h)) / 12h. */
export function numericalGradientLayered(net: LayeredNetwork, ws: LayeredWorkspace, m: number, i: number, h: number): number {
  const saved = net.params[i];
  const at = (d: number) => {
    net.params[i] = saved + d;
    return batchCostLayered(net, ws, m);
  };
  const g = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
  net.params[i] = saved;
  return g;
}

/**
 * Compares every gradient of the batch in ws (ws.a[0], ws.y) with finite differences; one entry
 * per layer with parameters (conv and dense), `layer` its index in the list. `dropoutRng` draws
 * the masks (needed when the list has dropout). `analytic` replaces backprop's gradient (to show
 * that the check catches a wrong one). The parameters are left unchanged.
 */
export function gradientCheckLayered(
  net: LayeredNetwork,
  ws: LayeredWorkspace,
  m: number,
  dropoutRng: Random | null,
  tol: Tolerance = GRADCHECK_TOLERANCE,
  h = 1e-3,
  analytic?: Float64Array,
  /** Check at most `limit` weights and `limit` biases per layer, picked by `rng` (all when fewer). */
  sample?: { limit: number; rng: Random },
): StackLayerError[] {
  feedforwardLayered(net, ws, m, dropoutRng ?? null); // draws the masks that every evaluation below replays
  if (!analytic) {
    backpropLayered(net, ws, m);
    analytic = Float64Array.from(ws.grad);
  }
  const out: StackLayerError[] = [];
  net.layout.layers.forEach((s, layer) => {
    if (s.kind !== 'conv' && s.kind !== 'dense') return;
    const end = s.kind === 'conv' ? s.b + s.filters : s.b + s.nOut;
    const indices = [...pick(s.w, s.b, sample), ...pick(s.b, end, sample)];
    const e: StackLayerError = { kind: s.kind, layer, parameters: end - s.w, checked: indices.length, weights: 0, biases: 0, maxAbsolute: 0, maxRelative: 0 };
    for (const i of indices) {
      const numerical = numericalGradientLayered(net, ws, m, i, h);
      const ratio = toleranceRatio(analytic![i], numerical, tol);
      if (i < s.b) e.weights = Math.max(e.weights, ratio);
      else e.biases = Math.max(e.biases, ratio);
      e.maxAbsolute = Math.max(e.maxAbsolute, Math.abs(analytic![i] - numerical));
      e.maxRelative = Math.max(e.maxRelative, relativeError(analytic![i], numerical, 1e-300));
    }
    out.push(e);
  });
  return out;
}
