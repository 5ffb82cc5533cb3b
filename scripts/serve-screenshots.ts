/**
 * The README's two pictures of `digit-train serve`, taken with headless Chromium (Debian's
 * `chromium`, driven by puppeteer-core): docs/serve-draw.png (a 7 drawn with the mouse and
 * taught once) and docs/serve-train.png (a training started from the page, mid-run).
 *
 *   npm run build && npx tsx scripts/serve-screenshots.ts [MODEL]
 *
 * Without MODEL it first trains one with `digit-train --epochs 10` (the network.py setting).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from 'puppeteer-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/digit-train.js');
const chromium = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromium) throw new Error('Chromium is not installed (apt-get install chromium, or set CHROMIUM=/path/to/chrome)');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), 'digit-train-shots-'));
// The page names the model as given: model.json in the working directory.
if (process.argv[2]) copyFileSync(process.argv[2], join(work, 'model.json'));
else if (spawnSync(process.execPath, [bin, '--epochs', '10', '--out', 'model.json'], { stdio: 'inherit', cwd: work }).status !== 0) throw new Error('training failed');

const server = spawn(process.execPath, [bin, 'serve', 'model.json', '--train-size', '20000'], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /on (http:\/\/\S+\/)/.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', () => reject(new Error(`serve exited: ${out}`)));
});

const browser = await launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  await page.goto(url, { waitUntil: 'networkidle0' });
  const box = (await (await page.$('#pad'))!.boundingBox())!;
  const at = (x: number, y: number) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height] as const;
  const stroke = async (points: [number, number][]) => {
    await page.mouse.move(...at(...points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 6 });
    await page.mouse.up();
  };
  await stroke([[75, 70], [140, 64], [205, 62], [185, 115], [160, 170], [140, 235]]);
  await stroke([[120, 150], [190, 148]]);
  await sleep(800);
  await page.click('#labels button:nth-child(8)');
  await sleep(800);
  const draw = (await (await page.$('#draw'))!.boundingBox())!;
  const teach = (await (await page.$('#teach'))!.boundingBox())!;
  await page.screenshot({ path: join(root, 'docs/serve-draw.png'), clip: { x: 0, y: 0, width: 1280, height: Math.ceil(Math.max(draw.y + draw.height, teach.y + teach.height) + 12) } });

  await page.$eval('#t-epochs', (el) => ((el as HTMLInputElement).value = '30'));
  await page.$eval('#t-eta', (el) => ((el as HTMLInputElement).value = '3'));
  await page.click('#start');
  // Mid-run: the picture, then the stop button (Ctrl-C's checkpoint).
  await sleep(2500);
  await (await page.$('#train'))!.screenshot({ path: join(root, 'docs/serve-train.png') });
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('train-status')!.dataset.state === 'stopped', { timeout: 30_000 });
  console.log('wrote docs/serve-draw.png and docs/serve-train.png');
} finally {
  await browser.close();
  server.kill('SIGINT');
  await new Promise((r) => server.on('exit', r));
  rmSync(work, { recursive: true, force: true });
}
