/**
 * train --layers (convolutional networks as layer lists) as a user runs it: the model file's
 * layered section, --resume bit for bit (dropout masks, momentum, mid-epoch Ctrl-C), --keep best,
 * eval / predict / info / gradcheck on conv models, and one clear line from the commands that do
 * not take them yet.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeDataDir } from '../helpers.js';
import { run, start, readModel, runState, trainOk } from './run.js';

const read = readModel;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const train = trainOk;
const state = runState;

// 6×6 images: conv 3×3 → 4×4, pool 2 → 2×2
const SMALL = ['--layers', 'conv:3x3:tanh,pool:2,dropout:0.3,dense:6:relu', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.2'];

describe('train --layers', () => {
  it('writes a layered model: no sizes/weights/biases, digitTrain.network with format, input, layers, parameters', () => {
    const dir = tempDir();
    const out = join(dir, 'c.json');
    train(['--data', writeDataDir(), ...SMALL, '--epochs', '1', '--out', out]);
    const doc = read(out);
    expect(doc.sizes).toBeUndefined();
    expect(doc.weights).toBeUndefined();
    expect(doc.cost).toBe('LogLikelihoodCost');
    const net = doc.digitTrain.network;
    expect(net.format).toBe(1);
    expect(net.input).toEqual([1, 6, 6]);
    expect(net.layers).toEqual([
      { kind: 'conv', filters: 3, size: 3, activation: 'tanh' },
      { kind: 'pool', size: 2 },
      { kind: 'dropout', p: 0.3 },
      { kind: 'dense', units: 6, activation: 'relu' },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ]);
    expect(net.parameters).toHaveLength(3 * 9 + 3 + 12 * 6 + 6 + 6 * 10 + 10);
    expect(typeof doc.digitTrain.progress.noiseState).toBe('number');
  });

  it('--init he starts every bias at 0 (the file says he); --init scaled does not', () => {
    const dir = tempDir();
    const data = ['--data', writeDataDir(), ...SMALL, '--eta', '1e-12', '--epochs', '1'];
    train([...data, '--init', 'he', '--out', join(dir, 'he.json')]);
    train([...data, '--init', 'scaled', '--out', join(dir, 's.json')]);
    const he = read(join(dir, 'he.json')).digitTrain;
    const scaled = read(join(dir, 's.json')).digitTrain;
    expect(he.init).toBe('he');
    // conv biases are parameters 27..29 (3 filters of 3×3 first); after one step of η 1e-12 they are still ~0
    const bias = (d: any) => d.network.parameters.slice(27, 30);
    expect(bias(he).every((b: number) => Math.abs(b) < 1e-9)).toBe(true);
    expect(bias(scaled).some((b: number) => Math.abs(b) > 0.05)).toBe(true);
  });

  it('an MLP (--hidden) file stays as before: no network section, no noise state', () => {
    const dir = tempDir();
    const out = join(dir, 'm.json');
    train(['--data', writeDataDir(), '--hidden', '5', '--epochs', '1', '--out', out]);
    const doc = read(out);
    expect(doc.sizes).toEqual([36, 5, 10]);
    expect(doc.digitTrain.network).toBeUndefined();
    expect('noiseState' in doc.digitTrain.progress).toBe(false);
    expect('shift' in doc.digitTrain.options).toBe(false);
  });

  it('--shift: random shifts each epoch, reproducible from the seed and resumed bit for bit; only with --layers', () => {
    const data = ['--data', writeDataDir()];
    const opts = [...SMALL, '--seed', '5', '--shift', '2'];
    const dir = tempDir();
    const [whole, first, resumed, again, plain] = ['whole', 'first', 'resumed', 'again', 'plain'].map((n) => join(dir, `${n}.json`));
    train([...data, ...opts, '--epochs', '2', '--out', whole]);
    train([...data, ...opts, '--epochs', '2', '--out', again]);
    train([...data, ...opts, '--epochs', '1', '--out', first]);
    train([...data, '--resume', first, '--epochs', '1', '--out', resumed]);
    train([...data, ...SMALL, '--seed', '5', '--epochs', '2', '--out', plain]);
    const a = read(whole);
    expect(a.digitTrain.options.shift).toBe(2);
    expect(read(again).digitTrain.network.parameters).toEqual(a.digitTrain.network.parameters);
    expect(state(read(resumed))).toEqual(state(a));
    expect(read(plain).digitTrain.network.parameters).not.toEqual(a.digitTrain.network.parameters);
    const mlp = run([...data, '--hidden', '5', '--shift', '1', '--epochs', '1', '--out', join(dir, 'm.json')]);
    expect(mlp.code).toBe(2);
    expect(mlp.stderr.trim()).toBe('digit-train: --shift 1: shifted images are for layer-list networks; give --layers (e.g. --layers dense:100 for an MLP on that path)');
  });

  it('--resume: 1 + 2 epochs = 3 epochs bit for bit, with dropout, momentum and L2', () => {
    const data = ['--data', writeDataDir()];
    const opts = [...SMALL, '--momentum', '0.8', '--lambda', '0.5', '--seed', '3', '--batch', '7'];
    const dir = tempDir();
    const [whole, first, resumed] = ['whole', 'first', 'resumed'].map((n) => join(dir, `${n}.json`));
    train([...data, ...opts, '--epochs', '3', '--out', whole]);
    train([...data, ...opts, '--epochs', '1', '--out', first]);
    train([...data, '--resume', first, '--epochs', '2', '--out', resumed]);
    const a = read(whole);
    const b = read(resumed);
    expect(b.digitTrain.network.parameters).toEqual(a.digitTrain.network.parameters);
    expect(state(b)).toEqual(state(a));
    expect(read(first).digitTrain.network.parameters).not.toEqual(a.digitTrain.network.parameters);
    // another seed trains another network (the dropout masks and the shuffle depend on it)
    const other = join(dir, 'other.json');
    train([...data, ...opts, '--seed', '4', '--epochs', '3', '--out', other]);
    expect(read(other).digitTrain.network.parameters).not.toEqual(a.digitTrain.network.parameters);
  });

  it('Ctrl-C mid-run checkpoints a conv model, and resuming gives the uninterrupted model', async () => {
    const dir = tempDir();
    const data = writeDataDir({ train: 6000, test: 50, rows: 12, cols: 12 });
    // 20 epochs: on the WebAssembly kernels one epoch of these 6,000 small images takes a fraction of a second
    const common = ['--data', data, '--layers', 'conv:4x5,pool:2,dropout:0.2', '--epochs', '20', '--seed', '2', '--momentum', '0.5', '--eta', '0.5'];
    const whole = run([...common, '--out', join(dir, 'whole.json')]);
    expect(whole.code).toBe(0);
    const ckpt = join(dir, 'ckpt.json');
    const p = await start([...common, '--out', ckpt]);
    await p.waitFor(/^epoch +1\/20/m, 60_000);
    await sleep(50); // into epoch 2
    p.child.kill('SIGINT');
    const { code } = await p.exit;
    expect(code).toBe(130);
    const line = p.stderr().trim();
    expect(line).toMatch(/^digit-train: interrupted by SIGINT .* resume with: digit-train --resume /);
    expect(read(ckpt).digitTrain.progress.epoch).toBeLessThan(20);
    const resumed = run(line.split('resume with: digit-train ')[1].split(' '));
    expect(resumed.code).toBe(0);
    expect(read(ckpt).digitTrain.network.parameters).toEqual(read(join(dir, 'whole.json')).digitTrain.network.parameters);
  }, 120_000);

  it('--keep best saves the best validation epoch; eval, predict and info read the conv model', () => {
    const dir = tempDir();
    const out = join(dir, 'best.json');
    // MNIST: its validation set is the last 10,000 training images
    train(['--layers', 'conv:2x5,pool:4,dense:10', '--output', 'softmax', '--cost', 'cross-entropy', '--train-size', '500', '--epochs', '3', '--eta', '0.3', '--keep', 'best', '--monitor', 'validation', '--out', out]);
    const doc = read(out);
    const history = doc.digitTrain.progress.history;
    const kept = doc.digitTrain.keptEpoch;
    const best = Math.max(...history.map((r: any) => r.validation.correct));
    expect(history[kept - 1].validation.correct).toBe(best);
    const ev = run(['eval', out, '--split', 'validation', '--json']);
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.stdout).correct).toBe(best); // the kept weights, evaluated again
    expect(JSON.parse(ev.stdout).layers).toHaveLength(4);

    const pr = run(['predict', out, '--index', '0', '--json']);
    expect(pr.code).toBe(0);
    const outputs = JSON.parse(pr.stdout).predictions[0].outputs;
    expect(outputs).toHaveLength(10);
    expect(outputs.reduce((s: number, v: number) => s + v, 0)).toBeCloseTo(1, 12); // softmax

    const info = run(['info', out]);
    expect(info.code).toBe(0);
    // 28×28 → conv 5×5: 2 × 24×24 → pool 4: 2 × 6×6 = 72 inputs of the dense layer
    expect(info.stdout).toMatch(/layers +conv:2x5:sigmoid,pool:4,dense:10:sigmoid,dense:10:softmax on 1×28×28 \(892 weights and biases\)/);
    expect(JSON.parse(run(['info', out, '--json']).stdout).parameters).toBe(2 * 25 + 2 + 72 * 10 + 10 + 110);
  }, 60_000);

  it('--init FILE starts from a conv model: its layers and weights, a new run (epoch 1, init "file")', () => {
    const data = writeDataDir();
    const dir = tempDir();
    const [start, next] = ['start', 'next'].map((n) => join(dir, `${n}.json`));
    train(['--data', data, ...SMALL, '--epochs', '1', '--out', start]);
    train(['--data', data, '--init', start, '--eta', '0.2', '--epochs', '1', '--seed', '1', '--out', next]);
    const a = read(start);
    const b = read(next);
    expect(b.digitTrain.network.layers).toEqual(a.digitTrain.network.layers);
    expect(b.digitTrain.init).toBe('file');
    expect(b.digitTrain.initFrom).toBe(start);
    expect(b.digitTrain.progress.epoch).toBe(1);
    // one epoch on from the file's weights: near them, not where a fresh random start would be
    const pa: number[] = a.digitTrain.network.parameters;
    const pb: number[] = b.digitTrain.network.parameters;
    expect(pb).not.toEqual(pa);
    const moved = Math.max(...pa.map((v, i) => Math.abs(v - pb[i])));
    expect(moved).toBeLessThan(1);
  });

  it('gradcheck checks a random layer list and a saved conv model', () => {
    const r = run(['gradcheck', '--layers', 'conv:2x5,pool:4,dropout:0.3,dense:5:tanh', '--output', 'softmax', '--cost', 'cross-entropy', '--params', '40', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pass).toBe(true);
    expect(j.errors.map((e: any) => e.kind)).toEqual(['conv', 'dense', 'dense']);
    expect(j.h).toBe(1e-5); // max-pool has kinks
    const dir = tempDir();
    const out = join(dir, 'c.json');
    train(['--data', writeDataDir(), ...SMALL, '--epochs', '1', '--out', out]);
    const g = run(['gradcheck', '--model', out, '--data', writeDataDir(), '--json']);
    expect(g.code).toBe(0);
    expect(JSON.parse(g.stdout).checked).toBe(3 * 9 + 3 + 12 * 6 + 6 + 6 * 10 + 10); // all: fewer than --params per layer
  });

  it('one clear line and exit 2: --layers with --hidden, a bad list, a filter too large, and the commands that do not take conv models yet', () => {
    const data = writeDataDir();
    const both = run(['--data', data, '--layers', 'conv:2x3', '--hidden', '30']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('digit-train: --layers and --hidden both describe the network: give one (--hidden for an MLP, --layers for a layer list)');
    for (const [list, message] of [
      ['conv:2x', /--layers: "conv:2x" needs FxK/],
      ['pool:0', /--layers: "pool:0" needs a pool size from 1 to 64/],
      ['dropout:1', /--layers: "dropout:1" needs a probability in \[0, 1\)/],
      ['dense:5:softmax', /--layers: "dense:5:softmax" has activation "softmax", not one of sigmoid, tanh, relu/],
      ['maxout:3', /--layers: "maxout:3" is not a layer/],
      ['conv:2x7', /--layers: layer 1: a 7×7 filter does not fit its 6×6 input/],
    ] as const) {
      const r = run(['--data', data, '--layers', list, '--epochs', '1']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    const dir = tempDir();
    const out = join(dir, 'c.json');
    train(['--data', data, ...SMALL, '--epochs', '1', '--out', out]);
    for (const [args, message] of [
      [['--layers', 'conv:2x3'], /^digit-train: --layers: the layers come from --init .*c\.json: give one of the two$/],
      [['--activation', 'tanh'], /^digit-train: --activation: the layers and their activations come from --init .*c\.json \(layers conv:3x3:tanh,/],
    ] as const) {
      const r = run(['--data', data, '--init', out, ...args, '--epochs', '1', '--out', join(dir, 'x.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
    }
    const resumeLayers = run(['--data', data, '--resume', out, '--layers', 'conv:2x3', '--out', join(dir, 'y.json')]);
    expect(resumeLayers.code).toBe(2);
    expect(resumeLayers.stderr).toMatch(/--layers: the layers come from --resume/);
  });
});

describe('train --threads and --eta-decay', () => {
  it('--threads 1 and --threads 2 train the same conv network bit for bit (auto too)', () => {
    const dir = tempDir();
    const data = writeDataDir();
    const docs = ['1', '2', 'auto'].map((t) => {
      const out = join(dir, `t${t}.json`);
      train(['--data', data, ...SMALL, '--layers', 'conv:4x3:relu,pool:2,conv:3x2:relu,dense:6:relu', '--epochs', '2', '--momentum', '0.5', '--threads', t, '--out', out]);
      return state(read(out));
    });
    expect(docs[1]).toEqual(docs[0]);
    expect(docs[2]).toEqual(docs[0]);
  });

  it('--threads 1, 2 and auto train the same wide MLP bit for bit (momentum and L2: every split pass)', () => {
    const dir = tempDir();
    const data = writeDataDir();
    const docs = ['1', '2', 'auto'].map((t) => {
      const out = join(dir, `h${t}.json`);
      train(['--data', data, '--hidden', '515', '--epochs', '2', '--batch', '12', '--momentum', '0.5', '--lambda', '1', '--threads', t, '--out', out]);
      return state(read(out));
    });
    expect(docs[1]).toEqual(docs[0]);
    expect(docs[2]).toEqual(docs[0]);
  });

  it('--threads 2 for a network without conv layers or a wide first layer: one line, exit 2', () => {
    const r = run(['--data', writeDataDir(), '--hidden', '5', '--threads', '2', '--out', join(tempDir(), 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--threads 2: .*conv layers .* 512 units or more; this network has neither/);
    expect(run(['--data', writeDataDir(), '--threads', '3']).stderr).toMatch(/--threads.*auto, 1 or 2/);
  });

  it('--eta-decay 0.5 halves η after every epoch, is recorded, and --resume carries it on', () => {
    const dir = tempDir();
    const data = writeDataDir();
    const out = join(dir, 'd.json');
    train(['--data', data, ...SMALL, '--epochs', '3', '--eta-decay', '0.5', '--out', out]);
    const doc = read(out);
    expect(doc.digitTrain.progress.history.map((h: any) => h.eta)).toEqual([0.2, 0.1, 0.05]);
    expect(doc.digitTrain.options.etaDecay).toBe(0.5);
    train(['--resume', out, '--data', data, '--epochs', '1', '--out', join(dir, 'd2.json')]);
    expect(read(join(dir, 'd2.json')).digitTrain.progress.history.map((h: any) => h.eta)).toEqual([0.2, 0.1, 0.05, 0.025]);
    // without it nothing is recorded (files stay as before)
    train(['--data', data, ...SMALL, '--epochs', '1', '--out', join(dir, 'n.json')]);
    expect(read(join(dir, 'n.json')).digitTrain.options.etaDecay).toBeUndefined();
    expect(run(['--data', data, '--eta-decay', '0']).stderr).toMatch(/--eta-decay.*\(0, 1\]/);
  });
});
