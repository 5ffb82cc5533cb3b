/**
 * Activation functions and costs: σ, σ', C and the output error δ^L, one place each.
 * Each activation is a pair: `activate` (forward, a = f(z)) and `mulDerivative` (backward,
 * upstream gradient ⊙ f'(z)); each cost a pair of `fn` and `delta`, as network2.py's classes.
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
 * A cost as network2.py writes one: a pair of its value `fn` and the output error `delta`
 * (δ^L = ∂C/∂z^L, BP1), plus `dCda`, the factor ∂C/∂a_j that BP1 multiplies by σ'(z).
 * One example at a time: its outputs are the n numbers of z and a from offset `at`, its label
 * `label` (desired output y_j = 1 for j = label, 0 otherwise).
 */
export interface CostFunction {
  /** C of one example. */
  fn(z: Float64Array, a: Float64Array, at: number, n: number, label: number): number;
  /** ∂C/∂a_j for an output a_j whose desired value is y_j. */
  dCda(a: number, y: number): number;
  /** δ^L = ∂C/∂z^L of one example, written into `delta` (at the same offset). */
  delta(a: Float64Array, delta: Float64Array, at: number, n: number, label: number): void;
}

/** δ = a − y: the start of every output error below. */
function aMinusY(a: Float64Array, delta: Float64Array, at: number, n: number, label: number): void {
  for (let j = at; j < at + n; j++) delta[j] = a[j] - (j - at === label ? 1 : 0);
}

/** Quadratic cost C = ½ Σ_j (a_j − y_j)² (Nielsen's form), a sigmoid output: δ^L = (a − y) ⊙ σ'(z^L). */
const quadraticSigmoid: CostFunction = {
  fn: quadraticFn,
  dCda: (a, y) => a - y,
  delta(a, delta, at, n, label) {
    aMinusY(a, delta, at, n, label);
    for (let j = at; j < at + n; j++) delta[j] *= a[j] * (1 - a[j]);
  },
};

/** Quadratic cost with a softmax output: σ' is the full Jacobian, δ_j = a_j (e_j − Σ_k e_k a_k), e = a − y. */
const quadraticSoftmax: CostFunction = {
  fn: quadraticFn,
  dCda: (a, y) => a - y,
  delta(a, delta, at, n, label) {
    aMinusY(a, delta, at, n, label);
    let dot = 0;
    for (let j = at; j < at + n; j++) dot += delta[j] * a[j];
    for (let j = at; j < at + n; j++) delta[j] = a[j] * (delta[j] - dot);
  },
};

function quadraticFn(_z: Float64Array, a: Float64Array, at: number, n: number, label: number): number {
  let c = 0;
  for (let j = 0; j < n; j++) {
    const e = a[at + j] - (j === label ? 1 : 0);
    c += e * e;
  }
  return 0.5 * c;
}

/**
 * Cross-entropy C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] with a sigmoid output, computed
 * from z (ln σ(z) = −softplus(−z)) so it stays finite when a saturates at 0 or 1.
 * ∂C/∂a = (1−y)/(1−a) − y/a, and σ'(z) = a(1 − a) cancels its denominator: δ^L = a − y.
 */
const crossEntropySigmoid: CostFunction = {
  fn(z, _a, at, n, label) {
    let c = 0;
    for (let j = 0; j < n; j++) c += j === label ? softplus(-z[at + j]) : softplus(z[at + j]);
    return c;
  },
  dCda: (a, y) => (y === 1 ? -1 / a : 1 / (1 - a)),
  delta: aMinusY,
};

/**
 * With a softmax output, cross-entropy is the log-likelihood C = −ln a_y = logsumexp(z) − z_y.
 * ∂C/∂a_j = −1/a_y for the label and 0 for the others; through the softmax, δ^L = a − y.
 */
const logLikelihoodSoftmax: CostFunction = {
  fn(z, _a, at, n, label) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (z[at + j] > max) max = z[at + j];
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(z[at + j] - max);
    return max + Math.log(sum) - z[at + label];
  },
  dCda: (a, y) => (y === 1 ? -1 / a : 0),
  delta: aMinusY,
};

/** Σ_x C_x over m examples whose outputs (n each) are rows of z and a, labels y. */
export function costOfBatch(C: CostFunction, z: Float64Array, a: Float64Array, y: ArrayLike<number>, m: number, n: number): number {
  let c = 0;
  for (let x = 0; x < m; x++) c += C.fn(z, a, x * n, n, y[x]);
  return c;
}

/** The (fn, delta) pair of a cost for an output activation. */
export function costFunction(cost: Cost, output: OutputActivation): CostFunction {
  if (cost === 'quadratic') return output === 'sigmoid' ? quadraticSigmoid : quadraticSoftmax;
  return output === 'sigmoid' ? crossEntropySigmoid : logLikelihoodSoftmax;
}

/** Index of the largest of n numbers starting at `at` (the predicted digit). */
export function argmax(a: Float64Array, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[at + j] > a[at + best]) best = j;
  return best;
}
