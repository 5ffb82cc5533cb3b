/**
 * Hostile and unlucky input, as a user would meet it on the command line: model files with
 * fields out of range, huge histories, outputs that name inputs or devices, bombs (a .gz that
 * inflates to a gigabyte, /dev/zero, a FIFO, a PNG header claiming 16000×16000), images and
 * labels the network cannot take, huge --hidden, terminal escapes in files, bad bench baselines
 * and reference programs. Every run ends with one line and exit 0, 1 or 2, in bounded time.
 * The bombs are generated here, not committed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx.js';
import { loadModel } from '../../src/model/model.js';
import { run, type RunResult } from '../cli/run.js';
import { runAsync } from './spawn.js';
import { randomImages, tempDir, writeDataDir } from '../helpers.js';

/** A small data set and a model trained on it (2 epochs). */
function trained(): { data: string; dir: string; model: string; doc: any } {
  const data = writeDataDir();
  const dir = tempDir();
  const model = join(dir, 'm.json');
  const r = run(['--data', data, '--epochs', '2', '--batch', '10', '--out', model]);
  expect(r.code, r.stderr).toBe(0);
  return { data, dir, model, doc: JSON.parse(readFileSync(model, 'utf8')) };
}

/** One line on stderr, exit 2, naming `file` and matching `message`. */
function refused(r: RunResult, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const line = r.stderr.trim();
  expect(line.split('\n')).toHaveLength(1);
  expect(line).toMatch(message);
}

const set = (doc: any, path: string, value: unknown): any => {
  const copy = structuredClone(doc);
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce((o, k) => o[k], copy);
  parent[keys[keys.length - 1]] = value;
  return copy;
};

describe('hostile model fields: exit 2, one line naming the file and the field', () => {
  /** [field, value, also try --resume] */
  const cases: [string, unknown, boolean?][] = [
    ['digitTrain.init', { scheme: 'normal' }],
    ['digitTrain.created', 5],
    ['digitTrain.monitor', 5],
    ['digitTrain.monitor', 'test', true],
    ['digitTrain.options.batch', 2.5, true],
    ['digitTrain.options.batch', 1e300],
    ['digitTrain.options.momentum', 5, true],
    ['digitTrain.options.lambda', -1e308, true],
    ['digitTrain.progress.epoch', 2 ** 53],
    ['digitTrain.progress.epoch', 1e300, true],
    ['digitTrain.progress.batchInEpoch', 999, true],
    ['digitTrain.dataset.name', ''],
    ['digitTrain.keptEpoch', 7],
    ['digitTrain.seed', 2 ** 40],
  ];
  it(`${cases.length} fields, with info (and some with --resume)`, async () => {
    const { data, dir, doc } = trained();
    // the runs are independent: started together, they take the time of the slowest few
    await Promise.all(
      cases.map(async ([path, value, resume], i) => {
        const file = join(dir, `hostile-${i}.json`);
        writeFileSync(file, JSON.stringify(set(doc, path, value)));
        const field = path.replace(/\./g, '\\.');
        const message = new RegExp(`^digit-train: .*hostile-${i}\\.json: ${field} `);
        const runs = [runAsync(['info', file], { timeout: 60_000 })];
        if (resume) runs.push(runAsync(['--resume', file, '--data', data, '--epochs', '1', '--out', join(dir, 'out.json')], { timeout: 60_000 }));
        for (const r of await Promise.all(runs)) refused(r, message);
      }),
    );
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
   }, 180_000);

  it('a resume point that the given --batch does not have is refused', () => {
    const { data, dir, doc } = trained();
    const file = join(dir, 'mid.json');
    const mid = structuredClone(doc);
    Object.assign(mid.digitTrain.progress, { batchInEpoch: 11, epochSeen: 110, epochCostSum: 1 });
    writeFileSync(file, JSON.stringify(mid));
    expect(run(['info', file]).code).toBe(0); // consistent in itself: 11 of 12 mini-batches of 10
    refused(run(['--resume', file, '--data', data, '--batch', '20', '--epochs', '1', '--out', file]), /--resume .*mid\.json: it stopped after mini-batch 11 .* --batch 20/);
  });
});

