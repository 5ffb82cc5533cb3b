/**
 * The data of the lesson: what `digit-train explain` (and its --json) shows of one backprop
 * step on one real example, and of the one-neuron chain. Built by explain.ts and chain.ts from
 * the engine's own numbers; rendered by src/ui/explain.ts.
 */
import type { DigitSet } from '../data/dataset.js';
import type { Activation, Cost, OutputActivation } from '../nn/functions.js';
import type { Volume } from '../nn/layout.js';

/** One weight or bias, by layer (the layer it feeds, 1..L) and neuron indices. */
export interface ParamRef {
  kind: 'w' | 'b';
  layer: number;
  /** Neuron of `layer` it feeds. */
  j: number;
  /** For a weight: neuron of layer − 1 it comes from. */
  k?: number;
  /** Index in Network.params (and in the gradient). */
  index: number;
  /** e.g. "w(L)[3,12]" (from neuron 12 of layer L−1 to neuron 3 of layer L), "b(L−1)[7]". */
  name: string;
}

export interface Factor {
  /** The derivative this factor is, e.g. "∂C/∂a(L)[3]". */
  symbol: string;
  /** What it equals, e.g. "a − y", "σ'(z)", "a(L−1)[12]". */
  formula: string;
  value: number;
}

/** A derivative written as a product of chain-rule factors, next to the engine's value. */
export interface ChainProduct {
  param: ParamRef;
  factors: Factor[];
  /** The factors multiplied left to right. */
  product: number;
  /** The engine's ∂C/∂p for this example (nn/network.ts backprop). */
  engine: number;
  /** The same derivative by a five-point central difference of the engine's cost. */
  finiteDifference: number;
  /** relativeError(engine, finiteDifference) of gradcheck.ts. */
  relativeError: number;
}

export interface OutputWish {
  j: number;
  a: number;
  y: number;
  /** a − y: "how strongly" it wants to move (∂C/∂a of the engine's quadratic cost). */
  error: number;
  /** Which way this example wants a_j to move (towards y). */
  direction: 'up' | 'down' | 'none';
  /** |a − y| / max_j |a − y|, in [0, 1]. */
  strength: number;
}

export interface OutputNeuron {
  j: number;
  z: number;
  a: number;
  /** ∂C/∂a_j for the model's cost (quadratic: a − y). */
  dCda: number;
  /** σ'(z_j) for an element-wise output activation; null for softmax (not element-wise). */
  sigmaPrime: number | null;
  /** δ_j = ∂C/∂z_j, the engine's (BP1). */
  delta: number;
}

export interface Connection {
  param: ParamRef;
  w: number;
  /** The source neuron k, its activation, and its rank among its layer by |a| (1: most active). */
  from: { k: number; a: number; rank: number };
  /** The neuron j it feeds and its δ_j. */
  to: { j: number; delta: number };
  /** ∂C/∂w_jk = δ_j · a_k (the engine's). */
  gradient: number;
}

/** Per weight layer: how the gradient |∂C/∂w| splits over the source neurons. */
export interface LayerShare {
  /** The layer the weights feed (1..L); their sources are layer − 1. */
  layer: number;
  sources: number;
  /** Mean |a| of the sources. */
  meanActivation: number;
  /** Sources with a = 0: how many, and the largest |∂C/∂w| of their weights (exactly 0). */
  silent: number;
  silentMaxGradient: number;
  /** Sources with |a| ≥ 0.5: how many, and their share of Σ|∂C/∂w| over the layer (null when that sum is 0). */
  active: number;
  activeGradientShare: number | null;
}

export interface PathTerm {
  /** Neuron of the layer above that the path goes through. */
  j: number;
  w: number;
  /** δ_j = ∂C/∂z_j of the layer above (the engine's). */
  delta: number;
  /** w_jk · δ_j */
  product: number;
}

export interface Wish {
  k: number;
  a: number;
  /** ∂C/∂a_k = Σ_j w_jk δ_j */
  dCda: number;
  direction: 'up' | 'down' | 'none';
}

