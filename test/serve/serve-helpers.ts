/** Shared by the serve tests: a small trained model, the server started as a user starts it, raw HTTP requests to it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { loadMnist } from '../../src/data/mnist.js';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx.js';
import { run, start, type Running } from '../cli/run.js';

/**
 * A 784-30-10 model after 3 epochs on 10,000 MNIST images (about 89 % right) (trained by the CLI, in well under a
 * second), in a fresh directory that lives until `remove` (for a whole file of tests).
 */
export function trainedModel(): { dir: string; model: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'digit-train-serve-'));
  const model = join(dir, 'model.json');
  const r = run(['--epochs', '3', '--train-size', '10000', '--out', model]);
  if (r.code !== 0) throw new Error(`training the test model failed: ${r.stderr}`);
  return { dir, model, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The layer list of trainedConvModel (the output layer, dense:10:softmax, is added by --layers). */
export const CONV_LAYERS = 'conv:3x5:relu,pool:2';

/**
 * Real MNIST, cut down: the first `train` training images and the first `test` test images, as
 * the four IDX files in `dir`. A conv run on the readable engine then spends its time training,
 * not evaluating 10,000 test images after every epoch.
 */
export function smallMnist(dir: string, train: number, test: number): string {
  const data = loadMnist({ trainSize: train });
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, name), bytes);
  put('train-images-idx3-ubyte', encodeIdxImages(data.train.images, train, 28, 28));
  put('train-labels-idx1-ubyte', encodeIdxLabels(data.train.labels));
  put('t10k-images-idx3-ubyte', encodeIdxImages(data.test.images.subarray(0, test * 784), test, 28, 28));
  put('t10k-labels-idx1-ubyte', encodeIdxLabels(data.test.labels.subarray(0, test)));
  return dir;
}

/**
 * A small conv model: conv 3 filters of 5×5 (relu), max-pool 2, softmax output, one epoch on the
 * first 600 MNIST training images (about 70 % right on the test images), trained by the CLI as a
 * user would, on `data`: those 600 and the first 1,200 test images (smallMnist); in a fresh
 * directory that lives until `remove`.
 */
export function trainedConvModel(): { dir: string; model: string; data: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'digit-train-serve-conv-'));
  const model = join(dir, 'conv.json');
  const data = smallMnist(mkdtempSync(join(dir, 'mnist-')), 600, 1200);
  const r = run(['--layers', CONV_LAYERS, '--output', 'softmax', '--cost', 'cross-entropy', '--eta', '0.1', '--epochs', '1', '--data', data, '--out', model]);
  if (r.code !== 0) throw new Error(`training the conv test model failed: ${r.stderr}`);
  return { dir, model, data, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Served {
  running: Running;
  port: number;
  url: string;
  /** Ctrl-C, then the exit. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `digit-train serve ARGS` and waits for its URL. */
export async function startServe(args: string[], cwd?: string): Promise<Served> {
  const running = await start(['serve', ...args], { cwd });
  await running.waitFor(/on http:\/\/\S+:\d+\//, 30_000);
  const m = /on (http:\/\/\S+:(\d+)\/)/.exec(running.stdout())!;
  return {
    running,
    url: m[1],
    port: Number(m[2]),
    stop: async () => {
      running.child.kill('SIGINT');
      return running.exit;
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

/** One HTTP request to 127.0.0.1:port exactly as given (the path is sent as it is, Host defaults to ours). */
export function http(port: number, o: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, ...o.headers };
    if (o.body !== undefined && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined) headers['Content-Length'] = String(Buffer.byteLength(o.body));
    const req = httpRequest({ host: o.host ?? '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** A same-origin JSON POST (as the page sends it). */
export function post(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return http(port, { method: 'POST', path, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin', ...headers } });
}

/** A grey picture as a PNG data URL (what the pad sends): bytes 0..255, w×h. */
export function pngDataUrl(grey: Uint8Array, w: number, h: number): string {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set([grey[i], grey[i], grey[i], 255], 4 * i);
  return `data:image/png;base64,${PNG.sync.write(p).toString('base64')}`;
}

/** A 280×280 drawing of a vertical bar (a "1"), white on black. */
export function drawnOne(): Uint8Array {
  const g = new Uint8Array(280 * 280);
  for (let y = 40; y < 240; y++) for (let x = 130; x < 150; x++) g[y * 280 + x] = 255;
  return g;
}
