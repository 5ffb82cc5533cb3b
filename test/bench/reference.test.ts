import { describe, expect, it } from 'vitest';
import { compileReference, REFERENCE_SOURCE, runReferenceBinary } from '../../src/bench/reference.js';
import { subset } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer } from '../../src/train/train.js';
import { run } from '../cli/run.js';
import { tempDir } from '../helpers.js';

/** Our first-epoch test accuracy for 784-hidden-10 on the first `n` training images (the default recipe). */
function ours(hidden: number, n: number, seed: number): number {
  const data = loadMnist();
  const rng = new Random(seed);
  const net = createNetwork({ sizes: [784, hidden, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
  const trainer = new Trainer(net, { train: subset(data.train, 0, n), test: data.test }, { ...DEFAULT_TRAIN_OPTIONS }, newProgress(rng, 3));
  return trainer.runEpoch()!.test!.accuracy;
}

describe('the C reference (bench/reference.c)', () => {
  const dataDir = () => loadMnist().dir;

  it('f64: the same seed starts from the same network and trains to our accuracy', () => {
    const dir = tempDir();
    for (const [hidden, seed] of [[30, 1], [30, 2], [7, 3]]) {
      const bin = compileReference(REFERENCE_SOURCE, dir, hidden, 'f64');
      const [c] = runReferenceBinary(bin, dataDir(), 1, seed, 3000);
      expect(c.trainSeconds).toBeGreaterThan(0);
      expect(c.evalSeconds).toBeGreaterThan(0);
      // One epoch on 3,000 images: another seed or another initialisation order lands several
      // points away; the same arithmetic differs only in the last bits of exp.
      expect(Math.abs(c.accuracy - ours(hidden, 3000, seed))).toBeLessThanOrEqual(0.001);
    }
  });

  it('f32: the same network, trained in single precision, lands close by', () => {
    const bin = compileReference(REFERENCE_SOURCE, tempDir(), 30, 'f32');
    const [c] = runReferenceBinary(bin, dataDir(), 1, 1, 3000);
    expect(Math.abs(c.accuracy - ours(30, 3000, 1))).toBeLessThan(0.01);
  });

  it('bench --compare-reference without a C compiler: one line, exit 2', () => {
    const r = run(['bench', '--train-size', '100', '--compare-reference'], { env: { PATH: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('digit-train: --compare-reference: no C compiler found (`cc` is not on PATH): install one (Debian: apt-get install gcc) or leave out --compare-reference\n');
    expect(r.stdout).toBe('');
  });
});
