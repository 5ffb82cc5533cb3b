/**
 * The promises of the README's "Reliability" section, each tested by name: interruption,
 * checkpoints, crashes mid-write, output that cannot be written, damaged data, flat memory.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { loadModel } from '../../src/model/model.js';
import { run, start } from '../cli/run.js';
import { tempDir, writeDataDir } from '../helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const weightsOf = (file: string) => {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  return JSON.stringify([doc.weights, doc.biases]);
};

describe('Reliability', () => {
  it('Ctrl-C finishes the mini-batch, checkpoints, exits 130, and resuming gives the uninterrupted model', async () => {
    const dir = tempDir();
    const common = ['--train-size', '20000', '--epochs', '3', '--seed', '4', '--momentum', '0.5', '--eta', '1'];
    const whole = run([...common, '--out', join(dir, 'whole.json')]);
    expect(whole.code).toBe(0);

    const ckpt = join(dir, 'ckpt.json');
    const p = await start([...common, '--out', ckpt]);
    await p.waitFor(/^epoch 1\/3/m);
    await sleep(40); // into epoch 2
    p.child.kill('SIGINT');
    const { code } = await p.exit;
    expect(code).toBe(130);
    const line = p.stderr().trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^digit-train: interrupted by SIGINT (in epoch \d after mini-batch \d+|after epoch \d); checkpoint saved to .*ckpt\.json; resume with: digit-train --resume .*ckpt\.json --epochs \d --out .*ckpt\.json$/);
    const model = loadModel(ckpt);
    expect(model.meta!.progress.epoch).toBeLessThan(3);

    const resumeArgs = line.split('resume with: digit-train ')[1].split(' ');
    const resumed = run(resumeArgs);
    expect(resumed.code).toBe(0);
    expect(weightsOf(ckpt)).toBe(weightsOf(join(dir, 'whole.json')));
    expect(loadModel(ckpt).meta!.progress.history.map((h) => h.test!.correct)).toEqual(loadModel(join(dir, 'whole.json')).meta!.progress.history.map((h) => h.test!.correct));
  });

  it('SIGTERM checkpoints and exits 143', async () => {
    const out = join(tempDir(), 'm.json');
    const p = await start(['--train-size', '20000', '--epochs', '5', '--out', out]);
    await p.waitFor(/^epoch 1\/5/m);
    p.child.kill('SIGTERM');
    expect((await p.exit).code).toBe(143);
    expect(p.stderr()).toMatch(/interrupted by SIGTERM/);
    expect(loadModel(out).meta!.progress.epoch).toBeGreaterThanOrEqual(1);
  });

  it('a second Ctrl-C exits at once and leaves no damaged file', async () => {
    const dir = tempDir();
    const out = join(dir, 'm.json');
    writeFileSync(out, '{"previous": true}');
    const p = await start(['--train-size', '20000', '--epochs', '5', '--out', out]);
    await p.waitFor(/^epoch 1\/5/m);
    p.child.kill('SIGINT');
    p.child.kill('SIGINT');
    const { code, signal } = await p.exit;
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    // whichever signal won: the file is the old one or a complete checkpoint
    const text = readFileSync(out, 'utf8');
    if (text !== '{"previous": true}') expect(loadModel(out).net.sizes).toEqual([784, 30, 10]);
  });

  it('--checkpoint-every: kill -9 at any moment leaves the last checkpoint whole and resumable', async () => {
    const data = writeDataDir({ train: 3000, test: 100, rows: 10, cols: 10 });
    const out = join(tempDir(), 'm.json');
    const p = await start(['--data', data, '--epochs', '200', '--hidden', '60', '--checkpoint-every', '1', '--out', out]);
    await p.waitFor(/^epoch +3\/200/m);
    p.child.kill('SIGKILL');
    await p.exit;
    const model = loadModel(out); // complete, parses, validates
    expect(model.meta!.progress.epoch).toBeGreaterThanOrEqual(2);
    const again = run(['--resume', out, '--epochs', '1', '--out', out]);
    expect(again.code).toBe(0);
    expect(loadModel(out).meta!.progress.epoch).toBe(model.meta!.progress.epoch + 1);
  });

  it('a write error at the end keeps the trained weights in the temp directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out'));
    const out = join(dir, 'out', 'm.json');
    const p = await start(['--train-size', '10000', '--epochs', '4', '--out', out]);
    await p.waitFor(/^epoch 1\/4/m);
    rmSync(join(dir, 'out'), { recursive: true }); // the directory vanishes mid-run
    const { code } = await p.exit;
    expect(code).toBe(1);
    const fallback = /saved to (\S+\.json) instead/.exec(p.stderr())?.[1];
    expect(fallback).toBeDefined();
    expect(loadModel(fallback!).meta!.progress.epoch).toBe(4);
    rmSync(fallback!);
    expect(p.stderr().trim().split('\n').pop()).toMatch(/^digit-train: could not write .*m\.json; the model is in /);
  });

  it('damaged data is reported by file name before training', () => {
    const dir = writeDataDir();
    // a changed file: reported against the expected SHA-256
    const sums = Object.fromEntries(readdirSync(dir).map((f) => [f, '0'.repeat(64)]));
    expect(loadMnist({ dir, checksums: sums }).checksumMismatches.sort()).toEqual(readdirSync(dir).sort());
    // a file shorter than its header says
    const gz = join(dir, 'train-images-idx3-ubyte');
    writeFileSync(`${gz}.gz`, gzipSync(readFileSync(gz).subarray(0, 500)));
    rmSync(gz);
    const r = run(['--data', dir, '--out', join(tempDir(), 'm.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^digit-train: .*train-images-idx3-ubyte\.gz: 500 bytes, but the header \(120 images of 6x6\) needs 4336: truncated$/);
    expect(r.stdout).not.toMatch(/^epoch/m);
  });

  it('bad model files and flags: one line, exit 2, no file created or damaged', () => {
    const dir = tempDir();
    const good = join(dir, 'good.json');
    expect(run(['--train-size', '100', '--epochs', '1', '--batch', '10', '--out', good]).code).toBe(0);
    const doc = JSON.parse(readFileSync(good, 'utf8'));
    const nan = join(dir, 'nan.json');
    writeFileSync(nan, JSON.stringify(doc).replace(/"weights":\[\[\[(-?[0-9.e-]+)/, '"weights":[[["NaN"'));
    const shape = join(dir, 'shape.json');
    writeFileSync(shape, JSON.stringify({ ...doc, biases: [doc.biases[0].slice(1), doc.biases[1]] }));
    const before = readdirSync(dir).sort();
    const cases: [string[], RegExp][] = [
      [['--init', nan], /nan\.json: weights\[0\]\[0\]\[0\] is "NaN", not a finite number$/],
      [['--resume', shape], /shape\.json: biases\[0\] has 29 rows, sizes\[1\] is 30$/],
      [['--momentum', '1'], /--momentum: "1" is not a number in \[0, 1\)$/],
      [['--checkpoint-every', '-1'], /--checkpoint-every: "-1" is not a whole number ≥ 0$/],
      [['--keep', 'worst'], /--keep: "worst" is not one of best, last$/],
    ];
    for (const [args, message] of cases) {
      const r = run([...args, '--train-size', '100', '--epochs', '1', '--out', join(dir, 'new.json')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual(before);
    }
    expect(readFileSync(good, 'utf8')).toBe(JSON.stringify(doc));
    expect(existsSync(join(dir, 'new.json'))).toBe(false);
    const debug = run(['--init', nan, '--debug', '--out', join(dir, 'new.json')]);
    expect(debug.stderr).toMatch(/at parse(Any)?Model/); // the stack trace only with --debug
  });

  it('training that diverges stops with one line and writes nothing', () => {
    const out = join(tempDir(), 'm.json');
    const r = run(['--train-size', '1000', '--epochs', '2', '--activation', 'relu', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '1e300', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^digit-train: training diverged: the cost became NaN or infinite in epoch 1, mini-batch \d+ \(η 1e\+300\); nothing was saved; try a smaller --eta$/);
    expect(existsSync(out)).toBe(false);
  });

  it('long runs do not grow: memory after 60 epochs equals memory after 5', () => {
    const script = `
      import { makeDigitSet, createNetwork, Random, Trainer, newProgress, DEFAULT_TRAIN_OPTIONS } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const r = new Random(1);
      const n = 2000, px = new Uint8Array(n * 784), lb = new Uint8Array(n);
      for (let i = 0; i < px.length; i++) px[i] = r.next() < 0.8 ? 0 : 255 * r.next();
      for (let i = 0; i < n; i++) lb[i] = i % 10;
      const set = makeDigitSet('mem', px, lb, 28, 28);
      const net = createNetwork({ sizes: [784, 30, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, r);
      const t = new Trainer(net, { train: set, test: set }, { ...DEFAULT_TRAIN_OPTIONS, momentum: 0.5 }, newProgress(r, 3));
      const rss = [];
      for (let e = 1; e <= 60; e++) { t.runEpoch(); if (e === 5 || e === 60) { global.gc(); rss.push(process.memoryUsage().rss); } }
      console.log(JSON.stringify(rss));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const [at5, at60] = JSON.parse(r.stdout) as number[];
    expect(Math.abs(at60 - at5)).toBeLessThan(4 * 1024 * 1024);
  });
});
