import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { num } from '../../src/ui/explain.js';
import { relativeError } from '../../src/nn/gradcheck.js';
import { tempDir, writeDataDir } from '../helpers.js';
import { run } from './run.js';

const product = (xs: { value: number }[]) => xs.reduce((p, f) => p * f.value, 1);

describe('digit-train explain as a user runs it', () => {
  it('the default: image 0 of the training split, the random network of seed 1 (snapshot)', async () => {
    const r = run(['explain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digit-train explain: image 0 of MNIST train\[0:50000\] \(label 5\)\n/);
    for (const l of r.stdout.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
    await expect(r.stdout).toMatchFileSnapshot('__snapshots__/explain-default.txt');
  });

  it('--chain: the 1-1-1-1 network of one neuron per layer (snapshot)', async () => {
    const r = run(['explain', '--chain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/one neuron per layer, 1-1-1-1/);
    await expect(r.stdout).toMatchFileSnapshot('__snapshots__/explain-chain.txt');
  });

  it('--json: the printed factors multiply to the engine’s gradient, the finite difference agrees, the text shows these numbers', () => {
    const r = run(['explain', '--json', '--digit', '3', '--split', 'test', '--seed', '7']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.example).toMatchObject({ set: 'MNIST test', index: 18, label: 3 });
    expect(e.source).toMatch(/digit-train --seed 7/);
    for (const p of [e.outputLayer.weight, e.outputLayer.bias]) {
      expect(product(p.factors)).toBe(p.engine);
      expect(p.product).toBe(p.engine);
      expect(relativeError(p.finiteDifference, p.engine)).toBeLessThan(1e-7);
    }
    expect(e.batch.indices).toEqual([18, 19, 20, 21, 22, 23, 24, 25, 26, 27]);
    expect(e.batch.averageError).toBeLessThan(1e-15);
    expect(e.step.eta).toBe(3);
    // the same run as text shows the same numbers
    const text = run(['explain', '--digit', '3', '--split', 'test', '--seed', '7']).stdout;
    expect(text).toContain(`= ${num(e.outputLayer.weight.product)}\n`);
    expect(text).toContain(`engine ${num(e.outputLayer.weight.engine, 6)}, finite difference ${num(e.outputLayer.weight.finiteDifference, 6)}`);
    expect(text).toContain(`C on this example          ${num(e.step.exampleCost.before)}`);
    // deterministic
    expect(run(['explain', '--json', '--digit', '3', '--split', 'test', '--seed', '7']).stdout).toBe(r.stdout);
  });

  it('--chain --json: the whole chain multiplies out to the engine’s ∂C/∂w of the first layer', () => {
    const r = run(['explain', '--chain', '5', '--seed', '3', '--json']);
    expect(r.code).toBe(0);
    const ch = JSON.parse(r.stdout);
    expect(ch.sizes).toEqual([1, 1, 1, 1, 1, 1]);
    expect(ch.first.factors).toHaveLength(2 * 5 + 1);
    expect(product(ch.first.factors)).toBe(ch.first.engine);
    expect(relativeError(ch.first.finiteDifference, ch.first.engine, 1e-8)).toBeLessThan(1e-5);
  });

  it('explains a saved model: its kind of output, its η and batch size', () => {
    const data = writeDataDir();
    const model = join(tempDir(), 'm.json');
    const t = run(['--data', data, '--epochs', '1', '--hidden', '8', '--output', 'softmax', '--cost', 'cross-entropy', '--batch', '5', '--eta', '0.5', '--out', model]);
    expect(t.code).toBe(0);
    const r = run(['explain', '--model', model, '--data', data, '--index', '7']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/network: 36-8-10 sigmoid\/softmax, cross-entropy cost\nweights: .*m\.json \(trained 1 epoch\)/);
    expect(r.stdout).toMatch(/Softmax is not element-wise/);
    expect(r.stdout).toMatch(/η = 0\.5:/);
    const e = JSON.parse(run(['explain', '--model', model, '--data', data, '--index', '7', '--json']).stdout);
    expect(e.outputLayer.elementwise).toBe(false);
    expect(e.batch.size).toBe(5);
    expect(e.step.eta).toBe(0.5);
    expect(relativeError(e.outputLayer.weight.finiteDifference, e.outputLayer.weight.engine)).toBeLessThan(1e-7);
    // --batch and --eta override the model's
    const o = JSON.parse(run(['explain', '--model', model, '--data', data, '--batch', '3', '--eta', '2', '--json']).stdout);
    expect([o.batch.size, o.step.eta]).toEqual([3, 2]);
  });

  it('bad input: one line naming the flag or file, exit code 2', () => {
    const data = writeDataDir();
    const model = join(tempDir(), 'small.json');
    expect(run(['--data', data, '--epochs', '1', '--hidden', '4', '--out', model]).code).toBe(0);
    const bad: [string[], RegExp][] = [
      [['--data', data, '--index', '120'], /^digit-train: --index 120: the set has 120 images \(0 to 119\)$/],
      [['--index', '1', '--digit', '2'], /^digit-train: --index and --digit both choose the example: give one of them$/],
      [['--data', data, '--digit', '12'], /^digit-train: --digit 12: no image of the train split has that label$/],
      [['--digit', 'seven'], /^digit-train: --digit: "seven" is not a whole number ≥ 0$/],
      [['--chain', '--model', model], /^digit-train: --chain: --model does not apply to the one-neuron chain$/],
      [['--chain', '13'], /^digit-train: --chain: "13" is more than 12 layers$/],
      [['--model', join(tempDir(), 'missing.json')], /^digit-train: .*missing\.json: /],
      [['--model', model, '--seed', '3'], /^digit-train: --seed: only for the random network; --model gives the weights$/],
      [['--model', model, '--hidden', '5'], /^digit-train: --hidden: only for the random network; --model gives the layer sizes$/],
      [['--model', model], /^digit-train: .*small\.json: the model takes 36 inputs, the images of MNIST train\[0:50000\] have 28x28 = 784 pixels \(it was trained on .*: give --data .*\)$/],
      [['--batch', '0'], /^digit-train: --batch: "0" is not a positive integer$/],
      [['--data', data, '--batch', '200'], /^digit-train: --batch 200 is larger than the train split \(120 images\)$/],
      [['--split', 'everything'], /^digit-train: --split: "everything" is not one of test, validation, train$/],
    ];
    for (const [args, message] of bad) {
      const r = run(['explain', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
