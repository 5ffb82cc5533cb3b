/**
 * Hostile files: random mutations and truncations of IDX files (raw and gzipped) and of model
 * JSON files. The reader and the loader either load them or throw our one-line error; never
 * another exception, a hang or a crash. Fixed seeds, so a failure reproduces.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels, readIdxImages, readIdxLabels } from '../../src/data/idx.js';
import { UserError } from '../../src/errors.js';
import { modelToJson, parseModel } from '../../src/model/model.js';
import { createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { newProgress } from '../../src/train/train.js';
import { randomImages, sampleMeta, tempDir } from '../helpers.js';

export const FUZZ_RUNS = { idxImages: 300, idxLabels: 200, modelText: 300, modelTree: 300 };

/** Byte-level damage: flips, overwrites, truncation, extension. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
);
type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function apply(bytes: Uint8Array, ds: Damage[]): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (const d of ds) {
    if (b.length === 0) break;
    if (d.kind === 'flip') b[d.at % b.length] ^= 1 << d.bit;
    else if (d.kind === 'set') b[d.at % b.length] = d.value;
    else if (d.kind === 'truncate') b = b.subarray(0, d.at % b.length);
    else b = Uint8Array.from([...b, ...d.bytes]);
  }
  return b;
}

/** Runs `f` and passes if it returns or throws a UserError with a one-line message. */
function loadsOrOneLine(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    expect(err.message).not.toContain('\n');
    expect(err.message.length).toBeGreaterThan(0);
  }
}

describe('hostile IDX files never crash the reader', () => {
  const { images, labels } = randomImages(6, 5, 4, 10);
  const imageFile = encodeIdxImages(images, 6, 5, 4);
  const labelFile = encodeIdxLabels(labels);
  let n = 0;

  it(`${FUZZ_RUNS.idxImages} damaged image files, raw and gzipped`, () => {
    const dir = tempDir();
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (ds, gz, damageAfterGzip) => {
        const base = gz && !damageAfterGzip ? gzipSync(apply(imageFile, ds)) : apply(gz ? gzipSync(imageFile) : imageFile, ds);
        const path = join(dir, `im-${n++}`);
        writeFileSync(path, base);
        loadsOrOneLine(() => readIdxImages(path));
      }),
      { numRuns: FUZZ_RUNS.idxImages, seed: 20261127 },
    );
  });

  it(`${FUZZ_RUNS.idxLabels} damaged label files`, () => {
    const dir = tempDir();
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 4 }), fc.boolean(), (ds, gz) => {
        const path = join(dir, `lb-${n++}`);
        writeFileSync(path, apply(gz ? gzipSync(labelFile) : labelFile, ds));
        loadsOrOneLine(() => readIdxLabels(path));
      }),
      { numRuns: FUZZ_RUNS.idxLabels, seed: 11 },
    );
  });
});

describe('hostile model files never crash the loader', () => {
  const rng = new Random(3);
  const net = createNetwork({ sizes: [4, 3, 2], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
  const progress = newProgress(rng, 3);
  progress.history.push({ epoch: 1, trainCost: 0.5, eta: 3, trainSeconds: 0.1, evalSeconds: 0.01, test: { correct: 5, count: 10, accuracy: 0.5, cost: 0.4 } });
  progress.epoch = 1;
  const text = modelToJson({
    net,
    meta: sampleMeta({ seed: 3, dataset: { name: 'MNIST', trainSize: 10 }, progress }),
  });

  it(`${FUZZ_RUNS.modelText} damaged model texts`, () => {
    const bytes = new TextEncoder().encode(text);
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 3 }), (ds) => {
        loadsOrOneLine(() => parseModel(new TextDecoder().decode(apply(bytes, ds)), 'm.json'));
      }),
      { numRuns: FUZZ_RUNS.modelText, seed: 5 },
    );
  });

  it(`${FUZZ_RUNS.modelTree} models with a value replaced anywhere in the tree`, () => {
    const doc = JSON.parse(text);
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc, []);
    const hostile = fc.oneof(
      fc.constantFrom(null, true, '', 'x', -1, 0, 1e308, -1e308, 2 ** 40, 0.5, [], {}, [[]], [1e9], { a: 1 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: paths.length - 1 }), hostile, fc.boolean(), (i, value, remove) => {
        const copy = JSON.parse(text);
        const path = paths[i];
        const parent = path.slice(0, -1).reduce((o: any, k) => o[k], copy);
        const key = path[path.length - 1];
        if (remove) {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key];
        } else parent[key] = value;
        loadsOrOneLine(() => parseModel(JSON.stringify(copy), 'm.json'));
      }),
      { numRuns: FUZZ_RUNS.modelTree, seed: 7 },
    );
  });
});
