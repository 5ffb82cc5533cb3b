import { describe, expect, it } from 'vitest';
import { createNetwork, type Network } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer, type TrainOptions } from '../../src/nn/train.js';
import { randomSet } from '../helpers.js';

/** Trains 3 epochs (pausing mid-epoch every 7 mini-batches) and returns the parameters and test scores. */
async function train(threads: number, options: Partial<TrainOptions>, hidden: number[], activation: Network['activation']) {
  const set = randomSet(400, 8, 8, 10, 21);
  const rng = new Random(2);
  const net = createNetwork({ sizes: [64, ...hidden, 10], activation, output: activation === 'relu' ? 'softmax' : 'sigmoid', cost: 'cross-entropy' }, rng, 'scaled');
  const t = new Trainer(net, { train: set, test: set }, { ...DEFAULT_TRAIN_OPTIONS, eta: 0.3, batch: 10, threads, ...options }, newProgress(rng, options.eta ?? 0.3));
  const scores: number[] = [];
  try {
    for (let e = 0; e < 3; e++) {
      let n = 0;
      let r = null;
      while (!(r = t.runEpoch({ shouldStop: () => ++n % 7 === 0 })));
      scores.push(r.test!.correct);
    }
  } finally {
    await t.close();
  }
  return { params: Float64Array.from(net.params), scores };
}

describe('two threads (first layer split with a worker)', () => {
  const cases: [string, Partial<TrainOptions>, number[], Network['activation']][] = [
    ['sigmoid, plain SGD', {}, [30], 'sigmoid'],
    ['relu/softmax with momentum and L2, two hidden layers', { momentum: 0.9, lambda: 5 }, [25, 12], 'relu'],
    ['tanh, an odd split (37 units)', { batch: 7 } as Partial<TrainOptions>, [37], 'tanh'],
  ];
  for (const [name, options, hidden, activation] of cases) {
    it(`gives the same model bit for bit as one thread: ${name}`, async () => {
      const one = await train(1, options, hidden, activation);
      const two = await train(2, options, hidden, activation);
      expect(two.scores).toEqual(one.scores);
      expect(Buffer.from(two.params.buffer).equals(Buffer.from(one.params.buffer))).toBe(true);
      expect(one.scores[2]).toBeGreaterThan(0);
    });
  }
});
