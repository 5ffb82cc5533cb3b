import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareBaseline, median, type BenchResult } from '../../src/bench/bench.js';
import { tempDir } from '../helpers.js';
import { run } from './run.js';

describe('digit-train bench', () => {
  it('--json: one object with the machine, the options and every workload', () => {
    const r = run(['bench', '--json', '--train-size', '1000', '--epochs', '2', '--warmup', '0', '--hidden', '30', '--batch', '10,100']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as BenchResult;
    expect(result.node).toBe(process.version);
    expect(result.cpu.length).toBeGreaterThan(0);
    expect(result.workloads.map((w) => w.name)).toEqual(['784-30-10 batch 10', '784-30-10 batch 100']);
    for (const w of result.workloads) {
      expect(w.trainSecondsAll).toHaveLength(2);
      expect(w.trainSeconds).toBe(median(w.trainSecondsAll));
      expect(w.examplesPerSecond).toBeCloseTo(1000 / w.trainSeconds, 6);
      expect(w.evalSeconds).toBeGreaterThan(0);
      expect(w.reference).toBeUndefined();
    }
    expect(result.loadSeconds).toBeGreaterThan(0);
    expect(result.startupSeconds).toBeGreaterThan(0);
    expect(result.peakRssMB).toBeGreaterThan(20);

    // the regression gate: the same result passes, a baseline twice as fast fails with exit 1
    const dir = tempDir();
    writeFileSync(join(dir, 'same.json'), r.stdout);
    const fast = JSON.parse(r.stdout) as BenchResult;
    for (const w of fast.workloads) w.trainSeconds /= 10;
    writeFileSync(join(dir, 'fast.json'), JSON.stringify(fast));
    const gate = run(['bench', '--train-size', '1000', '--epochs', '1', '--warmup', '0', '--hidden', '30', '--batch', '10', '--baseline', join(dir, 'fast.json')]);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/784-30-10 batch 10: s\/epoch .* REGRESSION/);
    expect(gate.stderr).toMatch(/slower than the baseline allows/);
    expect(readFileSync(join(dir, 'same.json'), 'utf8')).toBe(r.stdout);
  });

  it('--compare-reference: compiles bench/reference.c with cc and times it beside ours, training and evaluation', () => {
    const r = run(['bench', '--json', '--compare-reference', '--epochs', '1', '--warmup', '0', '--rounds', '1', '--hidden', '30', '--batch', '10']);
    expect(r.code).toBe(0);
    const [w] = (JSON.parse(r.stdout) as BenchResult).workloads;
    const ref = w.reference!;
    expect(ref.variant).toBe('f64-sparse');
    expect(ref.referenceSeconds).toHaveLength(1);
    expect(ref.referenceSeconds[0]).toBeGreaterThan(0.01); // a real epoch of 50,000 images, not a stub
    expect(ref.ratio).toBeCloseTo(ref.oursSeconds[0] / ref.referenceSeconds[0], 9);
    expect(ref.evalRatio).toBeCloseTo(ref.oursEvalSeconds![0] / ref.referenceEvalSeconds![0], 9);
  });

  it('--layers: a conv workload on one thread and on two, the same network trained (same accuracy), no C comparison', () => {
    const r = run(['bench', '--json', '--train-size', '300', '--epochs', '1', '--warmup', '0', '--layers', 'conv:4x5,pool:2,dense:20', '--batch', '10', '--compare-reference']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as BenchResult;
    expect(result.workloads.map((w) => w.name)).toEqual([
      'conv:4x5:relu,pool:2,dense:20:relu,dense:10:softmax batch 10, 1 thread',
      'conv:4x5:relu,pool:2,dense:20:relu,dense:10:softmax batch 10, 2 threads',
    ]);
    const [one, two] = result.workloads;
    expect(one.testAccuracy).toBeGreaterThan(0.15); // it learns something in 300 images
    expect(two.testAccuracy).toBe(one.testAccuracy);
    expect(one.reference).toBeUndefined();
    expect(run(['bench', '--layers', 'conv:4x5', '--threads', '3']).stderr).toMatch(/^digit-train: --threads: "3" is not a comma-separated list of 1 and 2/);
  });

  it('--batch 0: one line that speaks of mini-batch sizes', () => {
    const r = run(['bench', '--batch', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('digit-train: --batch: "0" is not a comma-separated list of mini-batch sizes (e.g. 10 or 10,100)\n');
  });

  it('bad input: a missing reference, a baseline that is not a result', () => {
    const missing = run(['bench', '--train-size', '100', '--compare-reference', '/nonexistent/ref']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('digit-train: --compare-reference: /nonexistent/ref does not exist');
    const dir = tempDir();
    writeFileSync(join(dir, 'b.json'), '{"x":1}');
    const bad = run(['bench', '--baseline', join(dir, 'b.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^digit-train: --baseline .*b\.json: not a `digit-train bench --json` result/);
  });

  it('compareBaseline uses the ratio to C when both runs have it, seconds otherwise', () => {
    const mk = (s: number, ratio?: number) =>
      ({ workloads: [{ name: 'w', trainSeconds: s, ...(ratio ? { reference: { ratio } } : {}) }] }) as unknown as BenchResult;
    expect(compareBaseline(mk(1.0, 3.0), mk(0.5, 2.9), 1.25).ok).toBe(true); // machine slower, ratio steady
    expect(compareBaseline(mk(1.0, 4.0), mk(1.0, 3.0), 1.25).ok).toBe(false);
    expect(compareBaseline(mk(1.3), mk(1.0), 1.25).ok).toBe(false);
    expect(compareBaseline(mk(1.2), mk(1.0), 1.25).ok).toBe(true);
  });
});
