/**
 * Signals at the edges of a run: a Ctrl-C after the last epoch (during the final evaluation,
 * save and report), SIGHUP from a closed terminal, and what kill -9 leaves behind.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/model.js';
import { run, start } from '../cli/run.js';
import { tempDir } from '../helpers.js';

describe('Reliability: signals at the edges of a run', () => {
  it('a Ctrl-C just after the last epoch (final evaluation, save, report) finishes the save and exits 130', async () => {
    const dir = tempDir();
    const out = join(dir, 'm.json');
    const report = join(dir, 'r.html');
    const p = await start(['--train-size', '3000', '--epochs', '2', '--keep', 'last', '--report', report, '--out', out]);
    await p.waitFor(/^epoch 2\/2/m);
    p.child.kill('SIGINT');
    const { code, signal } = await p.exit;
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(p.stderr().trim().split('\n').pop()).toMatch(/^digit-train: interrupted by SIGINT after the last epoch; the model is saved to .*m\.json$/);
    expect(loadModel(out).meta!.progress.epoch).toBe(2);
  });

  it('SIGHUP (a closed terminal) checkpoints like SIGTERM and exits 143', async () => {
    const out = join(tempDir(), 'm.json');
    const p = await start(['--train-size', '20000', '--epochs', '5', '--out', out]);
    await p.waitFor(/^epoch 1\/5/m);
    p.child.kill('SIGHUP');
    const { code } = await p.exit;
    expect(code).toBe(143);
    expect(p.stderr()).toMatch(/^digit-train: interrupted by SIGHUP (in epoch \d after mini-batch \d+|after epoch \d); checkpoint saved to .*m\.json; resume with: /m);
    expect(loadModel(out).meta!.progress.epoch).toBeGreaterThanOrEqual(1);
  });

  it('temporary files left by a process killed mid-save (kill -9) are removed by the next save', () => {
    const dir = tempDir();
    const out = join(dir, 'm.json');
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const dead = pidMax + 1; // no process can have it
    const leftovers = [`m.json.${dead}.k3j2h1.tmp`, `m.json.${dead}.probe.tmp`];
    for (const f of leftovers) writeFileSync(join(dir, f), '{"partial": ');
    writeFileSync(join(dir, `other.json.${dead}.abc.tmp`), 'not ours to remove');
    expect(run(['--train-size', '100', '--epochs', '1', '--batch', '10', '--out', out]).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['m.json', `other.json.${dead}.abc.tmp`]);
  });
});
