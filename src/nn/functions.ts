/**
 * Activation functions and costs: σ, σ', C and the output error δ^L, one place each.
 *
 * The hot loops switch on these names once per layer and per mini-batch, never per number,
 * so each loop body stays a plain arithmetic expression.
 */

export const ACTIVATIONS = ['sigmoid', 'tanh', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export const OUTPUTS = ['sigmoid', 'softmax'] as const;
export type OutputActivation = (typeof OUTPUTS)[number];
export const COSTS = ['quadratic', 'cross-entropy'] as const;
export type Cost = (typeof COSTS)[number];

/** σ(z) = 1 / (1 + e^(−z)). For z → −∞, e^(−z) = ∞ and the result is an exact 0: no NaN. */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** a = f(z) element-wise on the n numbers from offset `at`, for a hidden activation f. */
export function activate(f: Activation, z: Float64Array, a: Float64Array, at: number, n: number): void {
  const end = at + n;
  switch (f) {
    case 'sigmoid':
      for (let i = at; i < end; i++) a[i] = 1 / (1 + Math.exp(-z[i]));
      break;
    case 'tanh':
      for (let i = at; i < end; i++) a[i] = Math.tanh(z[i]);
      break;
    case 'relu':
      for (let i = at; i < end; i++) a[i] = z[i] > 0 ? z[i] : 0;
      break;
  }
}

/** d[i] *= f'(z[i]), written in terms of a = f(z) where that is cheaper (σ' = a(1 − a), tanh' = 1 − a²). */
export function mulDerivative(f: Activation, z: Float64Array, a: Float64Array, d: Float64Array, n: number): void {
  switch (f) {
    case 'sigmoid':
      for (let i = 0; i < n; i++) d[i] *= a[i] * (1 - a[i]);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) d[i] *= 1 - a[i] * a[i];
      break;
    case 'relu':
      for (let i = 0; i < n; i++) if (!(z[i] > 0)) d[i] = 0;
      break;
  }
}

/**
 * Output activations of one example: sigmoid element-wise, or softmax
 * a_j = e^(z_j − max z) / Σ_k e^(z_k − max z) (shifted by max z so no exponential overflows).
 * `at` is the example's offset in z and a.
 */
export function activateOutput(f: OutputActivation, z: Float64Array, a: Float64Array, at: number, n: number): void {
  if (f === 'sigmoid') {
    for (let j = at; j < at + n; j++) a[j] = 1 / (1 + Math.exp(-z[j]));
    return;
  }
  let max = -Infinity;
  for (let j = at; j < at + n; j++) if (z[j] > max) max = z[j];
  let sum = 0;
  for (let j = at; j < at + n; j++) {
    a[j] = Math.exp(z[j] - max);
    sum += a[j];
  }
  for (let j = at; j < at + n; j++) a[j] /= sum;
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * The cost of one example whose label is `y` (desired output y_j = 1 for j = label, 0 otherwise).
 * - quadratic:      C = ½ Σ_j (a_j − y_j)²  (Nielsen's form; ../shared/backprop-notes.txt writes
 *                   C = Σ (a − y)², which differs only by a factor 2 that η absorbs)
 * - cross-entropy:  sigmoid output: C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)], computed from z
 *                   (ln σ(z) = −softplus(−z)) so it stays finite when a saturates at 0 or 1;
 *                   softmax output: the log-likelihood C = −ln a_y = logsumexp(z) − z_y.
 */
export function exampleCost(
  cost: Cost,
  output: OutputActivation,
  z: Float64Array,
  a: Float64Array,
  at: number,
  n: number,
  label: number,
): number {
  let c = 0;
  if (cost === 'quadratic') {
    for (let j = 0; j < n; j++) {
      const e = a[at + j] - (j === label ? 1 : 0);
      c += e * e;
    }
    return 0.5 * c;
  }
  if (output === 'sigmoid') {
    for (let j = 0; j < n; j++) c += j === label ? softplus(-z[at + j]) : softplus(z[at + j]);
    return c;
  }
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (z[at + j] > max) max = z[at + j];
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[at + j] - max);
  return max + Math.log(sum) - z[at + label];
}

/**
 * The output error of one example, δ^L = ∂C/∂z^L, written into `delta`:
 * - quadratic cost:  δ^L = ∂C/∂a ⊙ σ'(z^L) = (a − y) ⊙ σ'(z^L)   (BP1)
 *                    (with softmax, σ' is the full Jacobian: δ_j = a_j (e_j − Σ_k e_k a_k), e = a − y)
 * - cross-entropy:   δ^L = a − y, for a sigmoid output (σ' cancels) and for softmax + log-likelihood.
 */
export function outputDelta(
  cost: Cost,
  output: OutputActivation,
  a: Float64Array,
  delta: Float64Array,
  at: number,
  n: number,
  label: number,
): void {
  for (let j = at; j < at + n; j++) delta[j] = a[j] - (j - at === label ? 1 : 0);
  if (cost === 'cross-entropy') return;
  if (output === 'sigmoid') {
    for (let j = at; j < at + n; j++) delta[j] *= a[j] * (1 - a[j]);
    return;
  }
  let dot = 0;
  for (let j = at; j < at + n; j++) dot += delta[j] * a[j];
  for (let j = at; j < at + n; j++) delta[j] = a[j] * (delta[j] - dot);
}

/** Index of the largest of n numbers starting at `at` (the predicted digit). */
export function argmax(a: Float64Array, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[at + j] > a[at + best]) best = j;
  return best;
}
