/**
 * What CI reads: train's NDJSON start event, eval --json's units, bench's benchmark-tracker
 * array, and the Markdown that train, eval and bench append to $GITHUB_STEP_SUMMARY.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/bench.js';
import { githubActionBenchmark } from '../../src/bench/github.js';
import { appendStepSummary, markdownTable } from '../../src/ci/step-summary.js';
import { run } from '../cli/run.js';
import { tempDir, writeDataDir } from '../helpers.js';

describe('train --json: the start event', () => {
  it('comes first and holds the configuration as resolved (defaults filled in, a resumed run’s options carried on)', () => {
    const data = writeDataDir();
    const dir = tempDir();
    const out = join(dir, 'm.json');
    const r = run(['--data', data, '--epochs', '2', '--hidden', '8', '--eta', '0.5', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.map((l) => l.event)).toEqual(['start', 'epoch', 'epoch', 'done']);
    const start = lines[0];
    expect(start).toMatchObject({
      sizes: [36, 8, 10],
      activation: 'sigmoid',
      output: 'sigmoid',
      cost: 'quadratic',
      init: 'normal',
      seed: 1,
      firstEpoch: 1,
      lastEpoch: 2,
      monitor: ['test'],
      keep: 'last',
      out,
      resume: null,
      data: { dir: data, train: 120, test: 40 },
    });
    expect(start.options).toMatchObject({ eta: 0.5, batch: 10, lambda: 0, momentum: 0, shuffle: true });

    const again = run(['--data', data, '--resume', out, '--epochs', '1', '--json', '--out', out]);
    expect(again.code).toBe(0);
    const resumed = JSON.parse(again.stdout.split('\n')[0]) as Record<string, any>;
    expect(resumed).toMatchObject({ event: 'start', firstEpoch: 3, lastEpoch: 3, resume: out, resumedAfter: { epoch: 2, batchInEpoch: 0 } });
    expect(resumed.options.eta).toBe(0.5); // carried on from the model file, not the default 3
  });
});

describe('eval --json: accuracies as fractions, minAccuracy too', () => {
  it('--min-accuracy 95 is minAccuracy 0.95, beside accuracy and per-class scores in [0, 1]', () => {
    const data = writeDataDir();
    const model = join(tempDir(), 'm.json');
    expect(run(['--data', data, '--epochs', '1', '--out', model]).code).toBe(0);
    const r = run(['eval', model, '--data', data, '--json', '--min-accuracy', '95']);
    expect(r.code).toBe(1);
    const ev = JSON.parse(r.stdout) as { accuracy: number; correct: number; count: number; minAccuracy: number; passed: boolean; perClass: { precision: number; recall: number }[] };
    expect(ev.minAccuracy).toBe(0.95);
    expect(ev.accuracy).toBe(ev.correct / ev.count);
    expect(ev.passed).toBe(false);
    for (const p of ev.perClass) for (const v of [p.precision, p.recall]) expect(v >= 0 && v <= 1).toBe(true);
    const low = JSON.parse(run(['eval', model, '--data', data, '--json', '--min-accuracy', '0%']).stdout) as { minAccuracy: number; passed: boolean };
    expect(low).toMatchObject({ minAccuracy: 0, passed: true });
    expect(JSON.parse(run(['eval', model, '--data', data, '--json']).stdout)).toMatchObject({ minAccuracy: null, passed: null });
  });
});

describe('bench --format github-action-benchmark', () => {
  const result = {
    version: '1.2.3',
    node: 'v20.0.0',
    cpu: 'CPU',
    cores: 2,
    loadSeconds: 0.5,
    startupSeconds: 0.2,
    peakRssMB: 150,
    workloads: [
      { name: '784-30-10 batch 10', trainImages: 1000, trainSeconds: 2, trainSecondsAll: [1.9, 2, 2.3], evalSeconds: 0.3, testAccuracy: 0.9, reference: { ratios: [1.1, 1.2, 1.4], ratio: 1.2 } },
      { name: '784-100-10 batch 100', trainImages: 1000, trainSeconds: 4, trainSecondsAll: [4], evalSeconds: 0.6, testAccuracy: 0.95 },
    ],
  } as unknown as BenchResult;

  it('one entry per workload and figure: name, unit, value, range from the spread, extra', () => {
    const entries = githubActionBenchmark(result);
    expect(entries.map((e) => [e.name, e.unit, e.value])).toEqual([
      ['784-30-10 batch 10: train seconds per epoch', 's', 2],
      ['784-30-10 batch 10: evaluation seconds (test set)', 's', 0.3],
      ['784-30-10 batch 10: ratio to the C reference', 'ratio', 1.2],
      ['784-100-10 batch 100: train seconds per epoch', 's', 4],
      ['784-100-10 batch 100: evaluation seconds (test set)', 's', 0.6],
      ['data load seconds', 's', 0.5],
      ['start-up seconds (--help)', 's', 0.2],
      ['peak RSS', 'MB', 150],
    ]);
    expect(entries[0].range).toBe('± 0.200');
    expect(entries[2].range).toBe('± 0.150');
    expect('range' in entries[3]).toBe(false); // one epoch: no spread
    expect(entries[0].extra).toMatch(/median of 3 epochs of 1000 images; test accuracy 90\.00%; Node v20\.0\.0/);
    for (const e of entries) expect(Object.keys(e).every((k) => ['name', 'unit', 'value', 'range', 'extra'].includes(k))).toBe(true);
  });

  it('the command prints that array (and --json with another --format is refused)', () => {
    const r = run(['bench', '--format', 'github-action-benchmark', '--data', writeDataDir(), '--epochs', '2', '--warmup', '0', '--hidden', '30', '--batch', '10']);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as { name: string; unit: string; value: number }[];
    expect(Array.isArray(entries)).toBe(true);
    expect(entries[0].name).toBe('784-30-10 batch 10: train seconds per epoch');
    for (const e of entries) expect(e.value).toBeGreaterThan(0);
    const both = run(['bench', '--json', '--format', 'github-action-benchmark']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('digit-train: --json and --format github-action-benchmark: choose one\n');
  });
});

describe('GITHUB_STEP_SUMMARY', () => {
  it('train, eval and bench append their Markdown summaries, after what was there', () => {
    const data = writeDataDir();
    const dir = tempDir();
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n\n');
    const env = { GITHUB_STEP_SUMMARY: summary };
    const model = join(dir, 'm.json');
    expect(run(['--data', data, '--epochs', '2', '--out', model], { env }).code).toBe(0);
    const ev = run(['eval', model, '--data', data, '--min-accuracy', '99'], { env });
    expect(ev.code).toBe(1);
    expect(run(['bench', '--data', data, '--epochs', '1', '--warmup', '0', '--hidden', '5', '--batch', '10'], { env }).code).toBe(0);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('# earlier step\n\n### digit-train train')).toBe(true);
    const trainPart = md.slice(md.indexOf('### digit-train train'), md.indexOf('### digit-train eval'));
    expect(trainPart).toMatch(/\| epoch \| training cost \| test \| seconds \|\n\| --- \| ---: \| ---: \| ---: \|\n\| 1 \| \d\.\d{4} \| \d+\.\d\d% \| [\d.]+ \|\n\| 2 \|/);
    const evalPart = md.slice(md.indexOf('### digit-train eval'), md.indexOf('### digit-train bench'));
    const m = /\*\*[^*]*test[^*]*: (\d+) \/ 40 correct \(([\d.]+)%\)\*\*/.exec(evalPart);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeCloseTo((100 * Number(m![1])) / 40, 2);
    expect(evalPart).toContain('❌ below --min-accuracy 99%');
    expect(md.slice(md.indexOf('### digit-train bench'))).toMatch(/\| 784-5-10 batch 10 \| [\d.]+ \|/);
  });

  it('nothing is written without it; a summary that cannot be written is a digit-train: warning, not a failure', () => {
    const dir = tempDir();
    expect(appendStepSummary('x', {})).toBeNull();
    const data = writeDataDir();
    const r = run(['--data', data, '--epochs', '1', '--out', join(dir, 'm.json')], { env: { GITHUB_STEP_SUMMARY: join(dir, 'no-such-dir', 's.md') } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^digit-train: warning: GITHUB_STEP_SUMMARY .*s\.md: cannot append the summary \(ENOENT\)\n$/);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    expect(markdownTable(['a', 'b|c'], [[1, 'x|y']], ['l', 'r'])).toBe('| a | b\\|c |\n| --- | ---: |\n| 1 | x\\|y |');
  });
});
