import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodePgm } from '../../src/data/image.js';
import { loadMnist } from '../../src/data/mnist.js';
import { saveModel } from '../../src/model/model.js';
import { createNetwork, type Network } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer } from '../../src/train/train.js';
import { tempDir } from '../helpers.js';
import { run } from './run.js';

const mnist = loadMnist({ trainSize: 5000 });

/** A 784-30-10 network after one epoch on 5,000 MNIST images (about 90 % right on the test set). */
const trained: Network = (() => {
  const rng = new Random(1);
  const net = createNetwork({ sizes: [784, 30, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'cross-entropy' }, rng, 'scaled');
  new Trainer(net, { train: mnist.train }, { ...DEFAULT_TRAIN_OPTIONS, eta: 0.5 }, newProgress(rng, 0.5)).runEpoch();
  return net;
})();

function saved(net: Network = trained): string {
  const path = join(tempDir(), 'm.json');
  saveModel(path, { net, meta: null });
  return path;
}

/** Test image e of MNIST: white on black, 28×28 bytes. */
const mnistImage = (e: number) => mnist.test.images.slice(e * 784, (e + 1) * 784);

/** Writes bytes (0 black … 255 white) as a grey PNG with pngjs. */
function writePng(path: string, grey: Uint8Array, width: number, height: number): void {
  const p = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) p.data.set([grey[i], grey[i], grey[i], 255], 4 * i);
  writeFileSync(path, PNG.sync.write(p, { colorType: 0 }));
}

/** The digit scaled up `k` times and placed in a larger frame, black on white (a drawing on paper). */
function onPaper(pixels: Uint8Array, k: number, margin: number): { bytes: Uint8Array; side: number } {
  const side = 28 * k + 2 * margin;
  const bytes = new Uint8Array(side * side).fill(255);
  for (let y = 0; y < 28 * k; y++) for (let x = 0; x < 28 * k; x++) bytes[(y + margin) * side + x + margin] = 255 - pixels[Math.floor(y / k) * 28 + Math.floor(x / k)];
  return { bytes, side };
}

