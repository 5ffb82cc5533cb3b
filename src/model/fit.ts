/**
 * Does a model fit a data set? Its input layer must take one value per pixel, and its output
 * layer must have a neuron for every label. A model that passes `parseModel` can still fail
 * here (a network trained on other images); the error names the model file, in one line.
 */
import { resolve } from 'node:path';
import { MAX_INPUT_PIXELS, type DigitSet } from '../data/dataset.js';
import type { Mnist } from '../data/mnist.js';
import type { Network } from '../nn/network.js';
import type { LayeredNetwork } from '../nn/layered.js';
import { inputCount, outputCount } from '../nn/layered-data.js';
import { ModelError, type AnyModel } from './model.js';

/** A model that does not fit the data: it carries the dataset the model was trained on, when
 *  that differs from the data given (the CLI turns it into a hint about --data). */
export class ModelFitError extends ModelError {
  override name = 'ModelFitError';
  constructor(
    file: string,
    problem: string,
    /** "MNIST" or the directory the model records, when it is not the data given. */
    readonly trainedOn?: string,
  ) {
    super(file, problem);
  }
}

/**
 * Throws ModelFitError naming `file` unless the model takes the images of `set` and has an output
 * for each of `classes` labels. When the model records another dataset than `dataName` (the
 * absolute directory, or "MNIST"), the message says which.
 */
export function checkModelFits(model: AnyModel | { net: Network | LayeredNetwork; meta: null }, file: string, set: Pick<DigitSet, 'rows' | 'cols' | 'inputSize' | 'name'>, classes: number, dataName?: string): void {
  const { net, meta } = model;
  const inputs = inputCount(net);
  if (inputs !== set.inputSize) {
    const other = meta && dataName !== undefined && meta.dataset.name !== dataName ? meta.dataset.name : undefined;
    throw new ModelFitError(file, `the model takes ${inputs} inputs, the images of ${set.name} have ${set.rows}x${set.cols} = ${set.inputSize} pixels`, other);
  }
  const outputs = outputCount(net);
  if (outputs < classes) {
    throw new ModelError(file, `the model has ${outputs} outputs, the labels of the data go up to ${classes - 1}`);
  }
}

/** The side of the square images a model takes (28 for 784 inputs); throws ModelError when its input count is not a square. */
export function imageSide(net: Network | LayeredNetwork, file: string): number {
  const n = inputCount(net);
  if (n > MAX_INPUT_PIXELS) throw new ModelError(file, `the model takes ${n} inputs, more than the ${MAX_INPUT_PIXELS} pixels (256x256) an image may have`);
  const side = Math.round(Math.sqrt(n));
  if (side * side !== n) throw new ModelError(file, `the model takes ${n} inputs, not a square image (such as 784 = 28x28)`);
  return side;
}

/** The dataset's name as model files record it: "MNIST", or the absolute directory. */
export function datasetName(data: Pick<Mnist, 'name' | 'dir'>): string {
  return data.name === 'MNIST' ? 'MNIST' : resolve(data.dir);
}
