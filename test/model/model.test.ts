import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, ModelError, modelToJson, parseModel, saveModel, type ModelMeta } from '../../src/model/model.js';
import { createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { sampleMeta, tempDir } from '../helpers.js';

const net = () => createNetwork({ sizes: [6, 4, 3, 2], activation: 'tanh', output: 'softmax', cost: 'cross-entropy' }, new Random(2), 'scaled');
const meta = (): ModelMeta => sampleMeta({ activation: 'tanh', output: 'softmax', init: 'scaled', seed: 2, dataset: { name: 'test', trainSize: 10 } });

/** A network2.py model file as network2.save() writes it (json.dump of lists). */
const network2File = JSON.stringify({
  sizes: [3, 2, 2],
  weights: [
    [
      [0.1, -0.2, 0.3],
      [0.4, 0.5, -0.6],
    ],
    [
      [1.5, -1.25],
      [0.75, 2.0],
    ],
  ],
  biases: [[[0.01], [-0.02]], [[0.3], [0.4]]],
  cost: 'CrossEntropyCost',
});

describe('model files', () => {
  it('save → load gives back the exact Float64 parameters and the metadata', () => {
    const dir = tempDir();
    const n = net();
    n.params[3] = 0.1 + 0.2; // a number whose shortest decimal form has 17 digits
    n.params[4] = 5e-324;
    n.params[5] = -1.7976931348623157e308;
    saveModel(join(dir, 'm.json'), { net: n, meta: meta() });
    const back = loadModel(join(dir, 'm.json'));
    expect(Buffer.from(back.net.params.buffer).equals(Buffer.from(n.params.buffer))).toBe(true);
    expect(back.net.sizes).toEqual([6, 4, 3, 2]);
    expect([back.net.activation, back.net.output, back.net.cost]).toEqual(['tanh', 'softmax', 'cross-entropy']);
    expect(back.meta).toEqual(meta());
    expect(readdirSync(dir)).toEqual(['m.json']); // no temporary file left
  });

  it('writes network2.py\'s layout: weights[l][j][k] from k to j, biases [n][1], cost name', () => {
    const back = parseModel(network2File, 'n2.json');
    expect(back.meta).toBeNull();
    expect([back.net.activation, back.net.output, back.net.cost]).toEqual(['sigmoid', 'sigmoid', 'cross-entropy']);
    expect(back.net.W[0][2 * 2 + 1]).toBe(-0.6); // w_12: to neuron 1 from input 2
    expect(back.net.b[1][1]).toBe(0.4);
    expect(JSON.parse(modelToJson(back))).toEqual(JSON.parse(network2File));
  });

  const bad: [string, (d: any) => void, string][] = [
    ['wrong row count', (d) => d.weights[1].pop(), 'weights[1] has 1 rows, sizes[2] is 2'],
    ['wrong column count', (d) => d.weights[0][1].push(1), 'weights[0][1] has 4 columns, sizes[0] is 3'],
    ['a NaN weight', (d) => (d.weights[0][0][0] = 'NaN'), 'weights[0][0][0] is "NaN", not a finite number'],
    ['a null bias', (d) => (d.biases[1][0] = [null]), 'biases[1][0] is [null], not a finite number (or [number])'],
    ['too few layers', (d) => d.weights.pop(), 'weights has 1 layers, sizes needs 2'],
    ['bad sizes', (d) => (d.sizes = [3, 0, 2]), 'sizes[1] is 0, not a positive integer'],
    ['unknown cost', (d) => (d.cost = 'HingeCost'), 'cost "HingeCost" is not QuadraticCost, CrossEntropyCost or LogLikelihoodCost'],
    ['missing biases', (d) => delete d.biases, 'biases is missing or not an array'],
    ['an unknown activation', (d) => (d.digitTrain = { ...meta(), activation: 'swish' }), 'digitTrain.activation "swish" is not one of sigmoid, tanh, relu'],
    ['a newer format', (d) => (d.digitTrain = { ...meta(), format: 99 }), 'digitTrain.format 99 is not 1'],
  ];
  for (const [what, mutate, message] of bad) {
    it(`rejects a model with ${what}: one line naming the file`, () => {
      const d = JSON.parse(network2File);
      mutate(d);
      expect(() => parseModel(JSON.stringify(d), 'm.json')).toThrow(ModelError);
      expect(() => parseModel(JSON.stringify(d), 'm.json')).toThrow(`m.json: ${message}`);
    });
  }

  it('rejects text that is not JSON', () => {
    expect(() => parseModel('{"sizes": [1,', 'm.json')).toThrow(/^m\.json: not valid JSON/);
  });

  it('never writes NaN, and an existing file survives a failed save', () => {
    const dir = tempDir();
    const path = join(dir, 'm.json');
    writeFileSync(path, 'old');
    const n = net();
    n.params[0] = NaN;
    expect(() => saveModel(path, { net: n, meta: null })).toThrow(/NaN or infinite/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(() => saveModel(join(dir, 'no', 'm.json'), { net: net(), meta: null })).toThrow(/no\/m\.json: cannot write the model/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['m.json']);
  });
});