export interface WishLayer {
  /** The layer whose activations are wished for (L−1, then L−2). */
  layer: number;
  /** true for the input layer: pixels, which no step changes. */
  input: boolean;
  size: number;
  /** The neurons with the largest |∂C/∂a_k|. */
  top: Wish[];
  /** The neuron with the largest |∂C/∂a_k|, taken apart into its paths. */
  focus: {
    k: number;
    a: number;
    /** The largest terms w_jk·δ_j, by |·|. */
    paths: PathTerm[];
    /** The other terms: how many, and their sum. */
    restCount: number;
    restSum: number;
    /** Σ over every path (= top[0].dCda). */
    sum: number;
    /** For a hidden neuron: σ'(z_k), sum · σ'(z_k), and the engine's δ_k (BP2) = ∂C/∂b_k. */
    sigmaPrime: number | null;
    delta: number | null;
    engineDelta: number | null;
  };
}

export interface BatchExample {
  index: number;
  label: number;
  cost: number;
  /** Cosine similarity of this example's gradient with the batch's average gradient. */
  cosine: number;
}

export interface Disagreement {
  param: ParamRef;
  example: number;
  batch: number;
}

export interface Explanation {
  network: { sizes: number[]; activation: Activation; output: OutputActivation; cost: Cost };
  example: { set: string; index: number; label: number; predicted: number; cost: number; rows: number; cols: number; pixels: number[] };
  /** Step 1: what the example wants of each output neuron. */
  outputs: OutputWish[];
  /** Step 2: the output layer by the chain rule. */
  outputLayer: { layer: number; elementwise: boolean; neurons: OutputNeuron[]; weight: ChainProduct; bias: ChainProduct };
  /** Step 3: the weights whose change lowers C the most (output layer), and where the gradient sits per layer. */
  connections: { top: Connection[]; topMeanActivation: number; layers: LayerShare[] };
  /** Step 4: wishes for layer L−1, then the same recipe for layer L−2. */
  wishes: WishLayer[];
  /** Step 5: this example's gradient against its mini-batch's average. */
  batch: {
    size: number;
    indices: number[];
    examples: BatchExample[];
    cosine: number;
    layerCosines: { layer: number; cosine: number }[];
    /** max_i |mean of the m per-example gradients − the engine's batch gradient|. */
    averageError: number;
    parameters: number;
    /** Parameters where both gradients are non-zero, and among them those of opposite signs. */
    bothNonZero: number;
    oppositeSigns: number;
    disagreements: Disagreement[];
  };
  /** Step 6: one plain SGD step (no momentum, no L2) with the batch's average gradient. */
  step: {
    eta: number;
    exampleCost: { before: number; after: number };
    batchCost: { before: number; after: number };
    /** a of the right output neuron on this example, and the predicted digit. */
    aLabel: { before: number; after: number };
    predicted: { before: number; after: number };
    batchCorrect: { before: number; after: number };
  };
}

export interface ExplainOptions {
  set: DigitSet;
  /** The example: image `index` of `set`. */
  index: number;
  /** Mini-batch of steps 5 and 6: images index, index+1, …, index+batch−1 of the set (wrapping). */
  batch?: number;
  eta?: number;
  top?: number;
  h?: number;
}

// The one-neuron-per-layer chain

export interface ChainStep {
  /** The factor, e.g. "∂a(L)/∂z(L)", what it equals ("σ'(z(L))") and its value. */
  symbol: string;
  formula: string;
  value: number;
  /** The running product: the derivative of C it yields. */
  product: number;
  yields: string;
  /** A side branch (∂C/∂w, ∂C/∂b) off the main chain, checked against the engine. */
  branch: boolean;
  engine?: number;
  finiteDifference?: number;
}

export interface ChainExplanation {
  depth: number;
  sizes: number[];
  /** The input x = a(L−depth) and the target y. */
  x: number;
  y: number;
  /** Per layer 1..L: w, b, z = w·a + b, a = σ(z). */
  layers: { layer: number; name: string; w: number; b: number; z: number; a: number }[];
  /** C = ½(a(L) − y)², the engine's. */
  cost: number;
  steps: ChainStep[];
  /** ∂C/∂w of the first layer as one product of every factor from the cost back to it. */
  first: { factors: Factor[]; product: number; engine: number; finiteDifference: number };
}

// A layer list (conv model): what each layer makes of the digit, and the chain rule through one pooled conv unit

/** Statistics of some activations: min, mean, max, and how many of them have |a| ≥ 0.5 (of `units`). */
export interface ActivationStats {
  units: number;
  min: number;
  mean: number;
  max: number;
  active: number;
}

/** One channel of a conv or pool layer's output on the example. */
export interface FeatureMap {
  channel: number;
  /** Its mean |a| (what "most active" ranks by). */
  meanAbs: number;
  stats: ActivationStats;
  /** height × width activations, row by row. */
  values: number[];
}

