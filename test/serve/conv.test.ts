/**
 * `digit-train serve CONV.json`: a layer-list (conv) model on the pad, probed with real HTTP
 * requests. The answers are checked against the CLI's own (`predict` on the same picture, `eval`
 * and `train --layers` with the same settings), the feature maps against a convolution and a
 * max-pool written out here from the model file's parameters.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAnyModel } from '../../src/model/model.js';
import { run } from '../cli/run.js';
import { CONV_LAYERS, drawnOne, http, pngDataUrl, post, startServe, trainedConvModel, type Served } from './serve-helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const ONE = pngDataUrl(drawnOne(), 280, 280);

let dir: string;
let model: string;
let data: string;
let remove: () => void;
let s: Served;

beforeAll(async () => {
  ({ dir, model, data, remove } = trainedConvModel());
  s = await startServe([model, '--data', data, '--train-size', '300', '--out', join(dir, 'trained.json')], dir);
}, 60_000);
afterAll(async () => {
  if (s && s.running.child.exitCode === null) await s.stop();
  remove?.();
});

async function waitForState(port: number, states: string[], timeoutMs = 60_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const st = (await http(port, { path: '/api/train' })).json();
    if (states.includes(st.state)) return st;
    if (Date.now() - t0 > timeoutMs) throw new Error(`training still ${st.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The conv filters' parameters of the model file (3 filters of 5×5 over one channel, then 3 biases). */
function filters() {
  const p = loadAnyModel(model).net.params;
  return { w: (f: number, i: number, j: number) => p[f * 25 + i * 5 + j], b: (f: number) => p[75 + f] };
}