describe('digit-train predict', () => {
  it('a PNG, an inverted PGM drawing and --index of the same digit agree', () => {
    const dir = tempDir();
    const model = saved();
    const e = 0; // a 7
    writePng(join(dir, 'seven.png'), mnistImage(e), 28, 28);
    const paper = onPaper(mnistImage(e), 3, 17);
    writeFileSync(join(dir, 'seven.pgm'), encodePgm(paper.bytes, paper.side, paper.side));

    const byIndex = run(['predict', model, '--index', String(e), '--json']);
    expect(byIndex.stderr).toBe('');
    expect(byIndex.code).toBe(0);
    const truth = JSON.parse(byIndex.stdout).predictions[0];
    expect(truth).toMatchObject({ source: 'MNIST test', index: 0, label: 7, predicted: 7 });

    const files = run(['predict', model, join(dir, 'seven.png'), '--json']);
    expect(files.code).toBe(0);
    const png = JSON.parse(files.stdout).predictions[0];
    expect(png.source).toBe(join(dir, 'seven.png'));
    expect(png.predicted).toBe(7);
    png.outputs.forEach((a: number, j: number) => expect(a).toBeCloseTo(truth.outputs[j], 2));

    const drawing = run(['predict', model, join(dir, 'seven.pgm'), '--invert', '--json']);
    expect(drawing.code).toBe(0);
    const [pgm] = JSON.parse(drawing.stdout).predictions;
    expect(pgm.predicted).toBe(7);
    pgm.outputs.forEach((a: number, j: number) => expect(a).toBeCloseTo(truth.outputs[j], 1));
    // the white-on-black PNG inverted has no ink lighter than its background: nothing drawn, and the hint
    const inverted = run(['predict', model, join(dir, 'seven.png'), '--invert']);
    expect(inverted.code).toBe(2);
    expect(inverted.stderr).toBe(`digit-train: ${join(dir, 'seven.png')}: nothing is drawn (no ink lighter than the background after --invert); without --invert there is a digit\n`);
  });

  it('text: the digit as the network sees it, 10 activation bars, the prediction', () => {
    const model = saved();
    const r = run(['predict', model, '--index', '0']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MNIST test #0: predicted 7 \(a = 0\.\d{3}\), true 7 ✓$/);
    expect(lines).toHaveLength(1 + 14);
    for (let j = 0; j < 10; j++) expect(lines[1 + j]).toMatch(new RegExp(`^[ ░▒▓█]{28} {3}${j} [01]\\.\\d{3}`));
    expect(lines[1 + 7]).toMatch(/← predicted$/);
    expect(lines.filter((l) => l.includes('←'))).toHaveLength(1);
  });

  it('refuses a blank or all-one-grey picture, and a dark-on-light one without --invert (with the hint), exit 2', () => {
    const dir = tempDir();
    const paper = onPaper(mnistImage(1), 2, 4);
    writeFileSync(join(dir, 'two.pgm'), encodePgm(paper.bytes, paper.side, paper.side));
    const r = run(['predict', saved(), join(dir, 'two.pgm')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`digit-train: ${join(dir, 'two.pgm')}: nothing is drawn (no ink lighter than the background); with --invert (a dark digit on a light background) there is one\n`);
    expect(r.stdout).toBe('');
    expect(run(['predict', saved(), join(dir, 'two.pgm'), '--invert']).code).toBe(0);
    // A white frame around a white-on-black digit: the frame looks like paper, a warning; the digit is still predicted.
    const framed = new Uint8Array(40 * 40).fill(255);
    for (let y = 0; y < 34; y++) for (let x = 0; x < 34; x++) framed[(y + 3) * 40 + x + 3] = 0;
    const two = mnistImage(1);
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) framed[(y + 6) * 40 + x + 6] = two[y * 28 + x];
    writeFileSync(join(dir, 'framed.pgm'), encodePgm(framed, 40, 40));
    const warned = run(['predict', saved(), join(dir, 'framed.pgm')]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(`digit-train: warning: ${join(dir, 'framed.pgm')}: the background looks light; for a dark digit on a light background use --invert\n`);
    expect(warned.stdout).toMatch(/framed\.pgm: predicted \d/);
    for (const [name, grey, extra] of [['blank.pgm', 0, []], ['grey.pgm', 128, ['--invert']], ['white.pgm', 255, ['--json']]] as const) {
      writeFileSync(join(dir, name), encodePgm(new Uint8Array(100).fill(grey), 10, 10));
      {
        const blank = run(['predict', saved(), join(dir, name), ...extra]);
        expect(blank.code).toBe(2);
        expect(blank.stdout).toBe('');
        expect(blank.stderr).toBe(`digit-train: ${join(dir, name)}: nothing is drawn (every pixel is the same grey), so there is no digit to predict\n`);
      }
    }
  });

  it('bad requests: exit 2 and one line', () => {
    const dir = tempDir();
    const model = saved();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const oblong = saved(createNetwork({ sizes: [30, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(1)));
    const cases: [string[], string][] = [
      [['predict', model], 'nothing to predict: give image files or --index N'],
      [['predict', model, join(dir, 'notes.txt'), '--index', '1'], 'give image files or --index N, not both'],
      [['predict', model, join(dir, 'notes.txt')], `${join(dir, 'notes.txt')}: not a PNG or PGM (P2/P5) image`],
      [['predict', model, join(dir, 'missing.png')], `${join(dir, 'missing.png')}: no such file`],
      [['predict', model, '--index', '10000'], '--index 10000: the set has 10000 images (0 to 9999)'],
      [['predict', model, '--index', '3', '--invert'], '--invert goes with image files, not with --index'],
      [['predict', oblong, join(dir, 'notes.txt')], `${oblong}: the model takes 30 inputs, not a square image (such as 784 = 28x28)`],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`digit-train: ${message}\n`);
      expect(r.stdout).toBe('');
    }
  });
});
