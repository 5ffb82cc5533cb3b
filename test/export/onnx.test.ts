/**
 * ONNX export, checked by a real consumer: ONNX Runtime (onnxruntime-node, CPU) runs the
 * exported file on real MNIST test images (all 10,000 for the MLPs and the CLI's conv model,
 * the first 1,000 for the other layer lists), and must give the digit our engine predicts for
 * every image and outputs within 1e-5 of ours (our forward pass in float64, ONNX's in float32
 * with float32 parameters).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { subset, type DigitSet } from '../../src/data/dataset.js';
import { checkExportable, networkToOnnx, ONNX_IR_VERSION, ONNX_OPSET, saveOnnx, UnsupportedExportError } from '../../src/export/onnx.js';
import { train } from '../report/fixtures.js';
import { loadAnyModel, loadModel } from '../../src/model/model.js';
import { predictSet } from '../../src/nn/metrics.js';
import { createNetwork, type Network } from '../../src/nn/network.js';
import { backpropLayered, cloneLayered, createLayered, createLayeredWorkspace, feedforwardLayered, sgdStepLayered, type LayeredNetwork, type LayerSpec } from '../../src/nn/layered.js';
import { evaluateSet, gatherLayered } from '../../src/nn/layered-data.js';
import { Random } from '../../src/nn/random.js';
import { run } from '../cli/run.js';
import { tempDir, writeDataDir } from '../helpers.js';

let test: DigitSet;
let trainSet: DigitSet;
let pixels: Float32Array;
beforeAll(() => {
  const mnist = loadMnist({ trainSize: 2000 });
  test = mnist.test;
  trainSet = mnist.train;
  pixels = Float32Array.from(test.images, (v) => v / 255);
});

async function runOnnx(file: string | Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file as string);
  expect(session.inputNames).toEqual(['image']);
  expect(session.outputNames).toEqual(['output']);
  const result = await session.run({ image: new ort.Tensor('float32', x, [n, 784]) });
  expect(result.output.dims).toEqual([n, 10]);
  return result.output.data as Float32Array;
}

const argmax = (a: ArrayLike<number>, at: number, n: number) => {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[at + j] > a[at + best]) best = j;
  return best;
};

/** Largest |ONNX − ours| over all outputs, and how many images (of the first `count`) get our digit and the right one. */
function compare(theirs: Float32Array, ours: { predicted: Uint8Array; outputs: Float64Array }, count = test.count) {
  let maxDiff = 0;
  let sameDigit = 0;
  let correct = 0;
  for (let e = 0; e < count; e++) {
    for (let j = 0; j < 10; j++) maxDiff = Math.max(maxDiff, Math.abs(theirs[e * 10 + j] - ours.outputs[e * 10 + j]));
    const digit = argmax(theirs, e * 10, 10);
    if (digit === ours.predicted[e]) sameDigit++;
    if (digit === test.labels[e]) correct++;
  }
  return { maxDiff, sameDigit, correct };
}

describe('digit-train export, run by ONNX Runtime', () => {
  it('sigmoid/sigmoid from the CLI: the same digit for all 10,000 test images, outputs within 1e-5 of ours and of eval --json', async () => {
    const dir = tempDir();
    const model = join(dir, 'model.json');
    const onnxFile = join(dir, 'model.onnx');
    expect(run(['--epochs', '1', '--out', model], { cwd: dir }).code).toBe(0);
    const exported = run(['export', model, onnxFile], { cwd: dir });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(`ONNX IR version ${ONNX_IR_VERSION}, opset ${ONNX_OPSET}`);
    expect(exported.stdout).toContain('input "image" float32 [N, 784]');
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'model.onnx']); // no temporary file left

    const theirs = await runOnnx(onnxFile, pixels, test.count);
    const { maxDiff, sameDigit, correct } = compare(theirs, predictSet(loadModel(model).net, test));
    expect(sameDigit).toBe(test.count);
    expect(maxDiff).toBeLessThan(1e-5);

    // eval --json: the same number correct, and its most confident mistakes' outputs.
    const ev = run(['eval', model, '--json', '--show', '20'], { cwd: dir });
    expect(ev.code).toBe(0);
    const report = JSON.parse(ev.stdout) as { correct: number; worst: { index: number; outputs: number[] }[] };
    expect(correct).toBe(report.correct);
    expect(report.worst.length).toBe(20);
    for (const w of report.worst) for (let j = 0; j < 10; j++) expect(Math.abs(theirs[w.index * 10 + j] - w.outputs[j])).toBeLessThan(1e-5);

    // One image at a time (N = 1) gives the same numbers as the batch.
    const one = await runOnnx(onnxFile, pixels.subarray(784 * 7, 784 * 8), 1);
    expect(Array.from(one)).toEqual(Array.from(theirs.subarray(70, 80)));
  });

  it.each([
    { name: 'tanh ×2 hidden layers, softmax output', hidden: [40, 20], activation: 'tanh' as const },
    { name: 'relu hidden, softmax output', hidden: [30], activation: 'relu' as const },
  ])('$name (trained in-process): the same digit for all 10,000 test images, outputs within 1e-5', async ({ hidden, activation }) => {
    const model = train(loadMnist({ trainSize: 5000 }), { hidden, activation, output: 'softmax', cost: 'cross-entropy', epochs: 1, options: { eta: 0.1 } });
    const file = join(tempDir(), 'm.onnx');
    saveOnnx(file, model.net);
    const ours = predictSet(model.net, test);
    const { maxDiff, sameDigit, correct } = compare(await runOnnx(file, pixels, test.count), ours);
    expect(sameDigit).toBe(test.count);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(correct / test.count).toBeGreaterThan(0.8); // a trained network, so the digits mean something
    let sum = 0;
    for (let j = 0; j < 10; j++) sum += ours.outputs[j];
    expect(sum).toBeCloseTo(1, 12); // softmax
  });
});

