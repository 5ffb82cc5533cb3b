/**
 * The serve page with a conv (layer-list) model in a real browser: headless Chromium (Debian's
 * `chromium`, driven by puppeteer-core) draws a digit with the mouse, and what the page shows is
 * checked against the library's own forward pass on the pixels the page shows (and `digit-train
 * predict` on the picture it sent); the feature maps and filters are drawn, teach takes its step,
 * a layer list is trained from the page and its checkpoint resumes. Skipped without Chromium.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDigitSet } from '../../src/data/dataset.js';
import { loadAnyModel } from '../../src/model/model.js';
import { predictSet } from '../../src/nn/metrics.js';
import { CHROMIUM, SKIP } from '../chromium.js';
import { run } from '../cli/run.js';
import { CONV_LAYERS, startServe, trainedConvModel, type Served } from './serve-helpers.js';

if (!CHROMIUM) console.warn(`test/serve/browser-conv.test.ts: ${SKIP}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (a: number) => (Math.abs(a) >= 1e-3 || a === 0 ? a.toFixed(4) : a.toExponential(2));

describe.skipIf(!CHROMIUM)('the serve page with a conv model in headless Chromium', () => {
  let dir: string;
  let model: string;
  let data: string;
  let remove: () => void;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];
  const answers: { image: string; answer: any }[] = [];
  let inFlight = 0;

  beforeAll(async () => {
    ({ dir, model, data, remove } = trainedConvModel());
    served = await startServe([model, '--data', data, '--train-size', '300', '--out', join(dir, 'trained.json')], dir);
    const { launch } = await import('puppeteer-core');
    browser = await launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: mkdtempSync(join(tmpdir(), 'digit-train-chromium-')),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (!r.url().startsWith(served.url) && !r.url().startsWith('data:')) {
        foreign.push(r.url());
        void r.abort();
        return;
      }
      if (r.url().endsWith('/api/predict')) inFlight++;
      void r.continue();
    });
    page.on('response', (res) => {
      if (!res.url().endsWith('/api/predict')) return;
      const image = JSON.parse(res.request().postData() ?? '{}').image as string;
      void res
        .json()
        .then((answer) => answers.push({ image, answer }))
        .finally(() => inFlight--);
    });
    await page.goto(served.url, { waitUntil: 'networkidle0' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (served && served.running.child.exitCode === null) await served.stop();
    remove?.();
  });

  async function settled() {
    let quiet = 0;
    while (quiet < 4) {
      await sleep(100);
      quiet = inFlight === 0 ? quiet + 1 : 0;
    }
    return answers[answers.length - 1];
  }

  async function stroke(points: [number, number][]): Promise<void> {
    const box = (await (await page.$('#pad'))!.boundingBox())!;
    const at = (x: number, y: number) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height] as const;
    await page.mouse.move(...at(...points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 2 });
    await page.mouse.up();
  }

  it(CHROMIUM ? 'a digit drawn with the mouse: the page shows the library\'s prediction for the pixels it shows, the feature maps and the filters' : SKIP, async () => {
    await stroke([[75, 70], [140, 64], [205, 62], [185, 115], [160, 170], [140, 235]]); // a 7
    const last = await settled();
    const shown = await page.evaluate(() => ({
      predicted: document.getElementById('verdict')!.dataset.predicted,
      values: [...document.querySelectorAll('#bars td.v')].map((td) => td.textContent),
      seen: Array.from((document.getElementById('seen') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)),
      maps: [...document.querySelectorAll('#hidden .maps')].map((m) => ({
        name: m.querySelector('.name')!.textContent,
        tiles: [...m.querySelectorAll('canvas')].map((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]),
      })),
      firstMap: Array.from((document.querySelector('#hidden .maps canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 24, 24).data.filter((_, i) => i % 4 === 0)),
      filters: [...document.querySelectorAll('#weights canvas')].map((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]),
      title: document.getElementById('weights-title')!.textContent,
      modelLine: document.getElementById('model-line')!.textContent,
    }));
    // The library's forward pass on the 28×28 the page shows.
    const net = loadAnyModel(model).net;
    const lib = predictSet(net, makeDigitSet('seen', Uint8Array.from(shown.seen), Uint8Array.of(0), 28, 28));
    expect(shown.seen.some((v) => v > 0)).toBe(true);
    expect(shown.predicted).toBe(String(lib.predicted[0]));
    expect(shown.values).toEqual(Array.from(lib.outputs).map(fmt));
    // … and `digit-train predict` on the picture the page sent.
    const png = join(dir, 'drawn.png');
    writeFileSync(png, Buffer.from(last.image.split(',')[1], 'base64'));
    const cli = JSON.parse(run(['predict', model, png, '--json']).stdout).predictions[0];
    expect(cli.outputs).toEqual(Array.from(lib.outputs));
    // Feature maps: 3 of 24×24 after the conv layer, 3 of 12×12 after the pool; the first drawn from its values.
    expect(shown.maps).toEqual([
      { name: 'conv:3x5:relu: 3 × 24×24', tiles: [[24, 24], [24, 24], [24, 24]] },
      { name: 'pool:2: 3 × 12×12', tiles: [[12, 12], [12, 12], [12, 12]] },
    ]);
    const conv = last.answer.hidden[0] as number[];
    const lo = Math.min(...conv);
    const hi = Math.max(...conv);
    expect(hi).toBeGreaterThan(lo);
    expect(shown.firstMap).toEqual(conv.slice(0, 576).map((v) => Math.round((255 * (v - lo)) / (hi - lo))));
    expect(shown.filters).toEqual([[5, 5], [5, 5], [5, 5]]);
    expect(shown.title).toBe('First conv layer: its filters');
    expect(shown.modelLine).toContain(`layers ${CONV_LAYERS},dense:10:softmax`);
  }, 60_000);

  it(CHROMIUM ? 'teach takes its step and says the step-by-step account is for MLPs' : SKIP, async () => {
    const response = page.waitForResponse((r) => r.url().endsWith('/api/teach'));
    await page.click('#labels button:nth-child(8)');
    const lesson = await (await response).json();
    await page.waitForSelector('#lesson:not([hidden])');
    const state = await page.evaluate(() => ({
      note: !document.getElementById('lesson-note')!.hidden,
      error: !document.getElementById('lesson-error')!.hidden,
      chain: !document.getElementById('lesson-chain')!.hidden,
      step: document.getElementById('step-line')!.textContent,
      verdict: document.getElementById('verdict')!.dataset.predicted,
    }));
    expect(state).toMatchObject({ note: true, error: false, chain: false, verdict: String(lesson.after.predicted) });
    expect(state.step).toContain(`a of the 7 output ${fmt(lesson.before.outputs[7])} → ${fmt(lesson.after.outputs[7])}`);
    await page.click('#reset');
    await page.click('#clear');
  }, 30_000);

  it(CHROMIUM ? 'the training form offers the model\'s layer list; a run started and stopped checkpoints, and the checkpoint resumes' : SKIP, async () => {
    expect(await page.$eval('#t-kind', (e) => (e as HTMLSelectElement).value)).toBe('layers');
    expect(await page.$eval('#t-layers', (e) => (e as HTMLInputElement).value)).toBe(CONV_LAYERS);
    expect(await page.$eval('#t-hidden-label', (e) => (e as HTMLElement).hidden)).toBe(true);
    await page.$eval('#t-epochs', (e) => ((e as HTMLInputElement).value = '1000')); // still running when stopped: an epoch of 300 images takes milliseconds
    await page.click('#start');
    await page.waitForFunction(() => /^training: layers conv:3x5:relu,pool:2 \(softmax, log-likelihood\), η 0\.1, batch 10, 300 training images; epoch \d+ of 1000, mini-batch \d+ of 30/.test(document.getElementById('train-status')!.textContent!), { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelectorAll('#train-weights canvas').length === 3);
    expect(await page.$eval('#train-weights-title', (e) => e.textContent)).toBe('First conv layer: its filters forming');
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('train-status')!.dataset.state === 'stopped', { timeout: 30_000 });
    expect(await page.$eval('#train-status', (e) => e.textContent!)).toMatch(/checkpoint saved to .*trained\.json; resume with: digit-train --resume /);
    const out = join(dir, 'trained.json');
    const ck = loadAnyModel(out);
    expect('kind' in ck.net && ck.net.kind).toBe('layered');
    const resumed = run(['--resume', out, '--epochs', '1', '--out', join(dir, 'resumed.json')]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .*trained\.json after epoch \d+/);
    await page.click('#use');
    await page.waitForFunction(() => /trained here/.test(document.getElementById('model-line')!.textContent!));
  }, 90_000);

  it(CHROMIUM ? 'no console errors, and no request left the server' : SKIP, () => {
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
