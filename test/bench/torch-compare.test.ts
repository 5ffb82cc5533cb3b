/**
 * scripts/torch-compare.py on a tiny workload, so that it keeps working with our CLI: PyTorch
 * timed beside ours (the CLI run it builds must succeed and be timed), and its accuracy path.
 * Skipped, saying how to install it, where Debian's python3-torch is not there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../scripts/torch-compare.py', import.meta.url));
const HAVE_TORCH = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const SKIP = 'SKIPPED: PyTorch is not installed (apt-get update && apt-get install -y python3-torch)';
if (!HAVE_TORCH) console.warn(`test/bench/torch-compare.test.ts: ${SKIP}`);

function script(args: string[]): any {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe.skipIf(!HAVE_TORCH)('scripts/torch-compare.py', () => {
  it(HAVE_TORCH ? 'times PyTorch and ours on the same images, one thread, and gives the ratio' : SKIP, () => {
    const out = script(['--ours', '--fraction', '0.0004', '--rounds', '2', '--warmup', '1', '--batch', '10', '--dtype', 'f32']);
    expect(out.threads).toBe(1);
    expect(out.network).toBe('conv:20x5:sigmoid,pool:2,conv:40x5:sigmoid,pool:2,dense:100:sigmoid,dense:10:softmax (log-likelihood cost)');
    expect(out.results).toHaveLength(1);
    const [r] = out.results;
    expect(r).toMatchObject({ batch: 10, dtype: 'f32', timedImages: 20, timedBatches: 2 });
    expect(r.rounds).toHaveLength(2);
    expect(r.oursRounds).toHaveLength(2);
    for (const s of [...r.rounds, ...r.oursRounds]) expect(s).toBeGreaterThan(0);
    const ratios = r.rounds.map((t: number, i: number) => t / r.oursRounds[i]).sort((a: number, b: number) => a - b);
    expect(r.ratioTorchToOurs).toBeCloseTo((ratios[0] + ratios[1]) / 2, 12);
    expect(r.oursCommand).toContain('train --layers conv:20x5:sigmoid,pool:2,conv:40x5:sigmoid,pool:2,dense:100:sigmoid --output softmax --cost cross-entropy --eta 0.1 --batch 10 --epochs 1 --train-size 20');
  }, 120_000);

  it(HAVE_TORCH ? 'its accuracy path: a short run scores the 10,000 test and validation images' : SKIP, () => {
    const out = script(['--accuracy-epochs', '1', '--train-size', '500', '--batch', '10', '--dtype', 'f32', '--activation', 'relu', '--eta', '0.03']);
    const [r] = out.accuracy;
    expect(r).toMatchObject({ dtype: 'f32', batch: 10, trainSize: 500 });
    expect(r.epochs.map((e: any) => e.epoch)).toEqual([1]);
    for (const e of r.epochs) {
      expect(e.test).toBeGreaterThanOrEqual(0);
      expect(e.test).toBeLessThanOrEqual(1);
      expect(Math.abs(e.test * 10000 - Math.round(e.test * 10000))).toBeLessThan(1e-6); // a count out of the 10,000 test images
    }
    // One epoch of relu on 500 images learns something: well above chance (10 %), the cost below ln 10.
    expect(r.epochs[0].test).toBeGreaterThan(0.3);
    expect(r.epochs[0].trainCost).toBeLessThan(Math.log(10));
  }, 120_000);
});
