import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { FORMAT_VERSION, saveModel } from '../../src/model/model.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress } from '../../src/train/train.js';
import { evaluateDetailed } from '../../src/nn/metrics.js';
import { createNetwork, type Network } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { tempDir, writeDataDir } from '../helpers.js';
import { run } from './run.js';

/** A network2.py-style model file (no digitTrain) of the given sizes, with random weights. */
function modelFile(sizes: number[], seed = 3): { path: string; net: Network } {
  const net = createNetwork({ sizes, activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(seed), 'normal');
  const path = join(tempDir(), 'm.json');
  saveModel(path, { net, meta: null });
  return { path, net };
}

/** A data directory (6×6 images, labels 0..9, 40 test images), a model for it, and what it scores (temporary files live for one test). */
function setup() {
  const data = writeDataDir({ train: 60, test: 40 });
  const { path, net } = modelFile([36, 8, 10]);
  return { data, path, expected: evaluateDetailed(net, loadMnist({ dir: data }).test, 5) };
}

describe('digit-train eval', () => {

  it('--json: one object with accuracy, cost, confusion matrix, per-class scores and the worst mistakes', () => {
    const { data, path, expected } = setup();
    const r = run(['eval', path, '--data', data, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ model: path, split: 'test', count: 40, correct: expected.correct, accuracy: expected.correct / 40, minAccuracy: null, passed: null });
    expect(j.cost).toBe(expected.cost);
    expect(j.confusion).toEqual(expected.confusion);
    expect(j.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(40);
    expect(j.perClass).toEqual(expected.perClass);
    expect(j.worst).toHaveLength(5);
    expect(j.worst).toEqual(expected.worst);
    for (const w of j.worst) {
      expect(w.label).not.toBe(w.predicted);
      expect(w.outputs).toHaveLength(10);
      expect(Math.max(...w.outputs)).toBe(w.outputs[w.predicted]);
    }
    expect(j.worst.map((w: any) => w.confidence)).toEqual([...j.worst.map((w: any) => w.confidence)].sort((a, b) => b - a));
  });

  it('text: accuracy line, the 10×10 matrix, precision/recall per digit, the mistakes drawn', () => {
    const { data, path, expected } = setup();
    const r = run(['eval', path, '--data', data, '--show', '2']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(r.stdout).toContain(`${expected.correct} / 40 correct (${((100 * expected.correct) / 40).toFixed(2)}%)`);
    expect(r.stdout).toMatch(/36-8-10 sigmoid, quadratic cost \(network2\.py file\)/);
    // the matrix: a header and one row per true digit, each row's cells as computed
    const head = lines.findIndex((l) => l.startsWith('true\\pred'));
    expect(lines[head].split(/\s+/)).toEqual(['true\\pred', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'total']);
    for (let d = 0; d < 10; d++) {
      const cells = lines[head + 1 + d].trim().split(/\s+/).map(Number);
      expect(cells).toEqual([d, ...expected.confusion[d], expected.confusion[d].reduce((a, b) => a + b, 0)]);
    }
    expect(lines.filter((l) => /^\d\s+\d+\.\d\d%\s+\d+\.\d\d%\s+\d+$/.test(l))).toHaveLength(10);
    // two mistakes, each a 3-line picture (6 rows) beside 10 activation bars
    const w = expected.worst;
    expect(r.stdout).toContain(`the 2 most confident mistakes`);
    expect(r.stdout).toContain(`#${w[0].index}: true ${w[0].label}, predicted ${w[0].predicted} (a = ${w[0].confidence.toFixed(3)})`);
    expect(lines.filter((l) => l.includes('← predicted'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('← true'))).toHaveLength(2);
    expect(r.stdout).not.toMatch(/\x1b\[/); // NO_COLOR: plain text
    expect(lines.every((l) => !/\s$/.test(l))).toBe(true);
  });

  it('--min-accuracy: exit 0 at or above the bar, exit 1 below it with one line (the report still printed)', () => {
    const { data, path, expected } = setup();
    const percent = (100 * expected.correct) / 40; // e.g. 12.5
    const at = run(['eval', path, '--data', data, '--json', '--min-accuracy', `${percent}%`]);
    expect(at.code).toBe(0);
    expect(JSON.parse(at.stdout).passed).toBe(true);
    const above = run(['eval', path, '--data', data, '--json', '--min-accuracy', String(percent + 0.1)]);
    expect(above.code).toBe(1);
    expect(JSON.parse(above.stdout).passed).toBe(false);
    expect(above.stderr.trim().split('\n')).toHaveLength(1);
    expect(above.stderr.trim()).toBe(`digit-train: accuracy ${percent.toFixed(2)}% (${expected.correct} / 40) on ${data} test is below --min-accuracy ${percent + 0.1}%`);
    const text = run(['eval', path, '--data', data, '--show', '0', '--min-accuracy', '99']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('confusion matrix');
    expect(run(['eval', path, '--data', data, '--show', '0', '--min-accuracy', '0']).code).toBe(0);
  });

  const bad: [string[], string | ((data: string) => string)][] = [
    [['--min-accuracy', 'high'], '--min-accuracy: "high" is not a percentage from 0 to 100'],
    [['--min-accuracy', '101'], '--min-accuracy: "101" is not a percentage from 0 to 100'],
    [['--min-accuracy', '0.95'], '--min-accuracy: "0.95" looks like a fraction; give a percentage (e.g. 95 for 95%), or write 0.95% if you mean it'],
    [['--show', '-1'], '--show: "-1" is not a whole number ≥ 0'],
    [['--split', 'dev'], '--split: "dev" is not one of test, validation, train'],
    [['--split', 'validation'], (data) => `--split validation: ${data} has no images beyond the training split`],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')}: exit 2, one line`, () => {
      const { data, path } = setup();
      const r = run(['eval', path, '--data', data, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`digit-train: ${typeof message === 'string' ? message : message(data)}\n`);
      expect(r.stdout).toBe('');
    });
  }

  it('a model that does not fit the data, or cannot be read: exit 2, one line naming the model file', () => {
    const { data } = setup();
    const wide = modelFile([784, 10]).path;
    const few = modelFile([36, 4]).path;
    const cases: [string, string][] = [
      [wide, `${wide}: the model takes 784 inputs, the images of ${data} test have 6x6 = 36 pixels`],
      [few, `${few}: the model has 4 outputs, the labels of the data go up to 9`],
      ['/nonexistent/m.json', '/nonexistent/m.json: no such file'],
    ];
    // a digit-train model records its data: the message says so when other data are given
    const { net: small } = modelFile([36, 10]);
    const trainedHere = join(tempDir(), 'here.json');
    const meta = { format: FORMAT_VERSION, activation: 'sigmoid', output: 'sigmoid', init: 'normal', seed: 1, options: DEFAULT_TRAIN_OPTIONS, dataset: { name: data, trainSize: 60 }, progress: newProgress(new Random(1), 3), version: '0', created: '' } as const;
    saveModel(trainedHere, { net: small, meta });
    const onMnist = run(['eval', trainedHere]);
    expect(onMnist.code).toBe(2);
    expect(onMnist.stderr).toBe(`digit-train: ${trainedHere}: the model takes 36 inputs, the images of MNIST test have 28x28 = 784 pixels (it was trained on ${data}: give --data ${data})\n`);
    const broken = join(tempDir(), 'broken.json');
    writeFileSync(broken, '{"sizes": [36, 10], "weights": [], "biases": [], "cost": "QuadraticCost"}');
    cases.push([broken, `${broken}: weights has 0 layers, sizes needs 1`]);
    for (const [file, message] of cases) {
      const r = run(['eval', file, '--data', data]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`digit-train: ${message}\n`);
    }
    expect(run(['eval', '--data', data]).stderr).toBe("digit-train: missing required argument 'model'\n");
  });

  it('on the real MNIST test set: 10,000 images, the mistakes drawn as 28×28 pictures', () => {
    const { path: mnistModel } = modelFile([784, 10, 10], 5);
    const r = run(['eval', mnistModel, '--show', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MNIST test: \d+ \/ 10000 correct/m);
    const lines = r.stdout.split('\n');
    const pictureStart = lines.findIndex((l) => l.startsWith('MNIST test #')) + 1;
    // 14 text lines of 28 shade characters (two pixel rows each), the first 10 beside the bars
    expect(lines.slice(pictureStart, pictureStart + 10).every((l) => /^[ ░▒▓█]{28} {3}\d /.test(l))).toBe(true);
    expect(lines.slice(pictureStart + 10, pictureStart + 14).every((l) => /^[ ░▒▓█]{0,28}$/.test(l))).toBe(true);
  });
});
