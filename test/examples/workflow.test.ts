/**
 * The example workflow runs as written: every `run:` line after `npm ci`, in order, in an
 * empty directory, with `npx digit-train` being this checkout's bin (as it is in a checkout
 * after `npm ci`) and GITHUB_STEP_SUMMARY set as GitHub sets it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../cli/run.js';
import { tempDir } from '../helpers.js';

const WORKFLOW = new URL('../../examples/github-actions/digit-train.yml', import.meta.url);

describe('examples/github-actions/digit-train.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const runs = [...text.matchAll(/^\s+(?:- )?run: (.+)$/gm)].map((m) => m[1]);

  it('uses only released actions and has the steps it says', () => {
    const uses = [...text.matchAll(/uses: (\S+)/g)].map((m) => m[1]);
    expect(uses).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'actions/cache@v4', 'benchmark-action/github-action-benchmark@v1', 'actions/upload-artifact@v4']);
    expect(text).toMatch(/tool: customSmallerIsBetter\n\s+output-file-path: bench\.json/);
    expect(runs[0]).toBe('npm ci');
    expect(text).not.toMatch(/\t/);
  });

  it('every run: line succeeds: it trains, passes the gate, exports, and writes the benchmark array', () => {
    const dir = tempDir();
    const npx = join(dir, 'npx');
    writeFileSync(npx, `#!/bin/sh\n[ "$1" = digit-train ] || { echo "npx $1: not digit-train" >&2; exit 97; }\nshift\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(npx, 0o755);
    const summary = join(dir, 'summary.md');
    for (const line of runs.slice(1)) {
      const r = spawnSync('bash', ['-e', '-c', line], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, GITHUB_STEP_SUMMARY: summary }, timeout: 120_000 });
      expect({ line, code: r.status, stderr: r.stderr }).toEqual({ line, code: 0, stderr: '' });
    }
    const events = readFileSync(join(dir, 'train.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(events.map((e) => e.event)).toEqual(['start', 'epoch', 'epoch', 'epoch', 'done']);
    expect(existsSync(join(dir, 'model.onnx'))).toBe(true);
    const bench = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as { name: string; unit: string; value: number }[];
    expect(bench[0]).toMatchObject({ name: '784-30-10 batch 10: train seconds per epoch', unit: 's' });
    const md = readFileSync(summary, 'utf8');
    for (const part of ['### digit-train train', '### digit-train eval', '✅ passes --min-accuracy 92%', '### digit-train bench']) expect(md).toContain(part);
  });
});
