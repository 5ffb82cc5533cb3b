/**
 * Does a model fit a data set? Its input layer must take one value per pixel, and its output
 * layer must have a neuron for every label. A model that passes `parseModel` can still fail
 * here (a network trained on other images); the error names the model file, in one line.
 */
import type { DigitSet } from '../data/dataset.js';
import type { Network } from '../nn/network.js';
import { ModelError } from './model.js';

/** Throws ModelError naming `file` unless `net` takes the images of `set` and has an output for each of `classes` labels. */
export function checkModelFits(net: Network, file: string, set: Pick<DigitSet, 'rows' | 'cols' | 'inputSize' | 'name'>, classes: number): void {
  const inputs = net.sizes[0];
  if (inputs !== set.inputSize) {
    throw new ModelError(file, `the model takes ${inputs} inputs, the images of ${set.name} have ${set.rows}x${set.cols} = ${set.inputSize} pixels`);
  }
  const outputs = net.sizes[net.sizes.length - 1];
  if (outputs < classes) {
    throw new ModelError(file, `the model has ${outputs} outputs, the labels of the data go up to ${classes - 1}`);
  }
}

/** The side of the square images a model takes (28 for 784 inputs); throws ModelError when its input count is not a square. */
export function imageSide(net: Network, file: string): number {
  const n = net.sizes[0];
  const side = Math.round(Math.sqrt(n));
  if (side * side !== n) throw new ModelError(file, `the model takes ${n} inputs, not a square image (such as 784 = 28x28)`);
  return side;
}
