/**
 * Full disks: small tmpfs file systems mounted by the test (as root), filled to leave less room
 * than a model file needs. Skipped, with a message, where mounting is not allowed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/model.js';
import { run } from '../cli/run.js';
import { tempDir, writeDataDir } from '../helpers.js';

const mounts: string[] = [];

/** Mounts a tmpfs of `kib` KiB on a new directory; null when not allowed. */
function smallDisk(kib: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'digit-train-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  mounts.push(dir);
  return dir;
}

/** Fills `dir` so that about `room` bytes stay free. */
function fill(dir: string, room: number): void {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (free > room) writeFileSync(join(dir, 'filler'), Buffer.alloc(free - room));
}

afterAll(() => {
  for (const m of mounts) {
    spawnSync('umount', [m]);
    rmSync(m, { recursive: true, force: true });
  }
});

const probe = smallDisk(64);
if (!probe) console.warn('test/reliability/disk.test.ts: skipped: cannot mount a tmpfs here (needs root and mount permission)');

describe.skipIf(!probe)('full disks', () => {
  /** A small data set (made per test: test/helpers.ts removes temporary directories after each) and the size of its model file. */
  const setUp = () => {
    const data = writeDataDir({ train: 400, test: 50, rows: 16, cols: 16 });
    const train = ['--data', data, '--hidden', '100', '--epochs', '3', '--batch', '10'];
    const out = join(tempDir(), 'size.json');
    expect(run([...train, '--epochs', '1', '--out', out]).code).toBe(0);
    return { train, modelBytes: readFileSync(out).length };
  };
  const kib = (bytes: number) => Math.ceil(bytes / 4096) * 4;
  const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  it('a full disk at the final save: the old model stays, no partial file, the weights go to the temp directory (exit 1, never "saved")', () => {
    const { train, modelBytes } = setUp();
    const disk = smallDisk(kib(3 * modelBytes))!;
    const spare = smallDisk(kib(3 * modelBytes))!;
    const out = join(disk, 'm.json');
    expect(run([...train, '--epochs', '1', '--seed', '9', '--out', out]).code).toBe(0);
    const old = readFileSync(out);
    fill(disk, Math.floor(modelBytes / 2));
    const r = run([...train, '--out', out], { env: { TMPDIR: spare } });
    expect(r.code).toBe(1);
    expect(readFileSync(out).equals(old)).toBe(true);
    expect(temps(disk)).toEqual([]);
    const fallback = /saved to (\S+\.json) instead/.exec(r.stderr)?.[1];
    expect(fallback?.startsWith(spare)).toBe(true);
    expect(loadModel(fallback!).meta!.progress.epoch).toBe(3);
    expect(r.stderr).toMatch(/no space left on device/);
    expect(r.stdout).not.toMatch(/^saved/m);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^digit-train: could not write .*m\.json; the model is in /);
  });

  it('both disks full: the tool says the model could not be kept (exit 1), and the old model stays', () => {
    const { train, modelBytes } = setUp();
    const disk = smallDisk(kib(3 * modelBytes))!;
    const spare = smallDisk(kib(modelBytes))!;
    const out = join(disk, 'm.json');
    expect(run([...train, '--epochs', '1', '--seed', '9', '--out', out]).code).toBe(0);
    const old = readFileSync(out);
    fill(disk, Math.floor(modelBytes / 2));
    fill(spare, Math.floor(modelBytes / 2));
    const r = run([...train, '--out', out], { env: { TMPDIR: spare } });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/^saved/m);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^digit-train: could not write .*m\.json \(no space left on device\), nor .* \(no space left on device\): the trained model could not be kept$/);
    expect(readFileSync(out).equals(old)).toBe(true);
    expect(temps(disk)).toEqual([]);
    expect(temps(spare)).toEqual([]);
  });

  it('a full disk at a checkpoint: the last checkpoint stays whole and training goes on', () => {
    const { train, modelBytes } = setUp();
    // room for one checkpoint, not for a second one beside it
    const disk = smallDisk(kib(1.5 * modelBytes))!;
    const spare = smallDisk(kib(3 * modelBytes))!;
    mkdirSync(join(disk, 'out'));
    const out = join(disk, 'out', 'm.json');
    const r = run([...train, '--checkpoint-every', '1', '--out', out], { env: { TMPDIR: spare } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/warning: checkpoint after epoch 2 not written: .*no space left on device/);
    expect(loadModel(out).meta!.progress.epoch).toBe(1); // the first checkpoint, whole
    expect(temps(join(disk, 'out'))).toEqual([]);
    const fallback = /saved to (\S+\.json) instead/.exec(r.stderr)?.[1];
    expect(loadModel(fallback!).meta!.progress.epoch).toBe(3);
  });
});
