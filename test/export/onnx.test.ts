/**
 * ONNX export, checked by a real consumer: ONNX Runtime (onnxruntime-node, CPU) runs the
 * exported file on all 10,000 MNIST test images, and must give the digit our engine predicts
 * for every image and outputs within 1e-5 of ours (our forward pass in float64, ONNX's in
 * float32 with float32 parameters).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import type { DigitSet } from '../../src/data/dataset.js';
import { checkExportable, networkToOnnx, ONNX_IR_VERSION, ONNX_OPSET, saveOnnx, UnsupportedExportError } from '../../src/export/onnx.js';
import { train } from '../report/fixtures.js';
import { loadModel } from '../../src/model/model.js';
import { predictSet } from '../../src/nn/metrics.js';
import { createNetwork, type Network } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { run } from '../cli/run.js';
import { tempDir } from '../helpers.js';

let test: DigitSet;
let pixels: Float32Array;
beforeAll(() => {
  test = loadMnist({}).test;
  pixels = Float32Array.from(test.images, (v) => v / 255);
});

async function runOnnx(file: string, x: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
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

/** Largest |ONNX − ours| over all outputs, and how many images get our digit and the right one. */
function compare(theirs: Float32Array, ours: { predicted: Uint8Array; outputs: Float64Array }) {
  let maxDiff = 0;
  let sameDigit = 0;
  let correct = 0;
  for (let e = 0; e < test.count; e++) {
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
    const conv = { ...net(), layers: [{ kind: 'conv', filters: 8 }, { kind: 'dense' }] } as unknown as Network;
    expect(() => networkToOnnx(conv)).toThrow(UnsupportedExportError);
    try {
      checkExportable(conv);
    } catch (err) {
      expect(err).toMatchObject({ what: 'layers of kind "conv"', layer: 0, exitCode: 2 });
    }
    const dense = { ...net(), layers: [{ kind: 'dense' }, { kind: 'dense' }] } as unknown as Network;
    expect(() => checkExportable(dense)).not.toThrow();
    const odd = { ...net(), output: 'maxout' } as unknown as Network;
    expect(() => networkToOnnx(odd)).toThrow(/output activation "maxout"/);
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