describe('huge histories and epoch counts: no stack overflow, no endless loop', () => {
  it('200,000 history entries and epoch 10^12 work in info, report and --resume; 10^300 is refused', async () => {
    const { data, dir, doc } = trained();
    const long = structuredClone(doc);
    const h0 = doc.digitTrain.progress.history[0];
    long.digitTrain.progress.history = Array.from({ length: 200_000 }, (_, i) => ({ ...h0, epoch: i + 1 }));
    long.digitTrain.progress.epoch = 200_000;
    const far = set(doc, 'digitTrain.progress.epoch', 1e12);
    far.digitTrain.progress.history[1].epoch = 1e12;
    await Promise.all(
      ([['long', long], ['far', far]] as const).map(async ([name, m]) => {
        const file = join(dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(m));
        const all = [['info', file], ['report', file, '--data', data, '-o', join(dir, `${name}.html`)], ['--resume', file, '--data', data, '--epochs', '1', '--out', join(dir, `${name}-next.json`)]];
        const results = await Promise.all(all.map((args) => runAsync(args, { timeout: 120_000 })));
        results.forEach((r, k) => expect(r.code, `${all[k].join(' ')}: ${r.stderr}`).toBe(0));
        expect(loadModel(join(dir, `${name}-next.json`)).meta!.progress.epoch).toBe(m.digitTrain.progress.epoch + 1);
      }),
    );
    writeFileSync(join(dir, 'e300.json'), JSON.stringify(set(doc, 'digitTrain.progress.epoch', 1e300)));
    refused(await runAsync(['--resume', join(dir, 'e300.json'), '--data', data, '--epochs', '1', '--out', join(dir, 'x.json')], { timeout: 20_000 }), /e300\.json: digitTrain\.progress\.epoch is 1e\+300/);
   }, 180_000);
});

describe('outputs', () => {
  it('an output that is an input or another output is refused, and nothing is replaced', () => {
    const { data, dir, model } = trained();
    const before = readFileSync(model, 'utf8');
    refused(run(['--data', data, '--epochs', '1', '--out', model, '--report', model]), /--report .*m\.json: is also --out/);
    refused(run(['report', model, '--data', data, '-o', model]), /--out .*m\.json: is also the model, which is read/);
    linkSync(model, join(dir, 'hard.html'));
    refused(run(['report', model, '--data', data, '-o', join(dir, 'hard.html')]), /hard\.html: is also the model/);
    refused(run(['--data', data, '--epochs', '1', '--init', model, '--out', join(dir, 'hard.html')]), /--out .*hard\.html: is also --init/);
    const labels = join(data, 't10k-labels-idx1-ubyte');
    const labelBytes = readFileSync(labels);
    refused(run(['--data', data, '--epochs', '1', '--out', labels]), /--out .*t10k-labels-idx1-ubyte: is also --data, which is read/);
    refused(run(['report', model, '--data', data, '-o', labels]), /t10k-labels-idx1-ubyte: is also --data/);
    expect(readFileSync(labels).equals(labelBytes)).toBe(true);
    expect(readFileSync(model, 'utf8')).toBe(before);
    // continuing a run in its own checkpoint stays allowed
    expect(run(['--resume', model, '--data', data, '--epochs', '1', '--out', model]).code).toBe(0);
  });

  it('an output that is a FIFO or a device is refused, and stays what it was', () => {
    const { data, dir, model } = trained();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const devnull = join(dir, 'null.json');
    symlinkSync('/dev/null', devnull);
    refused(run(['--data', data, '--epochs', '1', '--out', fifo]), /--out .*pipe: is a FIFO \(named pipe\), not a regular file/);
    refused(run(['--data', data, '--epochs', '1', '--out', devnull]), /--out .*null\.json: is a character device, not a regular file/);
    refused(run(['report', model, '--data', data, '-o', fifo]), /pipe: is a FIFO/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readlinkSync(devnull)).toBe('/dev/null');
  });
});

/** CRC-32 of PNG chunks (ISO 3309). */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

