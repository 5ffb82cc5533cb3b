import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { num, signed } from '../../src/ui/explain.js';
import { gatherImage } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { explainLayered } from '../../src/explain/layered.js';
import { loadAnyModel } from '../../src/model/model.js';
import { backpropLayered, createLayered, createLayeredWorkspace, feedforwardLayered, type LayeredNetwork } from '../../src/nn/layered.js';
import { Random } from '../../src/nn/random.js';
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

describe('digit-train explain on a layer-list (conv) model', () => {
  it('a saved conv model: the --json numbers are the engine’s (backpropLayered run here), the text prints them, lines fit 80 columns', () => {
    const data = writeDataDir({ rows: 12, cols: 12 });
    const model = join(tempDir(), 'c.json');
    const t = run(['--data', data, '--layers', 'conv:3x3,pool:2,dropout:0.2,dense:8', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.5', '--epochs', '1', '--out', model]);
    expect(t.code).toBe(0);
    const r = run(['explain', '--model', model, '--data', data, '--index', '5', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ kind: 'layered', split: 'train', example: { index: 5 }, network: { layers: 'conv:3x3:sigmoid,pool:2,dropout:0.2,dense:8:sigmoid,dense:10:softmax', cost: 'cross-entropy' } });
    expect(e.source).toMatch(/c\.json \(trained 1 epoch\)$/);
    // the engine on its own, here: dropout the identity (masks of ones), one image
    const net = loadAnyModel(model).net as LayeredNetwork;
    const set = loadMnist({ dir: data }).train;
    const ws = createLayeredWorkspace(net, 1);
    for (const m of ws.mask) m.fill(1);
    gatherImage(set, 5, ws.a[0], 0);
    ws.y[0] = set.labels[5];
    feedforwardLayered(net, ws, 1, 'replay');
    const cost = backpropLayered(net, ws, 1);
    expect(e.example.cost).toBe(cost);
    const u = e.unit;
    expect(u.conv).toBe(0);
    expect(u.pool.index).toBe(1);
    expect(u.above.index).toBe(3); // the dense layer, past the dropout
    expect(u.dropouts).toEqual([2]);
    const unit = (u.f * 10 + u.i) * 10 + u.j; // the conv output is 3×10×10
    expect(u.engineDelta).toBe(ws.g[1][unit]);
    expect(relativeError(product(u.factors), ws.g[1][unit], 1e-15)).toBeLessThan(1e-12);
    expect(u.weight.index).toBe(((u.f * 1 + u.weight.c) * 3 + u.weight.p) * 3 + u.weight.q);
    expect(u.weight.sum.engine).toBe(ws.grad[u.weight.index]);
    expect(relativeError(u.weight.sum.sum, ws.grad[u.weight.index], 1e-15)).toBeLessThan(1e-12);
    expect(relativeError(u.weight.finiteDifference, ws.grad[u.weight.index], 1e-12)).toBeLessThan(1e-6);
    expect(u.bias.engine).toBe(ws.grad[27 + u.f]);
    expect(relativeError(u.bias.finiteDifference, u.bias.engine, 1e-12)).toBeLessThan(1e-6);
    expect(e.outputs.map((o: { a: number }) => o.a)).toEqual(Array.from(ws.a[5]));

    // the text: the same numbers
    const text = run(['explain', '--model', model, '--data', data, '--index', '5']);
    expect(text.code).toBe(0);
    const out = text.stdout;
    for (const l of out.split('\n').slice(1)) expect(l.length, l).toBeLessThanOrEqual(80); // (the title names the temporary data directory)
    const f = u.f;
    expect(out).toContain(`Layer 1, conv:3x3:sigmoid: 1×12×12 → 3×10×10, 30 parameters`);
    expect(out).toContain(`z_${f}(${u.i},${u.j}) = b_${f} + Σ_c,p,q`);
    expect(out).toContain(`a'_${f}(${u.pool.I},${u.pool.J}) = max = ${num(u.pool.value)}`);
    expect(out).toContain(`sum = ∂C/∂a'_${f}(${u.pool.I},${u.pool.J}) = ${signed(u.above.upstream.sum)}`);
    expect(out).toContain(`δ_${f}(${u.i},${u.j}) = ∂C/∂z_${f}(${u.i},${u.j}) = ${signed(u.delta)}   (the engine's δ: ${signed(u.engineDelta)})`);
    expect(out).toContain(`sum = ∂C/∂${u.weight.name} = ${signed(u.weight.sum.sum)}\n`);
    expect(out).toContain(`engine ${num(u.weight.sum.engine, 6)}, finite difference ${num(u.weight.finiteDifference, 6)}\n`);
    expect(out).toContain(`∂C/∂b_${f} = Σ_(i,j) δ_${f}(i,j) = ${signed(u.bias.sum)}`);
    expect(out).toContain(`engine ${num(u.bias.engine, 6)}, finite difference ${num(u.bias.finiteDifference, 6)}\n`);
    expect(out).toContain(`Predicted ${e.example.predicted} (the largest a), cost C = ${num(cost)}.`);
    // the same options, the same numbers
    expect(run(['explain', '--model', model, '--data', data, '--index', '5', '--json']).stdout).toBe(r.stdout);
  });

  it('--layers: the random layer list `digit-train --seed S --layers …` starts from (sigmoid, quadratic, N(0, 1))', () => {
    const r = run(['explain', '--layers', 'conv:3x5,pool:2', '--seed', '4', '--digit', '7', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.source).toBe('random, untrained: the start of `digit-train --seed 4 --layers conv:3x5,pool:2`');
    const set = loadMnist({}).train;
    const net = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers: [{ kind: 'conv', filters: 3, size: 5, activation: 'sigmoid' }, { kind: 'pool', size: 2 }, { kind: 'dense', units: 10, activation: 'sigmoid' }], cost: 'quadratic' }, new Random(4), 'normal');
    const { source, split, ...rest } = e;
    void source;
    expect(split).toBe('train');
    expect(rest).toEqual(JSON.parse(JSON.stringify(explainLayered(net, { set, index: e.example.index }))));
    expect(set.labels[e.example.index]).toBe(7);
    const text = run(['explain', '--layers', 'conv:3x5,pool:2']).stdout;
    for (const l of text.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(text).toMatch(/^digit-train explain: image 0 of MNIST train\[0:50000\] \(label 5\)\nnetwork: layers conv:3x5:sigmoid,pool:2,dense:10:sigmoid\n/);
    expect(text).toMatch(/\n1\. What each layer makes of the digit\n/);
    expect(text).toMatch(/\n2\. The chain rule through one conv unit that wins its pool window\n/);
  });

  it('bad input for layer lists: one line naming the flag, exit code 2', () => {
    const data = writeDataDir({ rows: 12, cols: 12 });
    const model = join(tempDir(), 'c.json');
    expect(run(['--data', data, '--layers', 'conv:2x3,pool:2', '--epochs', '1', '--out', model]).code).toBe(0);
    const bad: [string[], RegExp][] = [
      [['--layers', 'conv:3x5', '--hidden', '10'], /^digit-train: --layers and --hidden both describe the random network: give one$/],
      [['--model', model, '--data', data, '--layers', 'conv:3x5'], /^digit-train: --layers: only for the random network; --model gives the layers$/],
      [['--model', model, '--data', data, '--batch', '4'], /^digit-train: --batch: a layer-list explanation has no mini-batch or SGD step \(steps 5 and 6 are the MLP's\)$/],
      [['--layers', 'conv:3x5', '--eta', '1'], /^digit-train: --eta: a layer-list explanation has no mini-batch or SGD step/],
      [['--layers', 'conv:3x40'], /^digit-train: --layers: layer 1: a 40×40 filter does not fit its 28×28 input \(the images are 28x28\)$/],
      [['--layers', 'maxout:3'], /^digit-train: --layers: "maxout:3" is not a layer/],
      [['--chain', '--layers', 'conv:3x5'], /^digit-train: --chain: --layers does not apply to the one-neuron chain$/],
      [['--model', model, '--data', data, '--index', '500'], /^digit-train: --index 500: the set has 120 images \(0 to 119\)$/],
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
