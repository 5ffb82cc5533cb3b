/**
 * Hostile files: random mutations and truncations of IDX files (raw and gzipped) and of model
 * JSON files. The reader and the loader either load them or throw our one-line error; never
 * another exception, a hang or a crash. Fixed seeds, so a failure reproduces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels, readIdxImages, readIdxLabels } from '../../src/data/idx.js';
import { UserError } from '../../src/errors.js';
import { modelToJson, parseModel } from '../../src/model/model.js';
import { createNetwork } from '../../src/nn/network.js';
import { Random } from '../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, NonFiniteError, Trainer } from '../../src/train/train.js';
import { Chalk } from 'chalk';
import { baselineProblem } from '../../src/bench/baseline.js';
import { compareBaseline, type BenchResult } from '../../src/bench/bench.js';
import { modelInfo } from '../../src/cli/info.js';
import { describeModel } from '../../src/cli/eval.js';
import { storedVelocity } from '../../src/model/model.js';
import { resumePointProblem } from '../../src/model/rules.js';
import { renderTrainingChart } from '../../src/ui/chart.js';
import { historyLines } from '../../src/ui/tables.js';
import { run } from '../cli/run.js';
import { runAsync } from './spawn.js';
import { randomImages, randomSet, sampleMeta, tempDir, writeDataDir } from '../helpers.js';

export const FUZZ_RUNS = { idxImages: 300, idxLabels: 200, modelText: 300, modelTree: 300, digitTrain: 400, baseline: 300, cli: 4 };

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

/** Values that break assumptions: fractions, huge and negative numbers, 2^53, empty and escape-laden strings, wrong types. */
const hostileValue = fc.oneof(
  fc.constantFrom(null, true, false, '', 'x', '\x1b[31m', -1, 0, 1, 2.5, 5, 1e12, 1e15 + 1, 2 ** 53, 1e300, -1e308, 0.5, [], {}, ['test'], ['test', 'test'], { a: 1 }),
  fc.jsonValue({ maxDepth: 1 }),
);

describe('hostile digitTrain fields never crash what reads them', () => {
  const rng = new Random(3);
  const net = createNetwork({ sizes: [4, 3, 2], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, rng);
  const progress = newProgress(rng, 3);
  progress.history.push({ epoch: 1, trainCost: 0.5, eta: 3, trainSeconds: 0.1, evalSeconds: 0.01, test: { correct: 5, count: 10, accuracy: 0.5, cost: 0.4 } });
  progress.epoch = 1;
  const text = modelToJson({ net, meta: sampleMeta({ seed: 3, monitor: ['test'], keep: 'last', dataset: { name: 'MNIST', trainSize: 10 }, options: { ...DEFAULT_TRAIN_OPTIONS, batch: 3 }, progress }) });
  const doc = JSON.parse(text);
  const paths: string[][] = [];
  const walk = (v: unknown, path: string[]) => {
    paths.push(path);
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
  };
  walk(doc.digitTrain, []);
  const set = randomSet(10, 2, 2, 2);

  it(`${FUZZ_RUNS.digitTrain} models with a digitTrain field replaced or removed: load and then info, the chart, resuming and saving work, or one line`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: paths.length - 1 }), hostileValue, fc.boolean(), (i, value, remove) => {
        const copy = JSON.parse(text);
        const path = paths[i];
        const parent = path.slice(0, -1).reduce((o: any, k) => o[k], copy.digitTrain);
        const key = path[path.length - 1];
        if (remove) {
          if (Array.isArray(parent)) parent.splice(Number(key), 1);
          else delete parent[key];
        } else parent[key] = value;
        let model;
        try {
          model = parseModel(JSON.stringify(copy), 'm.json');
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          expect(err.message).toMatch(/^m\.json: /);
          expect(err.message).not.toMatch(/[\n\x1b]/);
          return;
        }
        const meta = model.meta!;
        // what info, eval and report show
        modelInfo('m.json', model);
        describeModel(model);
        historyLines(meta.progress.history, new Chalk({ level: 0 }));
        renderTrainingChart(meta.progress.history, 80, false);
        // what --resume does: the resume point must exist for this data, then an epoch and a save that loads again
        if (meta.options.batch > set.count || resumePointProblem(meta.progress, meta.options.batch, set.count)) return;
        const trainer = new Trainer(model.net, { train: set, test: set }, { ...meta.options, trainAccuracy: false }, meta.progress, storedVelocity(model));
        let record;
        try {
          record = trainer.runEpoch();
        } catch (err) {
          if (err instanceof NonFiniteError) return; // the CLI words it: "training diverged"
          throw err;
        }
        expect(Number.isFinite(record!.trainCost)).toBe(true);
        parseModel(modelToJson({ net: model.net, meta: { ...meta, progress: trainer.progress } }), 'again.json');
      }),
      { numRuns: FUZZ_RUNS.digitTrain, seed: 17 },
    );
  });
});