describe('bombs are refused in bounded time and memory', () => {
  it('a .gz of 4 MB that inflates to 1 GiB: refused after the header, using little memory', () => {
    const dir = tempDir();
    const zeros = Buffer.alloc(64 * 2 ** 20);
    const header = encodeIdxImages(new Uint8Array(784), 1, 28, 28); // declares one image
    const member = gzipSync(zeros, { level: 1 });
    const bomb = join(dir, 'bomb.gz');
    writeFileSync(bomb, Buffer.concat([gzipSync(Buffer.concat([header, zeros])), ...Array.from({ length: 15 }, () => member)]));
    const script = `
      import { readIdxImages } from ${JSON.stringify(new URL('../../dist/data/idx.js', import.meta.url).href)};
      let message = '';
      try { readIdxImages(${JSON.stringify(bomb)}); } catch (err) { message = err.message; }
      console.log(JSON.stringify({ message, maxRssMB: process.resourceUsage().maxRSS / 1024 }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    const { message, maxRssMB } = JSON.parse(r.stdout);
    expect(message).toMatch(/bomb\.gz: inflates to more than the 800 bytes its header declares$/);
    expect(maxRssMB).toBeLessThan(300);
  });

  it('/dev/zero and FIFOs as data or model files: one line, at once', () => {
    const data = writeDataDir();
    const dir = tempDir();
    const zeroData = join(dir, 'zero');
    mkdirSync(zeroData);
    for (const f of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) linkSync(join(data, f), join(zeroData, f));
    symlinkSync('/dev/zero', join(zeroData, 'train-images-idx3-ubyte'));
    refused(run(['--data', zeroData, '--epochs', '1', '--out', join(dir, 'm.json')], { timeout: 20_000 }), /train-images-idx3-ubyte: is a character device, not a regular data file$/);
    refused(run(['info', '/dev/zero'], { timeout: 20_000 }), /^digit-train: \/dev\/zero: is a character device, not a regular model file$/);
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    refused(run(['info', fifo], { timeout: 20_000 }), /fifo\.json: is a FIFO \(named pipe\), not a regular model file$/);
  });

  it('a PNG whose header claims 16000×16000, a PGM header claiming as much: refused before decoding', () => {
    const { dir, model } = trained();
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(16000, 0);
    ihdr.writeUInt32BE(16000, 4);
    ihdr[8] = 8; // bit depth; colour type 0 (grey)
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(16001 * 64))), pngChunk('IEND', new Uint8Array(0))]);
    writeFileSync(join(dir, 'huge.png'), png);
    writeFileSync(join(dir, 'huge.pgm'), 'P5 16000 16000 255\n');
    const t = performance.now();
    refused(run(['predict', model, join(dir, 'huge.png')], { timeout: 20_000 }), /huge\.png: the PNG header claims 16000x16000 is too large/);
    refused(run(['predict', model, join(dir, 'huge.pgm')], { timeout: 20_000 }), /huge\.pgm: image size 16000x16000 is too large/);
    expect(performance.now() - t).toBeLessThan(20_000);
  });

  it('--hidden too large for memory or for a model file: refused before training', () => {
    const out = join(tempDir(), 'm.json');
    const big = run(['--hidden', '40000', '--train-size', '100', '--epochs', '1', '--out', out], { timeout: 60_000 });
    refused(big, /^digit-train: --hidden 40000: the model file of a 784-40000-10 network .* more than the .* a model file can hold; use fewer neurons$/);
    const huge = run(['--hidden', '100000,100000,100000', '--train-size', '100', '--epochs', '1', '--out', out], { timeout: 60_000 });
    refused(huge, /^digit-train: --hidden 100000,100000,100000: a 784-100000-100000-100000-10 network needs about .* of memory to train, this machine has /);
    expect(big.stdout + huge.stdout).not.toMatch(/^epoch/m);
    expect(existsSync(out)).toBe(false);
  });
});

describe('images and labels the network cannot take', () => {
  it('300×300 images: exit 2 naming the file; a label beyond the classes: exit 2 naming the label file', () => {
    const dir = tempDir();
    const { images } = randomImages(4, 300, 300, 10);
    const big = join(dir, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'train-images-idx3-ubyte'), encodeIdxImages(images, 4, 300, 300));
    writeFileSync(join(big, 't10k-images-idx3-ubyte'), encodeIdxImages(images, 4, 300, 300));
    for (const f of ['train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte']) writeFileSync(join(big, f), encodeIdxLabels(Uint8Array.from([0, 1, 2, 3])));
    refused(run(['--data', big, '--epochs', '1', '--batch', '2', '--out', join(dir, 'm.json')]), /big\/train-images-idx3-ubyte: images of 300x300 = 90000 pixels are larger than the 65536 pixels/);

    // a network2.py model taking 300×300 = 90000 inputs, asked about a picture
    const wide = join(dir, 'wide.json');
    writeFileSync(wide, JSON.stringify({ sizes: [90000, 1, 2], weights: [[new Array(90000).fill(0)], [[0], [0]]], biases: [[[0]], [[0], [0]]], cost: 'QuadraticCost' }));
    writeFileSync(join(dir, 'digit.pgm'), 'P2 2 2 255\n0 255 255 0\n');
    refused(run(['predict', wide, join(dir, 'digit.pgm')]), /wide\.json: the model takes 90000 inputs, more than the 65536 pixels/);

    const stray = writeDataDir();
    const labels = readFileSync(join(stray, 'train-labels-idx1-ubyte'));
    labels[8 + 17] = 200;
    writeFileSync(join(stray, 'train-labels-idx1-ubyte'), labels);
    refused(run(['--data', stray, '--epochs', '1', '--out', join(dir, 'm.json')]), /train-labels-idx1-ubyte: image 17 has label 200, but no image has labels 10 to 199/);
    expect(existsSync(join(dir, 'm.json'))).toBe(false);
  });
});

describe('text from files never reaches the terminal raw', () => {
  it('terminal escapes in a model file or a file name are shown quoted', () => {
    const { dir, doc } = trained();
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '\x1b[2J\x1b[31mgotcha\x07\r');
    const named = join(dir, 'named.json');
    writeFileSync(named, JSON.stringify(set(doc, 'digitTrain.dataset.name', '\x1b]0;title\x07MNIST')));
    for (const r of [run(['info', junk]), run(['info', named]), run(['info', join(dir, 'no\x1b[1msuch.json')])]) {
      expect(r.code).toBe(2);
      expect(r.stderr + r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
      expect(r.stderr).toMatch(/\\x1b|\\u001b/);
    }
  });
});

describe('bench: baselines and reference programs', () => {
  const bench = ['bench', '--train-size', '100', '--hidden', '30', '--batch', '10', '--epochs', '1', '--warmup', '0'];

  it('a bad --baseline is refused before anything is measured', async () => {
    const dir = tempDir();
    const good = { workloads: [{ name: '784-30-10 batch 10', trainSeconds: 1 }] };
    const bad: [unknown, RegExp][] = [
      [{ workloads: [null] }, /workloads\[0\] is not an object/],
      [{ workloads: [{ name: '784-30-10 batch 10', trainSeconds: 'fast' }] }, /workloads\[0\]\.trainSeconds is not a positive number/],
      [{ workloads: [{ name: '784-30-10 batch 10', trainSeconds: -1 }] }, /workloads\[0\]\.trainSeconds is not a positive number/],
      [{ workloads: [] }, /empty: it compares nothing/],
      [{ workloads: [{ name: '784-99-10 batch 7', trainSeconds: 1 }] }, /none of the workloads measured now/],
    ];
    for (const [i, [doc, message]] of bad.entries()) {
      const file = join(dir, `b${i}.json`);
      writeFileSync(file, JSON.stringify(doc));
      const r = await runAsync([...bench, '--baseline', file]);
      refused(r, message);
      expect(r.stderr).not.toMatch(/data loaded/);
    }
    writeFileSync(join(dir, 'good.json'), JSON.stringify(good));
    expect((await runAsync([...bench, '--baseline', join(dir, 'good.json'), '--tolerance', '1000'])).code).toBe(0);
  });

  it('a reference that does not compile, prints garbage or never exits: one line and a time limit', async () => {
    const dir = tempDir();
    const plain = join(dir, 'plain.c');
    writeFileSync(plain, 'not a program');
    const args = ['bench', '--hidden', '30', '--batch', '10', '--epochs', '1', '--warmup', '0', '--rounds', '1', '--reference-timeout', '2'];
    refused(run([...args, '--compare-reference', plain]), /^digit-train: --compare-reference: cc could not compile .*plain\.c: /);
    const garbage = join(dir, 'garbage.c');
    writeFileSync(garbage, '#include <stdio.h>\nint main(void) { printf("\\033[31mhello\\n"); return 0; }\n');
    const hang = join(dir, 'hang.c');
    writeFileSync(hang, '#include <unistd.h>\nint main(void) { sleep(600); return 0; }\n');
    const g = await runAsync([...args, '--compare-reference', garbage], { timeout: 60_000 });
    expect(g.code).toBe(1);
    expect(g.stderr.trim().split('\n').pop()).toMatch(/^digit-train: --compare-reference .*garbage\.c: unexpected output .*"\\u001b\[31mhello\\n"$/);
    const t = performance.now();
    const h = await runAsync([...args, '--compare-reference', hang], { timeout: 60_000 });
    expect(h.code).toBe(1);
    expect(h.stderr.trim().split('\n').pop()).toMatch(/^digit-train: --compare-reference .*hang\.c: did not finish within 2 s \(--reference-timeout\); stopped$/);
    expect(performance.now() - t).toBeLessThan(30_000);
  });

});
