import { describe, expect, it } from 'vitest';
import { modelToJson, ModelError, parseAnyModel, parseModel, type LayeredModel } from '../../src/model/model.js';
import { createLayered, isLayered, type LayerSpec } from '../../src/nn/layered.js';
import { Random } from '../../src/nn/random.js';
import { sampleMeta } from '../helpers.js';

const layers: LayerSpec[] = [
  { kind: 'conv', filters: 2, size: 3, activation: 'relu' },
  { kind: 'pool', size: 2 },
  { kind: 'dropout', p: 0.25 },
  { kind: 'dense', units: 4, activation: 'softmax' },
];

function sample(): LayeredModel {
  const net = createLayered({ input: { channels: 1, height: 6, width: 6 }, layers, cost: 'cross-entropy' }, new Random(4));
  return { net, meta: sampleMeta({ output: 'softmax' }) };
}

/** The file's text with `change` applied to its parsed JSON. */
function edited(change: (doc: any) => void): string {
  const doc = JSON.parse(modelToJson(sample()));
  change(doc);
  return JSON.stringify(doc);
}

describe('conv model files (digitTrain.network)', () => {
  it('save → load gives the same network, bit for bit', () => {
    const model = sample();
    const back = parseAnyModel(modelToJson(model), 'm.json');
    expect(isLayered(back.net)).toBe(true);
    if (!isLayered(back.net)) return;
    expect(back.net.layers).toEqual(layers);
    expect(back.net.input).toEqual({ channels: 1, height: 6, width: 6 });
    expect(Array.from(back.net.params)).toEqual(Array.from(model.net.params));
    expect(back.net.cost).toBe('cross-entropy');
    expect(back.net.output).toBe('softmax');
  });

  it('a quadratic cost with a softmax output stays quadratic', () => {
    const model = sample();
    model.net.cost = 'quadratic';
    const back = parseAnyModel(modelToJson(model), 'm.json');
    expect(back.net.cost).toBe('quadratic');
  });

  it('parseModel (the commands that take MLPs only) refuses a conv model in one line', () => {
    expect(() => parseModel(modelToJson(sample()), 'm.json')).toThrow('m.json: is a layer-list model (--layers), which this command does not take yet');
  });

  const broken: [string, (doc: any) => void, RegExp][] = [
    ['another format', (d) => (d.digitTrain.network.format = 2), /digitTrain\.network\.format 2 is not 1/],
    ['a parameter missing', (d) => d.digitTrain.network.parameters.pop(), /parameters must hold \d+ numbers/],
    ['a parameter not a number', (d) => (d.digitTrain.network.parameters[3] = 'x'), /parameters\[3\] is "x", not a finite number/],
    ['an unknown layer', (d) => (d.digitTrain.network.layers[1] = { kind: 'maxout' }), /layers\[1\]\.kind "maxout" is not conv, pool, dropout or dense/],
    ['softmax inside', (d) => (d.digitTrain.network.layers[0].activation = 'softmax'), /layers\[0\]\.activation "softmax" is not one of/],
    ['a filter larger than the image', (d) => (d.digitTrain.network.layers[0].size = 7), /(a 7×7 filter does not fit|parameters must hold)/],
    ['no dense output', (d) => d.digitTrain.network.layers.pop(), /the last layer must be a dense output layer/],
    ['a bad input shape', (d) => (d.digitTrain.network.input = [1, 6]), /input must be \[channels, height, width\]/],
    ['a velocity of the wrong length', (d) => (d.digitTrain.velocity = [1, 2]), /digitTrain\.velocity must hold \d+ finite numbers/],
    ['a bad noise state', (d) => (d.digitTrain.progress.noiseState = -1), /noiseState is not a whole number/],
    ['an output that does not fit', (d) => (d.digitTrain.output = 'sigmoid'), /does not fit the output layer's softmax/],
  ];
  for (const [name, change, message] of broken) {
    it(`one ModelError naming the file: ${name}`, () => {
      let err: unknown;
      try {
        parseAnyModel(edited(change), 'm.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelError);
      expect((err as Error).message).toMatch(/^m\.json: /);
      expect((err as Error).message).toMatch(message);
    });
  }
});
