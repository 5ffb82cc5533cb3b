/**
 * train --elastic (elastic distortions of the training images, data/augment.ts) as a user runs
 * it: reproducible from the seed, recorded in the model file, resumed bit for bit (between
 * epochs; in the middle of one: test/train/elastic.test.ts), and refused in one line where it
 * does not apply.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeDataDir } from '../helpers.js';
import { run, readModel, runState, trainOk } from './run.js';

const read = readModel;

const train = trainOk;
const state = runState;

// 6×6 images: conv 3×3 → 4×4, pool 2 → 2×2
const SMALL = ['--layers', 'conv:3x3:tanh,pool:2,dense:6:relu', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.2', '--seed', '5'];

describe('train --elastic', () => {
  it('is recorded in the model, reproducible from the seed, changes the training, combines with --shift, and resumes bit for bit', () => {
    const data = ['--data', writeDataDir()];
    const opts = [...SMALL, '--elastic', '8,1.5', '--shift', '1', '--momentum', '0.5'];
    const dir = tempDir();
    const [whole, again, first, resumed, shiftOnly] = ['whole', 'again', 'first', 'resumed', 'shift'].map((n) => join(dir, `${n}.json`));
    train([...data, ...opts, '--epochs', '2', '--out', whole]);
    train([...data, ...opts, '--epochs', '2', '--out', again]);
    train([...data, ...opts, '--epochs', '1', '--out', first]);
    train([...data, '--resume', first, '--epochs', '1', '--out', resumed]);
    train([...data, ...SMALL, '--shift', '1', '--momentum', '0.5', '--epochs', '2', '--out', shiftOnly]);
    const a = read(whole);
    expect(a.digitTrain.options.elastic).toEqual({ alpha: 8, sigma: 1.5 });
    expect(a.digitTrain.options.shift).toBe(1);
    expect(read(again).digitTrain.network.parameters).toEqual(a.digitTrain.network.parameters);
    const b = read(resumed);
    expect(b.digitTrain.network.parameters).toEqual(a.digitTrain.network.parameters);
    expect(state(b)).toEqual(state(a));
    expect(read(first).digitTrain.network.parameters).not.toEqual(a.digitTrain.network.parameters);
    // the distortions did something: the same run without them trains another network
    expect(read(shiftOnly).digitTrain.network.parameters).not.toEqual(a.digitTrain.network.parameters);
    expect('elastic' in read(shiftOnly).digitTrain.options).toBe(false); // files without it stay as they were
  });

  it('--elastic alone is α 34, σ 4 (Simard et al.); α alone keeps σ 4; --elastic 0 on resume turns it off', () => {
    const data = ['--data', writeDataDir()];
    const dir = tempDir();
    const [alone, alpha, off, plain] = ['alone', 'alpha', 'off', 'plain'].map((n) => join(dir, `${n}.json`));
    train([...data, ...SMALL, '--elastic', '--epochs', '1', '--out', alone]);
    expect(read(alone).digitTrain.options.elastic).toEqual({ alpha: 34, sigma: 4 });
    train([...data, ...SMALL, '--elastic', '20', '--epochs', '1', '--out', alpha]);
    expect(read(alpha).digitTrain.options.elastic).toEqual({ alpha: 20, sigma: 4 });
    // α 0: no field is drawn, so the run is the one without --elastic, bit for bit
    train([...data, ...SMALL, '--elastic', '0', '--epochs', '1', '--out', off]);
    train([...data, ...SMALL, '--epochs', '1', '--out', plain]);
    expect(read(off).digitTrain.network.parameters).toEqual(read(plain).digitTrain.network.parameters);
    const next = join(dir, 'next.json');
    train([...data, '--resume', alone, '--elastic', '0', '--epochs', '1', '--out', next]);
    expect(read(next).digitTrain.options.elastic).toEqual({ alpha: 0, sigma: 4 });
  });

  it('one clear line and exit 2: an MLP, a bad value, a damaged value in a model file', () => {
    const data = writeDataDir();
    const dir = tempDir();
    const mlp = run(['--data', data, '--hidden', '5', '--elastic', '--epochs', '1', '--out', join(dir, 'm.json')]);
    expect(mlp.code).toBe(2);
    expect(mlp.stderr).toBe('digit-train: --elastic: elastic distortions are for layer-list networks; give --layers (e.g. --layers dense:100 for an MLP on that path)\n');
    for (const bad of ['-1', '34,0', '34,4,1', '']) {
      const r = run(['--data', data, ...SMALL, '--elastic', bad, '--epochs', '1', '--out', join(dir, 'x.json')]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toBe(`digit-train: --elastic: ${JSON.stringify(bad)} is not α or α,σ in pixels (α ≥ 0, σ from 0.1 to 100; e.g. 34 or 34,4)\n`);
    }
    const good = join(dir, 'c.json');
    train(['--data', data, ...SMALL, '--elastic', '--epochs', '1', '--out', good]);
    for (const [value, message] of [
      [{ alpha: -3, sigma: 4 }, 'digitTrain.options.elastic.alpha is -3, not a number ≥ 0'],
      [{ alpha: 34 }, 'digitTrain.options.elastic.sigma is missing'],
      [34, 'digitTrain.options.elastic is 34, not an object'],
    ] as const) {
      const doc = read(good);
      doc.digitTrain.options.elastic = value;
      const damaged = join(dir, 'damaged.json');
      writeFileSync(damaged, JSON.stringify(doc));
      const r = run(['--data', data, '--resume', damaged, '--epochs', '1', '--out', join(dir, 'y.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`digit-train: ${damaged}: ${message}\n`);
    }
  });
});
