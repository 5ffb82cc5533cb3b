import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { saveModel } from '../../src/model/model.js';
import { tempDir, writeDataDir } from '../helpers.js';
import { train } from '../report/fixtures.js';
import { checkHtml, externalReferences } from '../report/html-check.js';
import { run } from './run.js';

/** A data directory of 6×6 images (100 training, 20 validation, 40 test) and a model trained on it, saved in `dir`. */
function smallModel(): { data: string; model: string; dir: string } {
  const data = writeDataDir({ train: 120, test: 40 });
  const dir = tempDir();
  const model = join(dir, 'm.json');
  saveModel(model, train(loadMnist({ dir: data }), { hidden: [5], epochs: 2 }));
  return { data, model, dir };
}

const cellSum = (html: string) => [...html.matchAll(/data-count="(\d+)"/g)].reduce((s, m) => s + Number(m[1]), 0);

describe('digit-train report', () => {
  it('writes one self-contained HTML file and says where; --open opens it with xdg-open and prints its file:// URL', async () => {
    const { data, model, dir } = smallModel();
    const out = join(dir, 'r.html');
    // A stand-in xdg-open on PATH that records what it was asked to open.
    const bin = tempDir();
    const opened = join(bin, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}.tmp' && mv '${opened}.tmp' '${opened}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const r = run(['report', model, '--data', data, '-o', out, '--open'], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}` } });
    for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((res) => setTimeout(res, 50));
    expect(readFileSync(opened, 'utf8')).toBe(`${pathToFileURL(out).href}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^wrote ${out}: ${model} on ${data} test, \\d+ / 40 \\(\\d+\\.\\d\\d%\\)$`));
    expect(lines[1]).toBe(pathToFileURL(out).href);
    const html = readFileSync(out, 'utf8');
    expect(checkHtml(html).problems).toEqual([]);
    expect(externalReferences(html)).toEqual([]);
    expect(cellSum(html)).toBe(40);
    expect(readdirSync(dir).sort()).toEqual(['m.json', 'r.html']); // no temporary file left
  });

  it('--open without an opener on PATH: a digit-train: warning with the URL, the report still written (exit 0)', () => {
    const { data, model, dir } = smallModel();
    const out = join(dir, 'r.html');
    const r = run(['report', model, '--data', data, '-o', out, '--open'], { cwd: dir, env: { PATH: tempDir() } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`digit-train: warning: could not open the report (xdg-open was not found); open ${pathToFileURL(out).href} in a browser\n`);
    expect(existsSync(out)).toBe(true);
  });

  it('defaults to report.html in the working directory, and --split picks the images', () => {
    const { data, model, dir } = smallModel();
    const r = run(['report', model, '--data', data, '--split', 'train'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote report\.html: .* on .* train\[0:120\], \d+ \/ 120 /);
    expect(r.stdout).not.toMatch(/file:/);
    expect(cellSum(readFileSync(join(dir, 'report.html'), 'utf8'))).toBe(120);
  });

  it('reports a model trained by digit-train on real MNIST', () => {
    const dir = tempDir();
    expect(run(['--train-size', '1000', '--epochs', '2', '--hidden', '10', '--out', 'm.json'], { cwd: dir }).code).toBe(0);
    const r = run(['report', 'm.json', '-o', 'out.html'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote out\.html: m\.json on MNIST test, \d{4} \/ 10000 \(\d\d\.\d\d%\)\n$/);
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    expect(cellSum(html)).toBe(10_000);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);
    expect(html.match(/<circle /g)).toHaveLength(2 * 2 + 2); // train and test cost, test accuracy: 2 epochs each
    expect(html.match(/alt="first-layer weights of neuron \d+"/g)).toHaveLength(10);
  });

  const cases: [string, (f: ReturnType<typeof smallModel>) => string[], RegExp][] = [
    ['a missing model file', (f) => ['report', join(f.dir, 'nope.json'), '--data', f.data], /^digit-train: .*nope\.json: no such file\n$/],
    ['a directory that does not exist for --out', (f) => ['report', f.model, '--data', f.data, '-o', join(f.dir, 'no', 'r.html')], /^digit-train: --out .*r\.html: directory .*no does not exist\n$/],
    ['--out naming a directory', (f) => (mkdirSync(join(f.dir, 'sub')), ['report', f.model, '--data', f.data, '-o', join(f.dir, 'sub')]), /^digit-train: --out .*sub: is a directory\n$/],
    ['an unknown --split', (f) => ['report', f.model, '--data', f.data, '--split', 'dev'], /^digit-train: --split: "dev" is not one of test, validation, train\n$/],
    ['--split validation without a validation set', (f) => ['report', f.model, '--data', f.data, '--split', 'validation'], /^digit-train: --split validation: .* has no images beyond the training split\n$/],
    ['a model for other images (hint: --data)', (f) => ['report', f.model], /^digit-train: .*m\.json: the model takes 36 inputs, the images of MNIST test have 28x28 = 784 pixels \(it was trained on .*: give --data .*\)\n$/],
    ['no model argument', () => ['report'], /^digit-train: missing required argument 'model'\n$/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}: one line, exit code 2, no file`, () => {
      const f = smallModel();
      const r = run(args(f), { cwd: f.dir });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(existsSync(join(f.dir, 'report.html'))).toBe(false);
    });
  }

  it('takes a conv model: `report` and `train --layers --report` draw its first conv layer\'s filters and feature maps', () => {
    const data = writeDataDir({ train: 120, test: 40 });
    const dir = tempDir();
    const model = join(dir, 'c.json');
    const during = join(dir, 'during.html');
    const layers = ['--layers', 'conv:4x3:relu,pool:2,dense:6', '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.2'];
    const t = run(['--data', data, ...layers, '--epochs', '1', '--elastic', '--out', model, '--report', during, '--quiet']);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    const out = join(dir, 'after.html');
    const r = run(['report', model, '--data', data, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out}: ${model} on ${data} test, \\d+ / 40 `));
    for (const html of [readFileSync(during, 'utf8'), readFileSync(out, 'utf8')]) {
      expect(checkHtml(html).problems).toEqual([]);
      expect(externalReferences(html)).toEqual([]);
      expect(cellSum(html)).toBe(40);
      expect(html.match(/alt="filter \d of conv layer 1"/g)).toHaveLength(4);
      expect(html.match(/alt="feature map of filter \d after conv layer 1"/g)).toHaveLength(4);
      expect(html.match(/alt="feature map of filter \d after pool layer 2"/g)).toHaveLength(4);
      expect(html).toContain('<th scope="row">elastic distortions</th><td>α 34, σ 4 pixels</td>');
    }
    // the same model, test set and page (but for the file name in the title)
    expect(readFileSync(out, 'utf8').replaceAll(model, 'M')).toBe(readFileSync(during, 'utf8').replaceAll(model, 'M'));
  });

  it('--help lists its options', () => {
    const r = run(['report', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['-o, --out <file>', '--split <name>', '--data <dir>', '--open']) expect(r.stdout).toContain(flag);
  });
});