const conv = (filters: number, size: number, activation: 'sigmoid' | 'tanh' | 'relu'): LayerSpec => ({ kind: 'conv', filters, size, activation });
const pool = (size: number): LayerSpec => ({ kind: 'pool', size });
const dropout = (p: number): LayerSpec => ({ kind: 'dropout', p });
const dense = (units: number, activation: 'sigmoid' | 'tanh' | 'relu' | 'softmax'): LayerSpec => ({ kind: 'dense', units, activation });

/** A layer list on 28×28 digits, trained one epoch of mini-batches of 10 on the first `steps`·10 training images (dropout masks drawn while training). */
function trainedLayered(layers: LayerSpec[], cost: 'quadratic' | 'cross-entropy', steps: number, eta: number, init: 'normal' | 'scaled' = 'scaled', seed = 4): LayeredNetwork {
  const rng = new Random(seed);
  const net = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers, cost }, rng, init);
  const ws = createLayeredWorkspace(net, 10);
  for (let s = 0; s < steps; s++) {
    gatherLayered(trainSet, null, s * 10, 10, ws);
    feedforwardLayered(net, ws, 10, rng);
    backpropLayered(net, ws, 10);
    sgdStepLayered(net, ws, { eta, lambda: 0, n: trainSet.count, momentum: 0 });
  }
  return net;
}

/** Our engine's outputs (evaluateLayered: dropout the identity) and predictions on the first n test images. */
function oursOn(net: LayeredNetwork, n: number): { predicted: Uint8Array; outputs: Float64Array } {
  const predicted = new Uint8Array(n);
  const outputs = new Float64Array(n * 10);
  evaluateSet(net, createLayeredWorkspace(net, 100), subset(test, 0, n), { predicted, outputs });
  return { predicted, outputs };
}

/** The largest differences measured, printed at the end (for the README and the report). */
const measured: Record<string, number> = {};

