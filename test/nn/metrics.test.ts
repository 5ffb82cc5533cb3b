import { describe, expect, it } from 'vitest';
import { makeDigitSet } from '../../src/data/dataset.js';
import { classScores, confusionMatrix, evaluateDetailed, predictSet } from '../../src/nn/metrics.js';
import { allocateNetwork, createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { evaluate } from '../../src/train/train.js';
import { randomSet } from '../helpers.js';

const sigma = (z: number) => 1 / (1 + Math.exp(-z));

describe('confusion matrix and per-class scores', () => {
  it('counts confusion[label][predicted] as built by hand', () => {
    const labels = [0, 0, 0, 1, 1, 2, 3];
    const predicted = [0, 0, 1, 1, 2, 2, 0];
    expect(confusionMatrix(labels, predicted, 4)).toEqual([
      [2, 1, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 1, 0],
      [1, 0, 0, 0],
    ]);
  });

  it('precision = right / predicted as the class, recall = right / images of the class, 0 when undefined', () => {
    const scores = classScores([
      [2, 1, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 1, 0],
      [1, 0, 0, 0],
    ]);
    expect(scores).toEqual([
      { digit: 0, precision: 2 / 3, recall: 2 / 3, support: 3 },
      { digit: 1, precision: 1 / 2, recall: 1 / 2, support: 2 },
      { digit: 2, precision: 1 / 2, recall: 1, support: 1 },
      { digit: 3, precision: 0, recall: 0, support: 1 }, // never predicted, never right
    ]);
    expect(classScores([[0, 0], [0, 3]])[0]).toEqual({ digit: 0, precision: 0, recall: 0, support: 0 });
  });
});

describe('evaluateDetailed on a network whose outputs are known', () => {
  // 2×2 images, a 4-3 sigmoid network: z_j = 10·x_j − 5 for j < 3 (pixel j drives output j)
  const net = allocateNetwork({ sizes: [4, 3], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' });
  for (let j = 0; j < 3; j++) {
    net.W[0][j * 3 + j] = 10; // input-major: W[k·n_out + j], k = j
    net.b[0][j] = -5;
  }
  const images = new Uint8Array([
    255, 0, 0, 0, // → 0, label 0: right
    0, 255, 0, 0, // → 1 with σ(5), label 0: wrong
    0, 0, 102, 0, // → 2 with σ(−1), label 1: wrong
    0, 0, 255, 0, // → 2, label 2: right
    204, 0, 0, 0, // → 0 with σ(3), label 2: wrong
  ]);
  const labels = new Uint8Array([0, 0, 1, 2, 2]);
  const set = makeDigitSet('hand', images, labels, 2, 2);
  const z = [
    [5, -5, -5],
    [-5, 5, -5],
    [-5, -5, -1],
    [-5, -5, 5],
    [3, -5, -5],
  ];

  it('accuracy, average quadratic cost, confusion, precision/recall', () => {
    const ev = evaluateDetailed(net, set, 5);
    expect([ev.correct, ev.count, ev.accuracy]).toEqual([2, 5, 0.4]);
    const cost = z.reduce((s, zs, e) => s + 0.5 * zs.reduce((c, zj, j) => c + (sigma(zj) - (j === labels[e] ? 1 : 0)) ** 2, 0), 0) / 5;
    expect(ev.cost).toBeCloseTo(cost, 12);
    expect(ev.confusion).toEqual([
      [1, 1, 0],
      [0, 0, 1],
      [1, 0, 1],
    ]);
    expect(ev.perClass.map((s) => [s.precision, s.recall])).toEqual([
      [1 / 2, 1 / 2],
      [0, 0],
      [1 / 2, 1 / 2],
    ]);
  });

  it('the worst mistakes: most confident first, with every output activation', () => {
    const ev = evaluateDetailed(net, set, 5);
    expect(ev.worst.map((w) => [w.index, w.label, w.predicted])).toEqual([
      [1, 0, 1],
      [4, 2, 0],
      [2, 1, 2],
    ]);
    expect(ev.worst[0].confidence).toBeCloseTo(sigma(5), 12);
    ev.worst.forEach((w) => w.outputs.forEach((a, j) => expect(a).toBeCloseTo(sigma(z[w.index][j]), 12)));
    expect(evaluateDetailed(net, set, 2).worst.map((w) => w.index)).toEqual([1, 4]);
    expect(evaluateDetailed(net, set, 0).worst).toEqual([]);
  });

  it('predictSet gives the same predictions and outputs', () => {
    const p = predictSet(net, set);
    expect(Array.from(p.predicted)).toEqual([0, 1, 2, 2, 0]);
    expect(p.outputs).toHaveLength(15);
    p.outputs.forEach((a, i) => expect(a).toBeCloseTo(sigma(z[Math.floor(i / 3)][i % 3]), 12));
  });
});

describe('evaluateDetailed agrees with the training loop\'s evaluation', () => {
  it('same correct count and cost on a random set (more images than one evaluation chunk)', () => {
    const set = randomSet(250, 5, 5, 4, 3);
    const n = createNetwork({ sizes: [25, 8, 4], activation: 'tanh', output: 'softmax', cost: 'cross-entropy' }, new Random(4), 'scaled');
    const ev = evaluateDetailed(n, set);
    const plain = evaluate(n, set);
    expect([ev.correct, ev.cost]).toEqual([plain.correct, plain.cost]);
    expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(250);
    expect(ev.confusion.reduce((s, row, i) => s + row[i], 0)).toBe(ev.correct);
    const p = predictSet(n, set);
    const wrong = Array.from(p.predicted).filter((d, i) => d !== set.labels[i]).length;
    expect(wrong).toBe(250 - ev.correct);
  });
});