export interface LayerView {
  /** Index in the layer list (0-based); the text numbers layers from 1. */
  index: number;
  kind: 'conv' | 'pool' | 'dropout' | 'dense';
  /** The layer as --layers writes it, activation included: "conv:6x5:sigmoid". */
  spec: string;
  input: Volume;
  output: Volume;
  parameters: number;
  /** Over every activation of the layer's output. */
  stats: ActivationStats;
  /** Conv and pool layers: the channels with the largest mean |a| (at most --top), most active first. */
  maps: FeatureMap[];
  /** Dense layers: the units with the largest |a| (at most --top); z is the weighted input. */
  units: { j: number; z: number; a: number }[];
}

/** A term of a sum over paths (w · δ) or over positions (δ · x), named by where it comes from. */
export interface SumTerm {
  /** e.g. "j 3" (a neuron of a dense layer above), "f 2, (p,q) (1,0)" (a filter tap of a conv layer above), "(i,j) (5,7)" (a position). */
  from: string;
  /** The two factors (w and δ, or δ and x) and their product. */
  left: number;
  right: number;
  product: number;
}

/** A sum shown by its largest terms, the rest together, next to the engine's value. */
export interface ShownSum {
  terms: SumTerm[];
  restCount: number;
  restSum: number;
  sum: number;
  engine: number;
}

export interface PooledUnitChain {
  /** The conv layer (index in the list), its activation, and the unit z_f(i,j) of its output. */
  conv: number;
  activation: Activation;
  f: number;
  i: number;
  j: number;
  /**
   * Why this unit: "winner": the largest |δ| of the units that win their pool window (preferring
   * those that win it outright and whose receptive field is not blank); "largest δ": no pool
   * follows the layer (the largest |δ|, preferring a non-blank receptive field).
   */
  chosen: 'winner' | 'largest δ';
  /** z_f(i,j) = b_f + Σ_c,p,q w_f,c(p,q)·x_c(i+p, j+q): the bias, the sum recomputed here, the engine's z, and a = σ(z). */
  forward: { bias: number; taps: number; weighted: number; z: number; engineZ: number; a: number };
  /** The pool layer after it: window (I, J), its k×k inputs (row by row), the arg-max (p, q) in it, the pooled a'. */
  pool: { index: number; size: number; I: number; J: number; window: number[]; argmax: [number, number]; value: number } | null;
  /** Dropout layers on the way up: the identity here (r = 1). */
  dropouts: number[];
  /** The layer whose δ the upstream gradient comes from, and ∂C/∂a at the unit's output (pooled if pooled) as its sum over paths. */
  above: { index: number; kind: 'conv' | 'pool' | 'dense' | 'dropout'; spec: string; at: string; upstream: ShownSum };
  /** ∂C/∂z_f(i,j) = ∂C/∂a'(I,J) · ∂a'/∂a_f(i,j) · ∂a/∂z (without a pool: ∂C/∂a · ∂a/∂z). */
  factors: Factor[];
  delta: number;
  engineDelta: number;
  /** Units of the same window that lose it: ∂max/∂a = 0, so δ = 0 there (the engine's δ of each). */
  losers: { i: number; j: number; a: number; engineDelta: number }[];
  /** One weight of filter f: ∂C/∂w_f,c(p,q) = Σ_(i,j) δ_f(i,j)·x_c(i+p, j+q), this unit's term among the others. */
  weight: {
    index: number;
    name: string;
    c: number;
    p: number;
    q: number;
    w: number;
    /** This unit's term: δ_f(i,j) · x_c(i+p, j+q). */
    x: number;
    term: number;
    positions: number;
    /** Positions with δ ≠ 0. */
    nonZero: number;
    sum: ShownSum;
    finiteDifference: number;
    relativeError: number;
  };
  /** ∂C/∂b_f = Σ_(i,j) δ_f(i,j). */
  bias: { index: number; name: string; sum: number; engine: number; finiteDifference: number; relativeError: number };
  /** Step of the five-point central differences. */
  h: number;
}

export interface LayeredExplanation {
  kind: 'layered';
  network: { input: Volume; layers: string; output: OutputActivation; cost: Cost; parameters: number };
  example: Explanation['example'];
  /** The input volume's statistics (pixels / 255). */
  input: ActivationStats;
  layers: LayerView[];
  /** The output layer: what this example wants of each output. */
  outputs: OutputWish[];
  /** null for a list without a conv layer. */
  unit: PooledUnitChain | null;
}
