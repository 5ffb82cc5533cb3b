import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/model.js';
import { tempDir, writeDataDir } from '../helpers.js';
import { BIN, run } from './run.js';

describe('digit-train (train) as a user runs it', () => {
  it('--help and --version', () => {
    const h = run(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Usage: digit-train/);
    expect(run(['train', '--help']).stdout).toMatch(/--epochs <n>/);
    const v = run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('trains on real MNIST: one line per epoch, a loadable model', () => {
    const dir = tempDir();
    const out = join(dir, 'm.json');
    const r = run(['--train-size', '2000', '--epochs', '2', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/seed 1 \(default\)/);
    expect(r.stdout).toMatch(/SHA-256 verified/);
    const epochs = r.stdout.split('\n').filter((l) => /^epoch /.test(l));
    expect(epochs).toHaveLength(2);
    for (const l of epochs) expect(l).toMatch(/^epoch [12]\/2 {2}cost 0\.\d{4} {2}test \d{4} \/ 10000 \(\d+\.\d\d%\) {2}\d+\.\d\ds$/);
    expect(r.stdout).toMatch(/saved .*m\.json/);
    const model = loadModel(out);
    expect(model.net.sizes).toEqual([784, 30, 10]);
    expect(model.meta?.progress.history).toHaveLength(2);
    expect(model.meta?.dataset.sha256?.['train-images-idx3-ubyte']).toMatch(/^ba8910/);
    // more than chance after 2 epochs on 2000 images
    expect(model.meta!.progress.history[1].test!.accuracy).toBeGreaterThan(0.6);
  });

  it('--keep best saves the weights of the best validation epoch, also without --early-stop or --eta-patience', () => {
    const out = join(tempDir(), 'best.json');
    // η 30 on 1,000 images: validation accuracy climbs, then falls back in the last epoch
    const r = run(['--train-size', '1000', '--epochs', '6', '--eta', '30', '--keep', 'best', '--monitor', 'validation,test', '--out', out]);
    expect(r.code).toBe(0);
    const model = loadModel(out);
    const history = model.meta!.progress.history;
    const best = history.reduce((p, h) => (h.validation!.correct > p.validation!.correct ? h : p));
    expect(best.epoch).toBeLessThan(6); // the case that matters: the last epoch is not the best
    expect(model.meta!.keptEpoch).toBe(best.epoch);
    expect(r.stdout).toMatch(new RegExp(`weights of epoch ${best.epoch}\\)`));
    // the saved weights are that epoch's: they score what it scored
    const e = run(['eval', out, '--split', 'validation', '--json']);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).correct).toBe(best.validation!.correct);
  });

  it('--json prints one parsable object per epoch and a summary', () => {
    const dir = writeDataDir({ gzip: true });
    const out = join(tempDir(), 'm.json');
    const r = run(['--data', dir, '--epochs', '3', '--hidden', '8,6', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['start', 'epoch', 'epoch', 'epoch', 'done']);
    expect(lines[3].test.count).toBe(40);
    expect(loadModel(out).net.sizes).toEqual([36, 8, 6, 10]);
  });

  it('the same seed gives the same model file weights', () => {
    const dir = writeDataDir();
    const a = join(tempDir(), 'a.json');
    const b = join(tempDir(), 'b.json');
    run(['--data', dir, '--epochs', '2', '--seed', '9', '--out', a]);
    run(['--data', dir, '--epochs', '2', '--seed', '9', '--out', b]);
    expect(loadModel(a).net.params).toEqual(loadModel(b).net.params);
  });

  it('--no-shuffle keeps the file order: the generator is not drawn from after the initial weights', () => {
    const dir = writeDataDir();
    const state = (args: string[]) => {
      const out = join(tempDir(), 'm.json');
      expect(run(['--data', dir, '--out', out, ...args]).code).toBe(0);
      return loadModel(out).meta!.progress.rngState;
    };
    expect(state(['--epochs', '1', '--no-shuffle'])).toBe(state(['--epochs', '3', '--no-shuffle']));
    expect(state(['--epochs', '1'])).not.toBe(state(['--epochs', '3']));
  });

  it('--init starts from the weights of a network2.py file', () => {
    const dir = writeDataDir();
    const first = join(tempDir(), 'first.json');
    expect(run(['--data', dir, '--epochs', '2', '--hidden', '7', '--out', first]).code).toBe(0);
    const { digitTrain: _, ...network2 } = JSON.parse(readFileSync(first, 'utf8'));
    const n2 = join(tempDir(), 'network2.json');
    writeFileSync(n2, JSON.stringify(network2));
    const out = join(tempDir(), 'm.json');
    const r = run(['--data', dir, '--epochs', '1', '--init', n2, '--eta', '1e-300', '--out', out]);
    expect(r.code).toBe(0);
    const model = loadModel(out);
    expect(model.meta!.init).toBe('file');
    expect(model.meta!.initFrom).toBe(n2);
    expect(model.net.sizes).toEqual([36, 7, 10]);
    // η ≈ 0: the weights are still network2's
    expect(JSON.parse(readFileSync(out, 'utf8')).weights).toEqual(network2.weights);
  });

  it('on a terminal: a progress bar across the mini-batches, and colours (none with NO_COLOR)', () => {
    const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (script.status !== 0) {
      console.warn('skipped: no `script` command to run digit-train on a pseudo-terminal');
      return;
    }
    const tty = (env: string) =>
      spawnSync('script', ['-qec', `${env} ${process.execPath} ${BIN} --train-size 2000 --epochs 1 --out ${join(tempDir(), 'm.json')}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' } }).stdout;
    const coloured = tty('env -u NO_COLOR');
    expect(coloured).toMatch(/epoch 1\/1 [█░]+ \d+% \| \d+\/200 batches/);
    expect(coloured).toMatch(/\x1b\[1mtest \d+ \/ 10000/);
    const plain = tty('NO_COLOR=1');
    expect(plain).toMatch(/\d+\/200 batches/);
    expect(plain).not.toMatch(/\x1b\[(1|2|3\d)m/);
  });

  it('output piped into a reader that stops early (| head -1): exit 0, no stack trace, and the model is still saved', async () => {
    const { spawn } = await import('node:child_process');
    const out = join(tempDir(), 'm.json');
    const child = spawn(process.execPath, [BIN, '--train-size', '2000', '--epochs', '3', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(loadModel(out).meta!.progress.epoch).toBe(3); // the whole run, not cut short by the closed pipe
  });

  const bad: [string[], RegExp][] = [
    [['--epochs', '0'], /^digit-train: --epochs: "0" is not a positive integer$/],
    [['--epochs', '2.5'], /^digit-train: --epochs: "2.5" is not a positive integer$/],
    [['--batch', 'x'], /^digit-train: --batch: "x" is not a positive integer$/],
    [['--eta', '-1'], /^digit-train: --eta: "-1" is not a positive finite number$/],
    [['--eta', 'Infinity'], /^digit-train: --eta: "Infinity" is not a positive finite number$/],
    [['--hidden', '30,,10'], /^digit-train: --hidden: "30,,10" is not a comma-separated list of layer sizes/],
    [['--activation', 'swish'], /^digit-train: --activation: "swish" is not one of sigmoid, tanh, relu$/],
    [['--frobnicate'], /^digit-train: unknown option '--frobnicate'$/],
    [['--batch', '60000', '--train-size', '100'], /^digit-train: --batch 60000 is larger than the training set \(100 images\)$/],
    [['--hidden', '4000', '--batch', '50000'], /^digit-train: --batch 50000: a mini-batch of 50000 through 784-4000-10 needs \d+ MiB of working memory; at most 2032 MiB can be addressed: use a smaller batch$/],
    [['--train-size', '60000'], /^digit-train: --train-size 60000 is larger than the training split \(50000 images\)$/],
    [['--hidden', '0'], /^digit-train: --hidden: "0" is not a comma-separated list of layer sizes/],
    [['--data', '/nonexistent/dir'], /^digit-train: \/nonexistent\/dir: data directory does not exist$/],
    [['--out', '/nonexistent/dir/m.json'], /^digit-train: --out \/nonexistent\/dir\/m\.json: directory \/nonexistent\/dir does not exist$/],
    [['--init', '/nonexistent/m.json'], /^digit-train: --init \/nonexistent\/m\.json: not one of normal, scaled, he, and no such model file$/],
    [['--init', 'foo'], /^digit-train: --init foo: not one of normal, scaled, he, and no such model file$/],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')}: exit 2, one line, no file`, () => {
      const cwd = tempDir();
      const r = run(args.includes('--epochs') ? args : [...args, '--epochs', '1'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).toBe('');
      expect(readdirSync(cwd)).toEqual([]);
    });
  }

  it('refuses an unwritable --out before training', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: use a path whose parent is a file instead
      const d = tempDir();
      writeFileSync(join(d, 'f'), '');
      const r = run(['--out', join(d, 'f', 'm.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--out .*f\/m\.json: directory .* does not exist/);
      return;
    }
    const d = tempDir();
    mkdirSync(join(d, 'ro'));
    chmodSync(join(d, 'ro'), 0o500);
    const r = run(['--out', join(d, 'ro', 'm.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write in directory/);
    expect(existsSync(join(d, 'ro', 'm.json'))).toBe(false);
  });

  it('a corrupt IDX file: exit 2 and the file named', () => {
    const dir = writeDataDir();
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0, 0, 40, 0, 0, 0, 6, 0, 0, 0, 6, 1, 2]));
    const r = run(['--data', dir, '--out', join(tempDir(), 'm.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/t10k-images-idx3-ubyte: 18 bytes, but the header \(40 images of 6x6\) needs 1456: truncated$/);
  });
});
