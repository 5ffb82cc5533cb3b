/** Small trained models for the report tests: trained in-process in well under a second. */
import type { DigitSet } from '../../src/data/dataset.js';
import { loadMnist, type Mnist } from '../../src/data/mnist.js';
import { FORMAT_VERSION, type Model, type ModelMeta } from '../../src/model/model.js';
import type { Activation, Cost, OutputActivation } from '../../src/nn/functions.js';
import { createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer, type TrainOptions } from '../../src/train/train.js';

export interface Trained {
  model: Model;
  data: Mnist;
}

/** Trains a network on `data` for `epochs` and returns it with a complete ModelMeta. */
export function train(
  data: { train: DigitSet; test: DigitSet; validation: DigitSet | null; name: string; dir: string },
  opts: { hidden?: number[]; epochs?: number; activation?: Activation; output?: OutputActivation; cost?: Cost; options?: Partial<TrainOptions> } = {},
): Model {
  const { hidden = [16], epochs = 3, activation = 'sigmoid', output = 'sigmoid', cost = 'cross-entropy' } = opts;
  const rng = new Random(5);
  const classes = 10;
  const net = createNetwork({ sizes: [data.train.inputSize, ...hidden, classes], activation, output, cost }, rng, 'scaled');
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, eta: 0.5, ...opts.options };
  const progress = newProgress(rng, options.eta);
  const trainer = new Trainer(net, { train: data.train, test: data.test, validation: data.validation }, options, progress);
  for (let e = 0; e < epochs; e++) trainer.runEpoch();
  const meta: ModelMeta = {
    format: FORMAT_VERSION,
    activation,
    output,
    init: 'scaled',
    seed: 5,
    options,
    dataset: { name: data.name === 'MNIST' ? 'MNIST' : data.dir, trainSize: data.train.count },
    progress,
    version: '0.0.0-test',
    created: '2026-01-02T03:04:05.678Z',
  };
  return { net, meta };
}

let mnist: Trained | null = null;

/** 784-16-10 trained 3 epochs on 1,000 MNIST images, monitoring train, validation and test. */
export function mnistModel(): Trained {
  if (!mnist) {
    const data = loadMnist({ trainSize: 1000 });
    mnist = { data, model: train(data, { options: { trainAccuracy: true } }) };
  }
  return mnist;
}
