/** The Trainer with elastic distortions (data/augment.ts): a run paused mid-epoch continues exactly. */
import { describe, expect, it } from 'vitest';
import { createLayered } from '../../src/nn/layered.js';
import { Random } from '../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer, type TrainProgress } from '../../src/train/train.js';
import { randomSet } from '../helpers.js';

describe('Trainer with elastic distortions', () => {
  it('a run stopped in the middle of an epoch and continued from its saved progress gives the uninterrupted run, bit for bit', () => {
    const set = randomSet(60, 8, 8, 10);
    const config = { input: { channels: 1, height: 8, width: 8 }, layers: [{ kind: 'conv', filters: 2, size: 3, activation: 'tanh' }, { kind: 'pool', size: 2 }, { kind: 'dropout', p: 0.2 }, { kind: 'dense', units: 10, activation: 'softmax' }], cost: 'cross-entropy' } as const;
    const options = { ...DEFAULT_TRAIN_OPTIONS, eta: 0.3, batch: 7 };
    const augment = { shift: 1, elastic: { alpha: 10, sigma: 2 } };
    const fresh = () => {
      const rng = new Random(8);
      return { net: createLayered({ ...config, layers: [...config.layers] }, rng), progress: newProgress(rng, options.eta) };
    };
    const whole = fresh();
    const t = new Trainer(whole.net, { train: set }, options, whole.progress, undefined, augment);
    t.runEpoch();
    t.runEpoch();

    const part = fresh();
    let batches = 0;
    new Trainer(part.net, { train: set }, options, part.progress, undefined, augment).runEpoch({ shouldStop: () => ++batches === 4 });
    expect(part.progress.batchInEpoch).toBe(4);
    const saved: TrainProgress = JSON.parse(JSON.stringify(part.progress));
    const params = Float64Array.from(part.net.params);
    const again = fresh();
    again.net.params.set(params);
    const t2 = new Trainer(again.net, { train: set }, options, saved, undefined, augment);
    t2.runEpoch();
    t2.runEpoch();
    expect(Array.from(again.net.params)).toEqual(Array.from(whole.net.params));

    // and the distortions are there: without them the same run ends elsewhere
    const plain = fresh();
    const t3 = new Trainer(plain.net, { train: set }, options, plain.progress, undefined, { shift: 1 });
    t3.runEpoch();
    t3.runEpoch();
    expect(Array.from(plain.net.params)).not.toEqual(Array.from(whole.net.params));
  });
});
