/**
 * The page of `digit-train serve` in a real browser: headless Chromium (Debian's `chromium`
 * package, driven by puppeteer-core, which downloads nothing) draws with the mouse, the
 * keyboard and a finger, pastes an MNIST digit, teaches, starts and stops a training, and the
 * page's answers are checked against the CLI's own (`predict` on the same picture, `--resume`
 * of the checkpoint). Every request the page makes is recorded: none may leave the server, and
 * the console must stay free of errors. Skipped, saying how to install Chromium, without it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { loadModel } from '../../src/model/model.js';
import { CHROMIUM, SKIP } from '../chromium.js';
import { run } from '../cli/run.js';
import { pngDataUrl, startServe, trainedModel, type Served } from './serve-helpers.js';

if (!CHROMIUM) console.warn(`test/serve/browser.test.ts: ${SKIP}`);

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A number as the page prints it. */
const fmt = (a: number) => (Math.abs(a) >= 1e-3 || a === 0 ? a.toFixed(4) : a.toExponential(2));

interface Asked {
  image: string;
  answer: { predicted: number; outputs: number[]; pixels: number[] };
}

describe.skipIf(!CHROMIUM)('the serve page in headless Chromium', () => {
  let dir: string;
  let model: string;
  let remove: () => void;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];
  const asked: Asked[] = [];
  let inFlight = 0;

  beforeAll(async () => {
    ({ dir, model, remove } = trainedModel());
    served = await startServe([model, '--train-size', '5000', '--out', join(dir, 'trained.json')], dir);
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
    page.on('requestfailed', (r) => {
      if (r.url().startsWith(served.url)) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    await page.setRequestInterception(true);
    page.on('request', (r: HTTPRequest) => {
      const url = r.url();
      if (!url.startsWith(served.url) && !url.startsWith('data:')) {
        foreign.push(url);
        void r.abort();
        return;
      }
      if (url.endsWith('/api/predict')) inFlight++;
      void r.continue();
    });
    page.on('response', (res) => {
      if (!res.url().endsWith('/api/predict')) return;
      const image = JSON.parse(res.request().postData() ?? '{}').image as string;
      void res
        .json()
        .then((answer) => asked.push({ image, answer }))
        .finally(() => inFlight--);
    });
    await page.goto(served.url, { waitUntil: 'networkidle0' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (served && served.running.child.exitCode === null) await served.stop();
    remove?.();
  });

  /** Waits until the page has no prediction in flight for a while; returns the last one. */
  async function settled(): Promise<Asked> {
    let quiet = 0;
    while (quiet < 4) {
      await sleep(100);
      quiet = inFlight === 0 ? quiet + 1 : 0;
    }
    return asked[asked.length - 1];
  }

  async function padBox() {
    const box = (await (await page.$('#pad'))!.boundingBox())!;
    return { at: (x: number, y: number) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height] as const };
  }

  /** Draws a stroke through pad points (0..280) with the mouse. */
  async function stroke(points: [number, number][]): Promise<void> {
    const { at } = await padBox();
    await page.mouse.move(...at(...points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 2 });
    await page.mouse.up();
  }

  /** What the page shows: the verdict's digit and the ten output values as printed. */
  const shown = () =>
    page.evaluate(() => ({
      predicted: document.getElementById('verdict')!.dataset.predicted,
      values: [...document.querySelectorAll('#bars td.v')].map((td) => td.textContent),
      seen: Array.from((document.getElementById('seen') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)),
    }));

  /** `digit-train predict MODEL picture.png --json` on the picture the page sent. */
  function cliPredict(image: string, name: string): { predicted: number; outputs: number[] } {
    const file = join(dir, name);
    writeFileSync(file, Buffer.from(image.split(',')[1], 'base64'));
    const r = run(['predict', model, file, '--json']);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout).predictions[0];
  }

  async function expectPageEqualsCli(name: string): Promise<number> {
    const last = await settled();
    const cli = cliPredict(last.image, name);
    expect(last.answer.predicted).toBe(cli.predicted);
    expect(last.answer.outputs).toEqual(cli.outputs);
    const s = await shown();
    expect(s.predicted).toBe(String(cli.predicted));
    expect(s.values).toEqual(cli.outputs.map(fmt));
    expect(s.seen).toEqual(last.answer.pixels); // the 28×28 drawn is the one the network got
    return cli.predicted;
  }

  it(CHROMIUM ? 'a 1 and a 0 drawn with the mouse: the page shows what `digit-train predict` says of the same picture' : SKIP, async () => {
    await stroke([[150, 40], [146, 90], [142, 140], [138, 190], [134, 240]]);
    expect(await expectPageEqualsCli('one.png')).toBe(1);
    await page.click('#clear');
    const ring: [number, number][] = [];
    for (let i = 0; i <= 36; i++) ring.push([140 + 60 * Math.sin((i / 36) * 2 * Math.PI), 140 - 95 * Math.cos((i / 36) * 2 * Math.PI)]);
    await stroke(ring);
    expect(await expectPageEqualsCli('zero.png')).toBe(0);
    // Undo takes the stroke away: an empty pad, no answer.
    await page.click('#undo');
    await sleep(200);
    expect((await shown()).predicted).toBeUndefined();
  }, 60_000);

  it(CHROMIUM ? 'an MNIST test digit pasted into the pad gets the answer predict gives' : SKIP, async () => {
    const test = loadMnist({ trainSize: 10 }).test;
    const e = 3; // a 0
    const big = new Uint8Array(280 * 280);
    for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) big[y * 280 + x] = test.images[e * 784 + Math.floor(y / 10) * 28 + Math.floor(x / 10)];
    const url = pngDataUrl(big, 280, 280);
    await page.evaluate((dataUrl: string) => {
      const bytes = Uint8Array.from(atob(dataUrl.split(',')[1]), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'digit.png', { type: 'image/png' }));
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
    }, url);
    await sleep(300);
    expect(await expectPageEqualsCli('pasted.png')).toBe(test.labels[e]);
    await page.click('#clear');
  }, 60_000);

  it(CHROMIUM ? 'teach it: one backprop step on the drawing, shown step by step; the model file is not touched' : SKIP, async () => {
    const before = sha(model);
    await stroke([[150, 40], [146, 90], [142, 140], [138, 190], [134, 240]]);
    await settled();
    const response = page.waitForResponse((r) => r.url().endsWith('/api/teach'));
    await page.click('#labels button:nth-child(8)'); // "it is a 7"
    const lesson = await (await response).json();
    await page.waitForSelector('#lesson:not([hidden])');
    const text = await page.$eval('#lesson', (el) => (el as HTMLElement).innerText);
    expect(text).toContain('a − y');
    expect(text).toMatch(/δ of layer L \(10\)/);
    expect(text).toMatch(/δ of layer L−1 \(30\)/);
    expect(text).toContain(lesson.explanation.outputLayer.weight.param.name);
    expect(text).toContain("σ'(z)");
    // The outputs after are those of the step explain describes (a saturated quadratic-cost output
    // may barely move, or even fall: the step follows the whole gradient, not this output alone).
    expect(lesson.after.outputs[7]).toBeCloseTo(lesson.explanation.step.aLabel.after, 12);
    expect(await page.$eval('#step-line', (el) => el.textContent)).toContain(`Cost on this drawing ${fmt(lesson.explanation.step.exampleCost.before)} → ${fmt(lesson.explanation.step.exampleCost.after)}`);
    const row = await page.$eval('#before-after tbody tr:nth-child(8)', (el) => (el as HTMLElement).innerText);
    expect(row.replace(/\s+/g, ' ')).toContain(`${fmt(lesson.before.outputs[7])} ${fmt(lesson.after.outputs[7])}`);
    expect(await page.$eval('#model-line', (el) => el.textContent)).toContain('taught 1 step here (not saved)');
    expect(sha(model)).toBe(before);
    await page.click('#reset');
    await page.click('#clear');
  }, 60_000);

  it(CHROMIUM ? 'a training started and stopped from the page checkpoints as Ctrl-C does; the checkpoint resumes' : SKIP, async () => {
    await page.$eval('#t-epochs', (el) => ((el as HTMLInputElement).value = '300'));
    await page.$eval('#t-hidden', (el) => ((el as HTMLInputElement).value = '20'));
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('train-status')!.dataset.state === 'running');
    // Live view: points arrive, weights and mistakes are drawn.
    await page.waitForFunction(() => document.querySelectorAll('#train-weights canvas').length === 16 && document.querySelectorAll('#mistakes canvas').length > 0, { timeout: 20_000 });
    await page.waitForFunction(() => /training: 20 hidden/.test(document.getElementById('train-status')!.textContent!) && /mini-batch [1-9]/.test(document.getElementById('train-status')!.textContent!));
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('train-status')!.dataset.state === 'stopped', { timeout: 20_000 });
    const status = await page.$eval('#train-status', (el) => el.textContent!);
    expect(status).toMatch(/checkpoint saved to .*trained\.json; resume with: digit-train --resume .*trained\.json --epochs \d+/);
    const out = join(dir, 'trained.json');
    const ck = loadModel(out).meta!;
    expect(ck.progress.epoch + ck.progress.batchInEpoch).toBeGreaterThan(0);
    const resumed = run(['--resume', out, '--epochs', '1', '--out', join(dir, 'resumed.json')]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .*trained\.json after epoch \d+/);
    // The charts drew something: the cost canvas is not blank.
    const inked = await page.$eval('#cost-chart', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 2] > d[i] + 60) n++; // blue line pixels
      return n;
    });
    expect(inked).toBeGreaterThan(50);
    // Draw with the trained network.
    await page.click('#use');
    await page.waitForFunction(() => /trained here/.test(document.getElementById('model-line')!.textContent!));
  }, 90_000);

  it(CHROMIUM ? 'keyboard and touch draw too; on a phone the page fits its width' : SKIP, async () => {
    await page.focus('#pad');
    await page.keyboard.press('Space');
    for (let i = 0; i < 14; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    const typed = await settled();
    expect(typed.answer.pixels.some((v) => v > 0)).toBe(true);
    expect((await shown()).predicted).toBe(String(typed.answer.predicted));
    await page.click('#clear');

    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await sleep(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const { at } = await padBox();
    const n = asked.length;
    await page.touchscreen.touchStart(...at(140, 40));
    for (let y = 60; y <= 240; y += 20) await page.touchscreen.touchMove(...at(140, y));
    await page.touchscreen.touchEnd();
    const touched = await settled();
    expect(asked.length).toBeGreaterThan(n);
    expect((await shown()).predicted).toBe(String(touched.answer.predicted));
    // Text stays legible: nothing below 12 px.
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('p, td, th, button, label, span, h3')].filter((e) => (e as HTMLElement).offsetParent).map((e) => parseFloat(getComputedStyle(e).fontSize))));
    expect(smallest).toBeGreaterThanOrEqual(12);
  }, 60_000);

  it(CHROMIUM ? 'no console errors, and no request left the server' : SKIP, () => {
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    expect(asked.length).toBeGreaterThan(4);
  });
});
