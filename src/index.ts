/** The library: everything the CLI uses, for programmatic use and tests. It never prints or exits. */
export { UserError } from './errors.js';
export * from './data/idx.js';
export * from './data/dataset.js';
export * from './data/mnist.js';
export * from './nn/functions.js';
export * from './nn/network.js';
export * from './nn/random.js';
export * from './nn/workspace.js';
export * from './nn/backprop.js';
export * from './nn/kernels.js';
export * from './nn/train.js';
export * from './model/model.js';
export * from './nn/gradcheck.js';
export * from './nn/metrics.js';
export * from './data/image.js';
export * from './model/fit.js';
export * from './report/html.js';
export * from './nn/explain.js';
