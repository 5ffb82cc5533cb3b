/** Shared test helpers: small synthetic data sets and temporary directories. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach } from 'vitest';
import { makeDigitSet, type DigitSet } from '../src/data/dataset.js';
import { encodeIdxImages, encodeIdxLabels } from '../src/data/idx.js';
import { FORMAT_VERSION, type ModelMeta } from '../src/model/model.js';
import { Random } from '../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress } from '../src/train/train.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'digit-train-test-'));
  dirs.push(d);
  return d;
}

/** count random images of rows×cols with about half the pixels 0, labels 0..classes−1. */
export function randomImages(count: number, rows: number, cols: number, classes: number, seed = 7): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Random(seed);
  const images = new Uint8Array(count * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = rng.next() < 0.5 ? 0 : 1 + Math.floor(rng.next() * 255);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = Math.floor(rng.next() * classes);
  return { images, labels };
}

export function randomSet(count: number, rows = 4, cols = 4, classes = 3, seed = 7): DigitSet {
  const { images, labels } = randomImages(count, rows, cols, classes, seed);
  return makeDigitSet('random', images, labels, rows, cols);
}

/** Writes a small dataset directory with the four standard IDX files (gzipped when asked). */
export function writeDataDir(opts: { train?: number; test?: number; rows?: number; cols?: number; gzip?: boolean } = {}): string {
  const { train = 120, test = 40, rows = 6, cols = 6, gzip = false } = opts;
  const dir = tempDir();
  const tr = randomImages(train, rows, cols, 10, 11);
  const te = randomImages(test, rows, cols, 10, 12);
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  put('train-images-idx3-ubyte', encodeIdxImages(tr.images, train, rows, cols));
  put('train-labels-idx1-ubyte', encodeIdxLabels(tr.labels));
  put('t10k-images-idx3-ubyte', encodeIdxImages(te.images, test, rows, cols));
  put('t10k-labels-idx1-ubyte', encodeIdxLabels(te.labels));
  return dir;
}

/** A complete digitTrain section for model files built in tests; `overrides` replace fields. */
export function sampleMeta(overrides: Partial<ModelMeta> = {}): ModelMeta {
  return {
    format: FORMAT_VERSION,
    activation: 'sigmoid',
    output: 'sigmoid',
    init: 'normal',
    seed: 1,
    options: DEFAULT_TRAIN_OPTIONS,
    dataset: { name: 'MNIST', trainSize: 50000 },
    progress: newProgress(new Random(overrides.seed ?? 1), 3),
    version: '0.0.0',
    created: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
