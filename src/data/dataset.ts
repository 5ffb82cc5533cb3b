import { DataShapeError, LimitError } from '../errors.js';

/**
 * A set of labelled images as the engine reads it: the raw bytes (no float copy of the set),
 * plus, per image, the list of its non-zero pixels (81 % of MNIST pixels are exactly 0, and
 * the first layer skips them).
 */
export interface DigitSet {
  /** e.g. "MNIST train[0:50000]" */
  name: string;
  count: number;
  rows: number;
  cols: number;
  /** rows · cols */
  inputSize: number;
  /** pixels 0..255, image after image (count · inputSize bytes). */
  images: Uint8Array;
  labels: Uint8Array;
  /** Image e's non-zero pixels are nzIndex[nzStart[e] … nzStart[e+1]). count + 1 entries. */
  nzStart: Int32Array;
  /** Pixel positions (0 … inputSize−1) of the non-zero pixels, image after image. */
  nzIndex: Uint16Array;
  /** Their values (1..255), beside nzIndex, so a mini-batch is gathered from two sequential
   *  lists instead of scattered reads of the images (9 MB for MNIST's 60,000). */
  nzValue: Uint8Array;
}

/** The most pixels an image may have: the sparse first layer indexes them with 16 bits. */
export const MAX_INPUT_PIXELS = 65536;

/** PIXEL[v] = v / 255: a byte scaled to [0, 1], exactly as the division gives it. */
export const PIXEL: Float64Array = Float64Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Lists the non-zero pixels of every image: two passes (count, then fill), each skipping four
 * zero bytes at a time where the images are 4-byte aligned.
 */
export function indexNonZero(images: Uint8Array, count: number, inputSize: number): { nzStart: Int32Array; nzIndex: Uint16Array; nzValue: Uint8Array } {
  if (inputSize > MAX_INPUT_PIXELS) throw new LimitError('pixels', inputSize, MAX_INPUT_PIXELS, 'the pixels of an image');
  const nzStart = new Int32Array(count + 1);
  const words = images.byteOffset % 4 === 0 && inputSize % 4 === 0 ? new Uint32Array(images.buffer, images.byteOffset, images.length >> 2) : null;
  let nnz = 0;
  if (words) {
    for (let w = 0; w < words.length; w++) {
      const v = words[w];
      if (v !== 0) nnz += +((v & 0xff) !== 0) + +((v & 0xff00) !== 0) + +((v & 0xff0000) !== 0) + +((v >>> 24) !== 0);
    }
  } else {
    for (let i = 0; i < images.length; i++) if (images[i] !== 0) nnz++;
  }
  const nzIndex = new Uint16Array(nnz);
  const nzValue = new Uint8Array(nnz);
  let q = 0;
  for (let e = 0; e < count; e++) {
    nzStart[e] = q;
    const base = e * inputSize;
    if (words) {
      const w0 = base >> 2;
      for (let w = 0; w < inputSize >> 2; w++) {
        if (words[w0 + w] === 0) continue;
        for (let i = 4 * w; i < 4 * w + 4; i++) {
          const v = images[base + i];
          if (v !== 0) {
            nzIndex[q] = i;
            nzValue[q++] = v;
          }
        }
      }
    } else {
      for (let i = 0; i < inputSize; i++) {
        const v = images[base + i];
        if (v !== 0) {
          nzIndex[q] = i;
          nzValue[q++] = v;
        }
      }
    }
  }
  nzStart[count] = q;
  return { nzStart, nzIndex, nzValue };
}

/** A set made of images and labels held in memory (the IDX files, tests, fixtures). */
export function makeDigitSet(name: string, images: Uint8Array, labels: Uint8Array, rows: number, cols: number): DigitSet {
  const inputSize = rows * cols;
  const count = labels.length;
  if (images.length !== count * inputSize) {
    throw new DataShapeError(name, images.length, count, rows, cols);
  }
  const { nzStart, nzIndex, nzValue } = indexNonZero(images, count, inputSize);
  return digitSet(name, count, rows, cols, images, labels, nzStart, nzIndex, nzValue);
}

/** Every DigitSet is built here, with its fields in one order, so the hot loops see one object shape. */
function digitSet(
  name: string,
  count: number,
  rows: number,
  cols: number,
  images: Uint8Array,
  labels: Uint8Array,
  nzStart: Int32Array,
  nzIndex: Uint16Array,
  nzValue: Uint8Array,
): DigitSet {
  return { name, count, rows, cols, inputSize: rows * cols, images, labels, nzStart, nzIndex, nzValue };
}

/** Images [from, to) of a set, sharing its memory. */
export function subset(set: DigitSet, from: number, to: number, name = `${set.name}[${from}:${to}]`): DigitSet {
  if (from < 0 || from >= to) throw new LimitError('subset', from, to - 1, `the end of subset [${from}, ${to})`);
  if (to > set.count) throw new LimitError('subset', to, set.count, `the images of ${set.name}`);
  const n = set.inputSize;
  return digitSet(name, to - from, set.rows, set.cols, set.images.subarray(from * n, to * n), set.labels.subarray(from, to), set.nzStart.subarray(from, to + 1), set.nzIndex, set.nzValue);
}

/** Number of classes: the largest label + 1. */
export function classCount(...sets: DigitSet[]): number {
  let max = 0;
  for (const s of sets) for (let i = 0; i < s.labels.length; i++) if (s.labels[i] > max) max = s.labels[i];
  return max + 1;
}

/** Writes image e of `set` into `out` from offset `at`, pixels scaled to [0, 1]. */
export function gatherImage(set: DigitSet, e: number, out: Float64Array, at: number): void {
  const n = set.inputSize;
  const base = e * n;
  for (let i = 0; i < n; i++) out[at + i] = PIXEL[set.images[base + i]];
}
