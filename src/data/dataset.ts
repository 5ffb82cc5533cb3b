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
  nzIndex: Uint16Array;
}

/** PIXEL[v] = v / 255: a byte scaled to [0, 1], exactly as the division gives it. */
export const PIXEL: Float64Array = Float64Array.from({ length: 256 }, (_, v) => v / 255);

/** Lists the non-zero pixels of every image (two passes: count, then fill). */
export function indexNonZero(images: Uint8Array, count: number, inputSize: number): { nzStart: Int32Array; nzIndex: Uint16Array } {
  if (inputSize > 65536) throw new RangeError(`images of ${inputSize} pixels are too large (at most 65536)`);
  const nzStart = new Int32Array(count + 1);
  let nnz = 0;
  for (let i = 0; i < images.length; i++) if (images[i] !== 0) nnz++;
  const nzIndex = new Uint16Array(nnz);
  let q = 0;
  for (let e = 0; e < count; e++) {
    nzStart[e] = q;
    const base = e * inputSize;
    for (let i = 0; i < inputSize; i++) if (images[base + i] !== 0) nzIndex[q++] = i;
  }
  nzStart[count] = q;
  return { nzStart, nzIndex };
}

/** A set made of images and labels held in memory (tests, fixtures, other sources). */
export function makeDigitSet(name: string, images: Uint8Array, labels: Uint8Array, rows: number, cols: number): DigitSet {
  const inputSize = rows * cols;
  const count = labels.length;
  if (images.length !== count * inputSize) {
    throw new RangeError(`${name}: ${images.length} pixels for ${count} labels of ${rows}x${cols} images`);
  }
  return { name, count, rows, cols, inputSize, images, labels, ...indexNonZero(images, count, inputSize) };
}

/** Images [from, to) of a set, sharing its memory. */
export function subset(set: DigitSet, from: number, to: number, name = `${set.name}[${from}:${to}]`): DigitSet {
  if (from < 0 || to > set.count || from >= to) throw new RangeError(`subset [${from}, ${to}) of ${set.count} images`);
  return {
    name,
    count: to - from,
    rows: set.rows,
    cols: set.cols,
    inputSize: set.inputSize,
    images: set.images.subarray(from * set.inputSize, to * set.inputSize),
    labels: set.labels.subarray(from, to),
    nzStart: set.nzStart.subarray(from, to + 1),
    nzIndex: set.nzIndex,
  };
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