describe('digit-train serve with a conv model', () => {
  it('describes the model: its layer list, and the first conv layer\'s filters as 5×5 pictures', async () => {
    const m = (await http(s.port, { path: '/api/model' })).json();
    expect(m).toMatchObject({ kind: 'layered', layers: `${CONV_LAYERS},dense:10:softmax`, output: 'softmax', cost: 'cross-entropy', side: 28, parameters: loadAnyModel(model).net.params.length });
    expect(m.sizes).toBeUndefined();
    expect(m.weightShape).toEqual({ height: 5, width: 5, unit: 'filter', units: 3 });
    expect(m.weights).toHaveLength(3);
    const { w } = filters();
    for (let f = 0; f < 3; f++) {
      let max = 0;
      for (let k = 0; k < 25; k++) max = Math.max(max, Math.abs(w(f, Math.floor(k / 5), k % 5)));
      expect(m.weights[f]).toEqual(Array.from({ length: 25 }, (_, k) => Math.round((127 * w(f, Math.floor(k / 5), k % 5)) / max)));
    }
    expect(s.running.stdout()).toContain(`digit-train serve: ${model} on`);
  });

  it('predict answers as `digit-train predict` on the same picture, with the conv and pool feature maps', async () => {
    const r = (await post(s.port, '/api/predict', { image: ONE })).json();
    const png = join(dir, 'one.png');
    writeFileSync(png, Buffer.from(ONE.split(',')[1], 'base64'));
    const cli = run(['predict', model, png, '--json']);
    expect(cli.stderr).toBe('');
    const p = JSON.parse(cli.stdout).predictions[0];
    expect(r.predicted).toBe(p.predicted);
    expect(r.outputs).toEqual(p.outputs);
    expect(r.outputs).toHaveLength(10);
    // The feature maps: relu(w ∗ x + b), 3 × 24×24, then the max over 2×2 windows, 3 × 12×12.
    expect(r.shapes).toEqual([
      { name: 'conv:3x5:relu', channels: 3, height: 24, width: 24 },
      { name: 'pool:2', channels: 3, height: 12, width: 12 },
    ]);
    const x = (i: number, j: number) => r.pixels[i * 28 + j] / 255;
    const { w, b } = filters();
    const conv = (f: number, i: number, j: number) => {
      let z = b(f);
      for (let p = 0; p < 5; p++) for (let q = 0; q < 5; q++) z += w(f, p, q) * x(i + p, j + q);
      return Math.max(0, z);
    };
    let lit = 0;
    for (let f = 0; f < 3; f++) {
      for (let i = 0; i < 24; i++) {
        for (let j = 0; j < 24; j++) {
          expect(r.hidden[0][f * 576 + i * 24 + j]).toBeCloseTo(conv(f, i, j), 12);
          if (r.hidden[0][f * 576 + i * 24 + j] > 0) lit++;
        }
      }
      for (let i = 0; i < 12; i++) {
        for (let j = 0; j < 12; j++) {
          const window = [0, 1].flatMap((di) => [0, 1].map((dj) => r.hidden[0][f * 576 + (2 * i + di) * 24 + 2 * j + dj]));
          expect(r.hidden[1][f * 144 + i * 12 + j]).toBe(Math.max(...window));
        }
      }
    }
    expect(lit).toBeGreaterThan(0); // the drawing lights some of the maps
  });

  it('teach takes one step on a copy (the outputs after are the pad\'s next answer); explain\'s account is left out; save writes a conv model', async () => {
    const before = sha(model);
    const p = (await post(s.port, '/api/predict', { image: ONE })).json();
    const wrong = p.predicted === 7 ? 4 : 7;
    const t = await post(s.port, '/api/teach', { image: ONE, label: wrong });
    expect(t.status).toBe(200);
    const lesson = t.json();
    expect(lesson.explanation).toBeNull();
    expect(lesson.delta).toEqual([]);
    expect(lesson.before.outputs).toEqual(p.outputs);
    expect(lesson.after.outputs[wrong]).toBeGreaterThan(lesson.before.outputs[wrong]); // a log-likelihood step on the drawing raises its label's a
    expect(lesson.shapes).toHaveLength(2);
    const r2 = (await post(s.port, '/api/predict', { image: ONE })).json();
    expect(r2.outputs).toEqual(lesson.after.outputs);
    expect(sha(model)).toBe(before);
    const saved = (await post(s.port, '/api/save', { name: 'taught-conv.json' })).json();
    const taught = loadAnyModel(saved.saved);
    expect('kind' in taught.net && taught.net.kind).toBe('layered');
    // The saved network answers as the pad does.
    const png = join(dir, 'one.png');
    const cli = JSON.parse(run(['predict', saved.saved, png, '--json']).stdout).predictions[0];
    expect(cli.outputs).toEqual(lesson.after.outputs);
    await post(s.port, '/api/reset', {});
    expect((await post(s.port, '/api/predict', { image: ONE })).json().outputs).toEqual(p.outputs);
  });

  it('refuses a layer list that is no network, or both hidden and layers, naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ layers: 'conv:3x30', epochs: 1, eta: 0.1, batch: 10 }, /^layers: layer 1: .*\(the images are 28x28\)$/],
      [{ layers: 'bogus:3', epochs: 1, eta: 0.1, batch: 10 }, /^layers: "bogus:3" is not a layer; expected/],
      [{ layers: 7, epochs: 1, eta: 0.1, batch: 10 }, /^layers: expected a layer list/],
      [{ layers: 'conv:3x5', hidden: [30], epochs: 1, eta: 0.1, batch: 10 }, /^hidden, layers: give one/],
      [{ layers: 'conv:4000x5,dense:2000', epochs: 1, eta: 0.1, batch: 10 }, /^layers: \d+ parameters; at most 5000000 from the page$/],
      [{ layers: 'conv:1000x1,pool:4', epochs: 1, eta: 0.1, batch: 100 }, /^layers, batch: 83301000 activations in a mini-batch of 100; at most 20000000 from the page/],
    ];
    for (const [body, message] of cases) {
      const r = await post(s.port, '/api/train', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json().error).toMatch(message);
    }
    expect((await http(s.port, { path: '/api/train' })).json().state).toBe('idle');
  });

  it('trains a layer list from the page as `digit-train --layers L --output softmax --cost cross-entropy` does, bit for bit', async () => {
    const started = await post(s.port, '/api/train', { layers: 'conv:2x5,pool:2', epochs: 1, eta: 0.1, batch: 10 });
    expect(started.status).toBe(202);
    expect(started.json().request).toEqual({ layers: 'conv:2x5,pool:2', epochs: 1, eta: 0.1, batch: 10, seed: 1 });
    expect(started.json().weightShape).toEqual({ height: 5, width: 5, unit: 'filter', units: 2 });
    const done = await waitForState(s.port, ['done', 'failed']);
    expect(done.message).toMatch(/^done: 1 epochs; saved .*trained\.json$/);
    const out = join(dir, 'trained.json');
    const cli = run(['--layers', 'conv:2x5,pool:2', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.1', '--batch', '10', '--epochs', '1', '--data', data, '--train-size', '300', '--seed', '1', '--out', join(dir, 'cli.json'), '--json'], { cwd: dir });
    expect(cli.code).toBe(0);
    expect(Array.from(loadAnyModel(out).net.params)).toEqual(Array.from(loadAnyModel(join(dir, 'cli.json')).net.params));
    // Its epoch's test score (computed in chunks, between answers) is the CLI's (in one go).
    const epoch = cli.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === 'epoch');
    expect(done.epochs).toEqual([{ epoch: 1, cost: epoch.trainCost, accuracy: epoch.test.accuracy }]);
    expect(loadAnyModel(out).meta!.progress.history[0].test).toMatchObject({ correct: epoch.test.correct, count: 1200 }); // 3 chunks of at most 500
    expect(loadAnyModel(out).meta!.progress.history[0].test!.cost).toBeCloseTo(epoch.test.cost, 12);
    // Draw with it.
    const used = (await post(s.port, '/api/train/use', {})).json();
    expect(used).toMatchObject({ kind: 'layered', layers: 'conv:2x5:sigmoid,pool:2,dense:10:softmax', source: 'trained here (1 epochs)' });
    const png = join(dir, 'one.png');
    const predicted = (await post(s.port, '/api/predict', { image: ONE })).json();
    expect(predicted.outputs).toEqual(JSON.parse(run(['predict', out, png, '--json']).stdout).predictions[0].outputs);
  }, 60_000);
});
