/**
 * `digit-train serve` as a user starts it, probed with real HTTP requests on 127.0.0.1: each
 * safety rule (foreign Host, cross-origin writes, body limit, bad JSON and images, path
 * traversal, one training at a time, a client that goes away, Ctrl-C) and the API's answers
 * against the CLI's own (`predict` on the same picture, `--resume` of the checkpoint).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, toDigit } from '../../src/data/image.js';
import { loadModel } from '../../src/model/model.js';
import { serve } from '../../src/serve/server.js';
import { CSP } from '../../src/serve/http.js';
import { tempDir } from '../helpers.js';
import { run } from '../cli/run.js';
import { drawnOne, http, pngDataUrl, post, startServe, trainedModel, type Served } from './serve-helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const ONE = pngDataUrl(drawnOne(), 280, 280);

let dir: string;
let model: string;
let remove: () => void;
let s: Served;

beforeAll(async () => {
  ({ dir, model, remove } = trainedModel());
  s = await startServe([model, '--train-size', '3000', '--out', join(dir, 'trained.json')], dir);
});
afterAll(async () => {
  if (s && s.running.child.exitCode === null) await s.stop();
  remove();
});

/** Waits until the training reports one of `states`. */
async function waitForState(port: number, states: string[], timeoutMs = 30_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const st = (await http(port, { path: '/api/train' })).json();
    if (states.includes(st.state)) return st;
    if (Date.now() - t0 > timeoutMs) throw new Error(`training still ${st.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('digit-train serve: safety', () => {
  it('serves the page with a strict Content-Security-Policy, on 127.0.0.1 and [::1]', async () => {
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    const r = await http(s.port);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toBe(CSP);
    expect(CSP).toContain("default-src 'none'");
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).toContain("connect-src 'self'");
    expect(CSP).not.toContain('unsafe');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const six = await http(s.port, { host: '::1', headers: { Host: `[::1]:${s.port}` } });
    expect(six.status).toBe(200);
    expect((await http(s.port, { headers: { Host: `localhost:${s.port}` } })).status).toBe(200);
  });

  it('listens on loopback only by default, another address only with --host and a warning', async () => {
    const served = await serve({ model: loadModel(model), label: 'm', side: 28, eta: 3, loadData: () => { throw new Error('no'); }, out: join(dir, 'x.json'), hosts: ['127.0.0.1', '::1'], port: 0 });
    try {
      const addresses = served.servers.map((sv) => (sv.address() as { address: string }).address);
      expect(addresses[0]).toBe('127.0.0.1');
      for (const a of addresses) expect(['127.0.0.1', '::1']).toContain(a);
    } finally {
      await served.close();
    }
    const other = await startServe([model, '--host', '127.0.0.2'], dir);
    try {
      expect(other.running.stderr()).toMatch(/warning: serving on 127\.0\.0\.2: anyone who can reach/);
      expect(other.url).toBe(`http://127.0.0.2:${other.port}/`);
      const r = await http(other.port, { host: '127.0.0.2', headers: { Host: `127.0.0.2:${other.port}` } });
      expect(r.status).toBe(200);
    } finally {
      await other.stop();
    }
    expect(s.running.stderr()).toBe('');
  });

  it('refuses a request whose Host is not the server (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${s.port}`, `127.0.0.1:${s.port + 1}`, '']) {
      for (const path of ['/', '/api/model', '/app.js']) {
        const r = await http(s.port, { path, headers: { Host: host } });
        expect(r.status, `${host} ${path}`).toBe(403);
        expect(r.json().error).toMatch(/is not this server/);
        expect(r.text).not.toContain('sizes');
      }
    }
    const write = await post(s.port, '/api/predict', { image: ONE }, { Host: 'evil.example' });
    expect(write.status).toBe(403);
  });

  it('refuses cross-origin writes (Origin, Sec-Fetch-Site, a body that is not JSON)', async () => {
    const ok = await post(s.port, '/api/predict', { image: ONE });
    expect(ok.status).toBe(200);
    const refused: Record<string, string>[] = [
      { Origin: 'http://evil.example' },
      { Origin: `http://evil.example:${s.port}` },
      { Origin: `https://127.0.0.1:${s.port}` },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
    ];
    for (const headers of refused) {
      const r = await post(s.port, '/api/train', { hidden: [5], epochs: 1, eta: 3, batch: 10 }, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.json().error).toMatch(/cross-(origin|site) request/);
    }
    // A form post from another page (text/plain, no preflight) is refused too.
    const form = await http(s.port, { method: 'POST', path: '/api/reset', body: '{}', headers: { 'Content-Type': 'text/plain' } });
    expect(form.status).toBe(415);
    expect((await http(s.port, { path: '/api/train' })).json().state).toBe('idle');
  });

  it('refuses a body over the limit with one 413', async () => {
    const big = JSON.stringify({ image: 'data:image/png;base64,' + 'A'.repeat(300 * 1024) });
    const r = await post(s.port, '/api/predict', JSON.parse(big));
    expect(r.status).toBe(413);
    expect(r.json()).toEqual({ error: 'the body is larger than 262144 bytes' });
    // Without a Content-Length (chunked), counted as it arrives.
    const chunked = await http(s.port, { method: 'POST', path: '/api/predict', body: big, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } });
    expect(chunked.status).toBe(413);
    // The server is still there.
    expect((await post(s.port, '/api/predict', { image: ONE })).status).toBe(200);
  });

  it('answers malformed JSON and malformed images with one 400 JSON error', async () => {
    const raw = (body: string) => http(s.port, { method: 'POST', path: '/api/predict', body, headers: { 'Content-Type': 'application/json' } });
    for (const body of ['{bad', '', '{"image": "x"', '[1,2]', '"text"', 'null']) {
      const r = await raw(body);
      expect(r.status, body).toBe(400);
      expect(r.json(), body).toEqual({ error: body.startsWith('{') || body === '' ? 'the body is not valid JSON' : 'the body must be a JSON object' });
    }
    // A small file that would decode to 3000×3000 pixels (36 MB): refused from its header.
    const bomb = pngDataUrl(new Uint8Array(3000 * 3000), 3000, 3000);
    expect(bomb.length).toBeLessThan(200_000);
    const cases: [string, RegExp][] = [
      ['data:image/jpeg;base64,AAAA', /^image: expected a data:image\/png/],
      ['data:image/png;base64,!!!!', /^image: not valid base64/],
      ['data:image/png;base64,' + Buffer.from('not a png at all, just text').toString('base64'), /^image: not a PNG file/],
      [bomb, /^image: 3000x3000 is larger than 2048x2048/],
      [ONE.slice(0, 200), /^image: not a readable PNG/],
    ];
    for (const [image, message] of cases) {
      const r = await post(s.port, '/api/predict', { image });
      expect(r.status, image.slice(0, 40)).toBe(400);
      expect(Object.keys(r.json())).toEqual(['error']);
      expect(r.json().error).toMatch(message);
    }
    expect((await post(s.port, '/api/predict', { image: 1 })).json()).toEqual({ error: 'image: expected a data:image/png;base64,… string' });
    const label = await post(s.port, '/api/teach', { image: ONE, label: 12 });
    expect(label.status).toBe(400);
    expect(label.json().error).toMatch(/^label: /);
  });

  it('serves no file outside the page (path traversal)', async () => {
    for (const path of ['/app.js', '/style.css']) expect((await http(s.port, { path })).status).toBe(200);
    const paths = [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fpackage.json',
      '/app.js/../../package.json',
      '/page/index.html',
      '/index.html',
      '/server.js',
      '/../server.js',
      '/serve/page/app.js',
      '//etc/passwd',
      '/api/../../package.json',
      '/%00',
      '/.env',
    ];
    for (const path of paths) {
      const r = await http(s.port, { path });
      expect(r.status, path).toBe(404);
      expect(Object.keys(r.json())).toEqual(['error']);
      expect(r.text).not.toMatch(/root:|"name": "digit-train"|import /);
    }
    expect((await http(s.port, { method: 'DELETE', path: '/' })).status).toBe(405);
  });

  it('runs one training at a time; a client that goes away does not stop it; stop checkpoints; the checkpoint resumes bit for bit', async () => {
    const out = join(dir, 'trained.json');
    // Start a run and hang up without reading the answer.
    await new Promise<void>((resolve) => {
      const body = JSON.stringify({ hidden: [20], epochs: 200, eta: 3, batch: 10 });
      const req = httpRequest({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/api/train', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } });
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.socket.destroy();
        resolve();
      });
      req.end(body, () => setTimeout(() => (req.destroy(), resolve()), 5));
    });
    const first = await waitForState(s.port, ['running']);
    expect(first.request).toEqual({ hidden: [20], epochs: 200, eta: 3, batch: 10, seed: 1 });
    // A second one is refused while it runs.
    const second = await post(s.port, '/api/train', { hidden: [5], epochs: 1, eta: 3, batch: 10 });
    expect(second.status).toBe(409);
    expect(second.json().error).toMatch(/one at a time/);
    // It goes on: mini-batches keep coming.
    const a = (await http(s.port, { path: '/api/train' })).json();
    await new Promise((r) => setTimeout(r, 300));
    const b = (await http(s.port, { path: '/api/train' })).json();
    expect(b.epoch * b.batchesPerEpoch + b.batchInEpoch).toBeGreaterThan(a.epoch * a.batchesPerEpoch + a.batchInEpoch);
    expect(b.total).toBeGreaterThan(1);
    expect(b.points[0]).toMatchObject({ step: 0 });
    expect(b.weights).toHaveLength(16);

    const stopped = (await post(s.port, '/api/train/stop', {})).json();
    expect(stopped.state).toBe('stopped');
    expect(stopped.message).toMatch(/checkpoint saved to .*trained\.json; resume with: digit-train --resume /);
    const ck = loadModel(out).meta!;
    const done = ck.progress.epoch;
    expect(ck.progress.batchInEpoch).toBeGreaterThan(0);
    // Resume to the end of the epoch it was in, and compare with a run never interrupted.
    const resumed = run(['--resume', out, '--epochs', '1', '--out', join(dir, 'resumed.json')], { cwd: dir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resuming .*trained\\.json after epoch ${done} and ${ck.progress.batchInEpoch} mini-batches`));
    const whole = run(['--hidden', '20', '--train-size', '3000', '--epochs', String(done + 1), '--out', join(dir, 'whole.json')], { cwd: dir });
    expect(whole.code).toBe(0);
    expect(Array.from(loadModel(join(dir, 'resumed.json')).net.params)).toEqual(Array.from(loadModel(join(dir, 'whole.json')).net.params));
    // After it, a new one may start.
    const again = await post(s.port, '/api/train', { hidden: [5], epochs: 1, eta: 3, batch: 10 });
    expect(again.status).toBe(202);
    expect((await waitForState(s.port, ['done'])).message).toMatch(/^done: 1 epochs; saved /);
  });

  it('predict answers as `digit-train predict` on the same picture; teach steps a copy, never the model file', async () => {
    const r = (await post(s.port, '/api/predict', { image: ONE })).json();
    const png = join(dir, 'one.png');
    writeFileSync(png, Buffer.from(ONE.split(',')[1], 'base64'));
    const cli = run(['predict', model, png, '--json']);
    expect(cli.code).toBe(0);
    const p = JSON.parse(cli.stdout).predictions[0];
    expect(r.predicted).toBe(p.predicted);
    expect(r.outputs).toEqual(p.outputs);
    expect(r.pixels).toEqual(Array.from(toDigit(decodeImage(readFileSync(png), png))));
    expect(r.hidden).toHaveLength(1);
    expect(r.hidden[0]).toHaveLength(30);

    const before = sha(model);
    const wrong = r.predicted === 7 ? 4 : 7;
    const t = (await post(s.port, '/api/teach', { image: ONE, label: wrong })).json();
    expect(t.before.outputs).toEqual(p.outputs);
    // The step explain describes is the one taken: its a of the label after the step is ours.
    expect(t.explanation.step.aLabel.after).toBeCloseTo(t.after.outputs[wrong], 12);
    expect(t.after.outputs).not.toEqual(t.before.outputs);
    expect(t.delta.map((d: number[]) => d.length)).toEqual([30, 10]);
    expect(t.explanation.outputLayer.weight.relativeError).toBeLessThan(1e-6);
    // The pad's network changed, the file did not.
    const r2 = (await post(s.port, '/api/predict', { image: ONE })).json();
    expect(r2.outputs).toEqual(t.after.outputs);
    expect(sha(model)).toBe(before);
    expect((await http(s.port, { path: '/api/model' })).json().taught).toBe(1);
    // Saved only under a new name.
    for (const name of ['model.json', '../evil.json', 'a/b.json', 'x.txt', '.json']) {
      const bad = await post(s.port, '/api/save', { name });
      expect(bad.status, name).toBeGreaterThanOrEqual(400);
    }
    expect(sha(model)).toBe(before);
    const saved = (await post(s.port, '/api/save', { name: 'taught.json' })).json();
    expect(saved.saved).toBe(join(dir, 'taught.json'));
    expect(Array.from(loadModel(saved.saved).net.params)).not.toEqual(Array.from(loadModel(model).net.params));
    expect((await post(s.port, '/api/save', { name: 'taught.json' })).status).toBe(409);
    // Reset: the model's weights again.
    await post(s.port, '/api/reset', {});
    expect((await post(s.port, '/api/predict', { image: ONE })).json().outputs).toEqual(p.outputs);
  });
});

describe('digit-train serve: Ctrl-C', () => {
  it('checkpoints a running training and exits 130; the checkpoint resumes', async () => {
    const d = tempDir();
    const out = join(d, 'run.json');
    const sv = await startServe(['--train-size', '2000', '--out', out], d);
    const started = await post(sv.port, '/api/train', { hidden: [10], epochs: 500, eta: 3, batch: 10 });
    expect(started.status).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    const exit = await sv.stop();
    expect(exit.code).toBe(130);
    expect(sv.running.stderr()).toMatch(/^digit-train: interrupted by SIGINT; training stopped (in epoch \d+ after mini-batch \d+|after epoch \d+); checkpoint saved to .*run\.json; resume with: digit-train --resume/);
    expect(existsSync(out)).toBe(true);
    const r = run(['--resume', out, '--epochs', '1', '--out', join(d, 'r.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resuming .*run\.json after epoch/);
  });

  it('without a training: exits 130, nothing written', async () => {
    const d = tempDir();
    const sv = await startServe(['--out', join(d, 'never.json')], d);
    expect(sv.running.stdout()).toContain('untrained 784-30-10 (seed 1)');
    const exit = await sv.stop();
    expect({ ...exit, stderr: sv.running.stderr() }).toEqual({ code: 130, signal: null, stderr: 'digit-train: interrupted by SIGINT; the server stopped\n' });
    expect(existsSync(join(d, 'never.json'))).toBe(false);
  });

  it('bad options: one line, exit 2', () => {
    const d = tempDir();
    expect(run(['serve', '--port', '70000']).stderr).toBe('digit-train: --port: "70000" is not a port (0 to 65535)\n');
    const same = run(['serve', model, '--out', model]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/^digit-train: --out .*model\.json: is the model being served; a training from the page needs another file\n$/);
    expect(run(['serve', join(d, 'missing.json')]).code).toBe(2);
  });
});