describe('layer lists (conv models), run by ONNX Runtime', () => {
  const N = 500;
  const STEPS = 80;
  /** Each case trained for STEPS mini-batches of 10 (so its weights are no longer i.i.d.); `accuracy`: what it must reach on the N images. */
  const cases: { name: string; layers: LayerSpec[]; cost: 'quadratic' | 'cross-entropy'; eta: number; init?: 'normal'; accuracy?: number }[] = [
    { name: 'one conv-pool (sigmoid), softmax', layers: [conv(6, 5, 'sigmoid'), pool(2), dense(10, 'softmax')], cost: 'cross-entropy', eta: 0.5, accuracy: 0.2 },
    { name: 'two conv-pool (relu), softmax', layers: [conv(4, 5, 'relu'), pool(2), conv(6, 3, 'relu'), pool(2), dense(10, 'softmax')], cost: 'cross-entropy', eta: 0.05, accuracy: 0.4 },
    { name: 'conv-pool (tanh), dropout, dense tanh, dropout, sigmoid output', layers: [conv(4, 5, 'tanh'), pool(2), dropout(0.3), dense(20, 'tanh'), dropout(0.2), dense(10, 'sigmoid')], cost: 'cross-entropy', eta: 0.1 },
    { name: 'a pool window that does not divide its input (25 → 8), dense relu, quadratic sigmoid', layers: [conv(3, 4, 'relu'), pool(3), dense(16, 'relu'), dense(10, 'sigmoid')], cost: 'quadratic', eta: 0.5, accuracy: 0.2 },
    { name: 'pool first, then conv (sigmoid), dense sigmoid, N(0, 1) weights', layers: [pool(2), conv(5, 3, 'sigmoid'), dense(12, 'sigmoid'), dense(10, 'softmax')], cost: 'cross-entropy', eta: 0.1, init: 'normal' },
    { name: 'dense only (a layer list without conv), relu, dropout', layers: [dense(20, 'relu'), dropout(0.5), dense(10, 'softmax')], cost: 'cross-entropy', eta: 0.1, accuracy: 0.4 },
  ];
  const nets = new Map<string, LayeredNetwork>();
  const netOf = (c: (typeof cases)[number]) => {
    if (!nets.has(c.name)) nets.set(c.name, trainedLayered(c.layers, c.cost, STEPS, c.eta, c.init));
    return nets.get(c.name)!;
  };
  for (const c of cases) {
    it(`${c.name}: the same digit for the first ${N} test images, outputs within 1e-5 of evaluateLayered's`, async () => {
      const net = netOf(c);
      const ours = oursOn(net, N);
      const { maxDiff, sameDigit, correct } = compare(await runOnnx(networkToOnnx(net), pixels.subarray(0, N * 784), N), ours, N);
      measured[c.name] = maxDiff;
      expect(sameDigit).toBe(N);
      expect(maxDiff).toBeLessThan(1e-5);
      // the outputs differ from image to image (a constant network would agree trivially)
      let spread = 0;
      for (let j = 0; j < 10; j++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let e = 0; e < N; e++) {
          lo = Math.min(lo, ours.outputs[e * 10 + j]);
          hi = Math.max(hi, ours.outputs[e * 10 + j]);
        }
        spread = Math.max(spread, hi - lo);
      }
      expect(spread).toBeGreaterThan(0.05);
      if (c.accuracy !== undefined) expect(correct / N).toBeGreaterThan(c.accuracy);
    });
  }

  it('a broken layout fails the comparison: kernels transposed (p ↔ q), the flattening order NHWC instead of NCHW', async () => {
    const net = netOf(cases[0]); // conv:6x5, pool:2, dense:10
    const ours = oursOn(net, N);
    const x = pixels.subarray(0, N * 784);
    // what an export that wrote w[f][c][q][p] would compute
    const transposed = cloneLayered(net);
    const k = 5;
    for (let f = 0; f < 6; f++) for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) transposed.W[0][(f * k + p) * k + q] = net.W[0][(f * k + q) * k + p];
    // what an export that flattened [i][j][c] would compute: dense input k = (i·12 + j)·6 + c read where [c][i][j] is
    const nhwc = cloneLayered(net);
    for (let c = 0; c < 6; c++)
      for (let i = 0; i < 12; i++)
        for (let j = 0; j < 12; j++)
          for (let o = 0; o < 10; o++) nhwc.W[2][((c * 12 + i) * 12 + j) * 10 + o] = net.W[2][((i * 12 + j) * 6 + c) * 10 + o];
    for (const broken of [transposed, nhwc]) {
      const { maxDiff } = compare(await runOnnx(networkToOnnx(broken), x, N), ours, N);
      expect(maxDiff).toBeGreaterThan(1e-2); // a thousand times the tolerance
    }
  });

  it(`from the CLI: train --layers, export, ONNX Runtime on the first ${N} test images`, async () => {
    const dir = tempDir();
    const model = join(dir, 'conv.json');
    const onnxFile = join(dir, 'conv.onnx');
    // trained on 28×28 random images (fast); run on real digits below
    const data = writeDataDir({ train: 100, test: 20, rows: 28, cols: 28 });
    const t = run(['--data', data, '--layers', 'conv:4x5,pool:2,dropout:0.2', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.3', '--epochs', '1', '--out', model], { cwd: dir });
    expect(t.code).toBe(0);
    const exported = run(['export', model, onnxFile], { cwd: dir });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('input "image" float32 [N, 784] (pixels / 255), output "output" float32 [N, 10] (softmax probabilities); layers conv:4x5:sigmoid,pool:2,dropout:0.2,dense:10:softmax from');
    expect(readdirSync(dir).sort()).toEqual(['conv.json', 'conv.onnx']);
    const { maxDiff, sameDigit } = compare(await runOnnx(onnxFile, pixels.subarray(0, N * 784), N), predictSet(loadAnyModel(model).net, subset(test, 0, N)), N);
    measured['CLI conv:4x5,pool:2,dropout:0.2'] = maxDiff;
    expect(sameDigit).toBe(N);
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('the graph: Reshape, Conv, activation, MaxPool, Flatten, Gemm, the output; no Dropout; W[f][c][p][q] as [F, C, k, k]', () => {
    const net = createLayered({ input: { channels: 1, height: 28, width: 28 }, layers: [conv(3, 5, 'relu'), pool(2), conv(2, 3, 'tanh'), dropout(0.5), dense(7, 'sigmoid'), dense(10, 'softmax')], cost: 'cross-entropy' }, new Random(2));
    const graph = onnxProto.onnx.ModelProto.decode(networkToOnnx(net)).graph!;
    expect(graph.node!.map((x) => x.opType)).toEqual(['Reshape', 'Conv', 'Relu', 'MaxPool', 'Conv', 'Tanh', 'Flatten', 'Gemm', 'Sigmoid', 'Gemm', 'Softmax']);
    const tensor = (name: string) => graph.initializer!.find((x) => x.name === name)!;
    expect(tensor('W3').dims!.map(Number)).toEqual([2, 3, 3, 3]); // the second conv: 2 filters over 3 channels
    const f = new Float32Array(Uint8Array.from(tensor('W3').rawData!).buffer);
    const at = ((1 * 3 + 2) * 3 + 0) * 3 + 1; // w_1,2(0,1)
    expect(f[at]).toBe(Math.fround(net.W[2][at]));
    expect(tensor('W5').dims!.map(Number)).toEqual([2 * 10 * 10, 7]);
  });

  afterAll(() => console.log(`largest |ONNX Runtime − ours|: ${JSON.stringify(measured)}`));
});

describe('the ONNX file', () => {
  const net = (): Network => createNetwork({ sizes: [784, 5, 10], activation: 'relu', output: 'softmax', cost: 'cross-entropy' }, new Random(3), 'scaled');

  it('states its IR version, opset, producer, and stores float32 parameters as W[l] input-major [n_in, n_out]', () => {
    const n = net();
    const m = onnxProto.onnx.ModelProto.decode(networkToOnnx(n, { producerVersion: '9.9.9' }));
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    expect([m.producerName, m.producerVersion]).toEqual(['digit-train', '9.9.9']);
    const graph = m.graph!;
    expect(graph.node!.map((x) => x.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Softmax']);
    const w0 = graph.initializer!.find((t) => t.name === 'W0')!;
    expect(w0.dims!.map(Number)).toEqual([784, 5]);
    const f = new Float32Array(Uint8Array.from(w0.rawData!).buffer);
    expect(f[3 * 5 + 2]).toBe(Math.fround(n.W[0][3 * 5 + 2]));
  });

  it('is refused with a typed error for a layer kind the export does not cover', () => {
    const withConv = { ...net(), layers: [{ kind: 'conv', filters: 8 }, { kind: 'dense' }] } as unknown as Network;
    expect(() => networkToOnnx(withConv)).toThrow(UnsupportedExportError);
    try {
      checkExportable(withConv);
    } catch (err) {
      expect(err).toMatchObject({ what: 'layers of kind "conv"', layer: 0, exitCode: 2 });
    }
    const allDense = { ...net(), layers: [{ kind: 'dense' }, { kind: 'dense' }] } as unknown as Network;
    expect(() => checkExportable(allDense)).not.toThrow();
    const odd = { ...net(), output: 'maxout' } as unknown as Network;
    expect(() => networkToOnnx(odd)).toThrow(/output activation "maxout"/);
    // a layer list: its layers' activations are checked, and its block's size
    const layered = () => createLayered({ input: { channels: 1, height: 8, width: 8 }, layers: [conv(2, 3, 'relu'), pool(2), dense(10, 'softmax')], cost: 'cross-entropy' }, new Random(1));
    expect(() => checkExportable(layered())).not.toThrow();
    const maxout = layered();
    (maxout.layers[0] as { activation: string }).activation = 'maxout';
    expect(() => checkExportable(maxout)).toThrow(expect.objectContaining({ what: 'the hidden activation "maxout"', layer: 1 }));
    const short = layered();
    short.params = short.params.subarray(1);
    expect(() => networkToOnnx(short)).toThrow(UnsupportedExportError);
  });
});

describe('digit-train export: bad input', () => {
  it('is one line and exit 2 for a missing model or an unwritable OUT, and leaves no file', () => {
    const dir = tempDir();
    const missing = run(['export', join(dir, 'nope.json'), join(dir, 'x.onnx')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^digit-train: .*nope\.json/);
    const model = join(dir, 'm.json');
    expect(run(['--epochs', '1', '--train-size', '1000', '--out', model]).code).toBe(0);
    const bad = run(['export', model, join(dir, 'no-such-dir', 'x.onnx')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^digit-train: OUT .*does not exist\n$/);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    expect(readFileSync(model, 'utf8').length).toBeGreaterThan(0);
  });
});