describe('hostile bench baselines never crash the comparison', () => {
  const names = ['784-30-10 batch 10', '784-100-10 batch 10'];
  const good = { workloads: [{ name: names[0], trainSeconds: 1.5, reference: { ratio: 2.1 } }, { name: names[1], trainSeconds: 3 }] };
  const current = { workloads: [{ name: names[0], trainSeconds: 1.4, reference: { ratio: 2 } }, { name: names[1], trainSeconds: 3.1 }] } as unknown as BenchResult;

  it(`${FUZZ_RUNS.baseline} baselines with a value replaced or removed: refused with one line, or compared with finite numbers`, () => {
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(good, []);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: paths.length - 1 }), hostileValue, fc.boolean(), (i, value, remove) => {
        let copy: any = structuredClone(good);
        const path = paths[i];
        if (path.length === 0) copy = value;
        else {
          const parent = path.slice(0, -1).reduce((o: any, k) => o[k], copy);
          const key = path[path.length - 1];
          if (remove && Array.isArray(parent)) parent.splice(key as number, 1);
          else if (remove) delete parent[key];
          else parent[key] = value;
        }
        const problem = baselineProblem(copy, names);
        if (problem !== null) {
          expect(problem).not.toMatch(/\n/);
          return;
        }
        const verdict = compareBaseline(current, copy as BenchResult, 1.25);
        for (const line of verdict.lines) expect(line).not.toMatch(/NaN|Infinity/);
      }),
      { numRuns: FUZZ_RUNS.baseline, seed: 23 },
    );
  });
});

describe('every run of every command ends with exit 0, 1 or 2 in bounded time', () => {
  it(`${FUZZ_RUNS.cli} hostile models × info, eval, report, --resume: never exit 70 or a crash, each within 30 s`, async () => {
    const data = writeDataDir();
    const dir = tempDir();
    const model = join(dir, 'm.json');
    expect(run(['--data', data, '--epochs', '2', '--batch', '10', '--out', model]).code).toBe(0);
    const doc = JSON.parse(readFileSync(model, 'utf8'));
    const paths: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      paths.push(path);
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc.digitTrain, []);
    const cases = fc.sample(fc.tuple(fc.integer({ min: 1, max: paths.length - 1 }), hostileValue), { numRuns: FUZZ_RUNS.cli, seed: 29 });
    for (const [n, [i, value]] of cases.entries()) {
      const copy = JSON.parse(JSON.stringify(doc));
      const path = paths[i];
      path.slice(0, -1).reduce((o: any, k) => o[k], copy.digitTrain)[path[path.length - 1]] = value;
      const file = join(dir, `h${n}.json`);
      writeFileSync(file, JSON.stringify(copy));
      for (const args of [['info', file], ['eval', file, '--data', data], ['report', file, '--data', data, '-o', join(dir, 'r.html')], ['--resume', file, '--data', data, '--epochs', '1', '--out', join(dir, 'next.json')]]) {
        const r = await runAsync(args, { timeout: 30_000 });
        expect([0, 1, 2], `${path.join('.')} = ${JSON.stringify(value)}: ${args[0]}: ${r.stderr}`).toContain(r.code);
        if (r.code !== 0) expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      }
    }
   }, 180_000);
});
