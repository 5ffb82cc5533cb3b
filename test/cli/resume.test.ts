import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeDataDir } from '../helpers.js';
import { run } from './run.js';

/** Runs the CLI and insists that it succeeded. */
function train(args: string[]): void {
  const r = run([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The parts of a saved run that must not depend on whether it was interrupted (no clocks). */
function state(doc: any) {
  const { progress, velocity, seed, options, dataset } = doc.digitTrain;
  const { epochTrainSeconds: _t, history, ...rest } = progress;
  return {
    sizes: doc.sizes,
    weights: doc.weights,
    biases: doc.biases,
    velocity,
    seed,
    options,
    dataset,
    progress: rest,
    history: history.map(({ trainSeconds: _a, evalSeconds: _b, ...r }: any) => r),
  };
}

/**
 * k epochs, then --resume for m more, must give the model of k + m epochs in one go, bit for
 * bit: JSON numbers are the shortest text of each Float64, so equal text is equal bits.
 */
function resumeEquals(data: string[], options: string[], k: number, m: number) {
  const dir = tempDir();
  const whole = join(dir, 'whole.json');
  const first = join(dir, 'first.json');
  const resumed = join(dir, 'resumed.json');
  train([...data, ...options, '--epochs', String(k + m), '--out', whole]);
  train([...data, ...options, '--epochs', String(k), '--out', first]);
  train([...data, '--resume', first, '--epochs', String(m), '--out', resumed]);
  const a = read(whole);
  const b = read(resumed);
  expect(b.digitTrain.progress.epoch).toBe(k + m);
  // weights first, for the clearest message when they differ
  expect(b.weights).toEqual(a.weights);
  expect(b.biases).toEqual(a.biases);
  expect(state(b)).toEqual(state(a));
  // and the first part really is a different model (the comparison above can fail)
  expect(read(first).weights).not.toEqual(a.weights);
  return a;
}

describe('train --resume: k epochs + m resumed epochs = k + m epochs, bit for bit', () => {
  it('plain SGD with shuffling (1 + 2 = 3 epochs)', () => {
    resumeEquals(['--data', writeDataDir()], ['--seed', '5', '--hidden', '7', '--batch', '7'], 1, 2);
  });

  it('with L2, momentum (its velocity is saved) and cross-entropy (2 + 1 = 3 epochs)', () => {
    resumeEquals(['--data', writeDataDir()], ['--seed', '6', '--hidden', '9,5', '--lambda', '0.5', '--momentum', '0.9', '--eta', '0.5', '--cost', 'cross-entropy'], 2, 1);
  });

  it('a model file written before every resumed option was recorded in `options` (seed, monitor, keep, trainSize elsewhere) resumes the same', () => {
    const data = ['--data', writeDataDir()];
    const options = ['--seed', '5', '--hidden', '7', '--batch', '7', '--monitor', 'train,test', '--train-size', '100'];
    const dir = tempDir();
    const whole = join(dir, 'whole.json');
    const first = join(dir, 'first.json');
    const resumed = join(dir, 'resumed.json');
    train([...data, ...options, '--epochs', '2', '--out', whole]);
    train([...data, ...options, '--epochs', '1', '--out', first]);
    const doc = read(first);
    for (const key of ['seed', 'monitor', 'keep', 'trainSize']) {
      expect(doc.digitTrain.options).toHaveProperty(key);
      delete doc.digitTrain.options[key];
    }
    writeFileSync(first, JSON.stringify(doc));
    train([...data, '--resume', first, '--epochs', '1', '--out', resumed]);
    const b = read(resumed);
    expect(b.weights).toEqual(read(whole).weights);
    expect(b.digitTrain.options).toEqual(read(whole).digitTrain.options);
  });

  it('on MNIST with a validation set and an η schedule that halves η before the resume (2 + 1 = 3 epochs)', () => {
    const a = resumeEquals([], ['--train-size', '600', '--seed', '4', '--monitor', 'validation', '--eta-patience', '1', '--eta', '20'], 2, 1);
    // epoch 2 was no better than epoch 1, so epoch 3 ran with η halved: the schedule's state was resumed
    expect(a.digitTrain.progress.history.map((r: any) => r.eta)).toEqual([20, 20, 10]);
  });

  it('the options that would change the network are refused with --resume, not ignored', () => {
    const data = ['--data', writeDataDir()];
    const dir = tempDir();
    const first = join(dir, 'first.json');
    train([...data, '--hidden', '7', '--epochs', '1', '--out', first]);
    for (const [flag, value] of [['--hidden', '50'], ['--activation', 'tanh'], ['--output', 'softmax'], ['--cost', 'cross-entropy'], ['--init', 'scaled']]) {
      const r = run([...data, '--resume', first, flag, value, '--epochs', '1', '--out', join(dir, 'next.json')]);
      expect(r.code, flag).toBe(2);
      expect(r.stderr.trim()).toMatch(new RegExp(`^digit-train: ${flag}: the network comes from --resume .*first\\.json \\(36-7-10\\); to change it, start a new run with --init`));
    }
  });
});
