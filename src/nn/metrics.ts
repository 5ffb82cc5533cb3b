/**
 * What an evaluation measures beyond accuracy: the confusion matrix, per-class precision and
 * recall, and the most confident mistakes.
 */
import type { DigitSet } from '../data/dataset.js';
import { evaluateSet } from './fast/engine.js';
import type { Network } from './network.js';
import { createLayeredWorkspace, isLayered, type LayeredNetwork } from './layered.js';
import { evaluateSet as evaluateLayeredSet, outputCount } from './layered-data.js';
import { createWorkspace } from './workspace.js';

export interface Mistake {
  /** Index of the image in its set. */
  index: number;
  label: number;
  predicted: number;
  /** The output activation of the predicted class (how sure the network was). */
  confidence: number;
  /** All output activations. */
  outputs: number[];
}

export interface ClassScore {
  digit: number;
  precision: number;
  recall: number;
  /** Images of this class in the set. */
  support: number;
}

export interface Evaluation {
  set: string;
  count: number;
  correct: number;
  accuracy: number;
  /** Average cost per example. */
  cost: number;
  /** confusion[label][predicted]: counts; the cells sum to `count`. */
  confusion: number[][];
  perClass: ClassScore[];
  /** The most confident wrong answers, most confident first. */
  worst: Mistake[];
}

/** confusion[label][predicted] for n classes. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, n: number): number[][] {
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

/** Precision (of the predictions of a class, how many were right) and recall (of the images of a class, how many were found). 0 when undefined. */
export function classScores(confusion: number[][]): ClassScore[] {
  const n = confusion.length;
  return confusion.map((row, d) => {
    const support = row.reduce((a, b) => a + b, 0);
    let predictedAs = 0;
    for (let l = 0; l < n; l++) predictedAs += confusion[l][d];
    return { digit: d, precision: predictedAs ? row[d] / predictedAs : 0, recall: support ? row[d] / support : 0, support };
  });
}

/** Evaluates `net` on `set`: accuracy, cost, confusion matrix, per-class scores and the `worst` most confident mistakes. */
export function evaluateDetailed(net: Network | LayeredNetwork, set: DigitSet, worst = 5): Evaluation {
  const nOut = outputCount(net);
  const predicted = new Uint8Array(set.count);
  const outputs = new Float64Array(set.count * nOut);
  const r = isLayered(net) ? evaluateLayeredSet(net, createLayeredWorkspace(net, 100), set, { predicted, outputs }) : evaluateSet(net, createWorkspace(net, 100), set, { predicted, outputs });
  const confusion = confusionMatrix(set.labels, predicted, Math.max(nOut, 1));
  const wrong: Mistake[] = [];
  for (let i = 0; i < set.count; i++) {
    if (predicted[i] === set.labels[i]) continue;
    wrong.push({ index: i, label: set.labels[i], predicted: predicted[i], confidence: outputs[i * nOut + predicted[i]], outputs: [] });
  }
  wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const top = wrong.slice(0, worst);
  for (const w of top) w.outputs = Array.from(outputs.subarray(w.index * nOut, (w.index + 1) * nOut));
  return {
    set: set.name,
    count: r.count,
    correct: r.correct,
    accuracy: r.correct / r.count,
    cost: r.cost,
    confusion,
    perClass: classScores(confusion),
    worst: top,
  };
}

export interface Predictions {
  /** The predicted class of each image: argmax of its output activations. */
  predicted: Uint8Array;
  /** The output activations a^L, image after image (count · n_L numbers). */
  outputs: Float64Array;
}

/** Runs `net` forward over every image of `set` (its labels only enter the cost, which is dropped). */
export function predictSet(net: Network | LayeredNetwork, set: DigitSet): Predictions {
  const nOut = outputCount(net);
  const predicted = new Uint8Array(set.count);
  const outputs = new Float64Array(set.count * nOut);
  const m = Math.min(100, set.count);
  if (isLayered(net)) evaluateLayeredSet(net, createLayeredWorkspace(net, m), set, { predicted, outputs });
  else evaluateSet(net, createWorkspace(net, m), set, { predicted, outputs });
  return { predicted, outputs };
}
