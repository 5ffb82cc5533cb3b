/**
 * `digit-train serve`: one page (src/serve/page/, copied to dist/serve/page/ by the build) and
 * its JSON API, on Node's own http module. The page draws; everything it shows is computed
 * here by the library (digits.ts, training.ts).
 *
 *   GET  /                 the page (index.html, app.js, style.css: nothing else is served)
 *   GET  /api/model        the network on the pad: sizes (an MLP) or layers (a layer list), source, first-layer weights
 *   POST /api/predict      {image}: the 28×28 as the network sees it, outputs, hidden activations (a layer list's feature maps with their shapes)
 *   POST /api/teach        {image, label}: one backprop step on the drawing (on the pad's copy)
 *   POST /api/reset        the pad's network back to the model file's weights
 *   POST /api/save         {name}: the pad's network to a new file beside the model (never over one)
 *   GET  /api/train        the training run: state, points since ?since=N, weights, mistakes
 *   POST /api/train        {hidden | layers, epochs, eta, batch}: start one (one at a time: 409)
 *   POST /api/train/stop   stop it with Ctrl-C's checkpoint
 *   POST /api/train/use    draw with the network the run trained
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mnist } from '../data/mnist.js';
import { saveModel, type AnyModel } from '../model/model.js';
import { describeLayers, isLayered, LayerListError, layoutOfLayers } from '../nn/layered.js';
import { outputCount } from '../nn/layered-data.js';
import { sizeOf, StackLayoutError } from '../nn/layout.js';
import { UserError } from '../errors.js';
import { allowedHosts, checkHost, checkSameOrigin, HttpError, readJson, send, sendError } from './http.js';
import { answer, cloneAny, drawingBytes, drawingToDigit, firstLayerWeights, layers, oneImage, teach, type AnyNetwork, type FirstLayer } from './digits.js';
import { TrainingRun, type TrainRequest } from './training.js';
import { layerSpecs, parseLayerList } from '../model/layer-list.js';

/** The files of the page: URL path → file in page/ and its type. Nothing else is ever read. */
const PAGE: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

export interface ServeOptions {
  /** The model on the pad, and its file (undefined: an untrained network, `label` says which). */
  model: AnyModel;
  file?: string;
  label: string;
  /** Side of the square images the model takes (28). */
  side: number;
  /** η of "teach it". */
  eta: number;
  /** Loads the data set for a training run (called once, at the first run). */
  loadData: () => Mnist;
  /** Where a run started from the page saves its checkpoints and its model. */
  out: string;
  /** Addresses to listen on (the first is printed) and the port (0: a free one). */
  hosts: string[];
  port: number;
  /** Directory where /api/save writes (default: the model's, else the current one). */
  saveDir?: string;
}

export interface Serving {
  url: string;
  port: number;
  servers: Server[];
  /** The running training, if any. */
  run: () => TrainingRun | null;
  close: () => Promise<void>;
}

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isNum = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isFinite(v) && v > lo && v <= hi;

/** The page's directory: beside this module (src/serve/page when run from source, dist/serve/page when built). */
function pageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'page');
}

/** Layers, parameters, and activations of a mini-batch (batch × the outputs of every layer), a layer list from the page may have (the page runs on the readable engine). */
export const MAX_PAGE_LAYERS = 12;
export const MAX_PAGE_PARAMETERS = 5_000_000;
export const MAX_PAGE_ACTIVATIONS = 20_000_000;

/** Validates a training request from the page; 400 naming the field. */
export function parseTrainRequest(body: Record<string, unknown>, trainCount: number): TrainRequest {
  const { hidden, layers, epochs, eta, batch } = body;
  if (hidden !== undefined && layers !== undefined) throw new HttpError(400, 'hidden, layers: give one (hidden sizes for an MLP, or a layer list)');
  if (layers !== undefined) {
    if (typeof layers !== 'string' || layers.length > 500) throw new HttpError(400, 'layers: expected a layer list such as conv:8x5,pool:2,dense:30');
    try {
      if (parseLayerList(layers, 'layers').length > MAX_PAGE_LAYERS) throw new HttpError(400, `layers: at most ${MAX_PAGE_LAYERS} layers from the page`);
    } catch (err) {
      if (err instanceof UserError) throw new HttpError(400, err.message);
      throw err;
    }
  } else if (!Array.isArray(hidden) || hidden.length < 1 || hidden.length > 4 || !hidden.every((h) => isInt(h, 1, 1000))) throw new HttpError(400, 'hidden: expected 1 to 4 layer sizes from 1 to 1000');
  if (!isInt(epochs, 1, 1000)) throw new HttpError(400, 'epochs: expected a whole number from 1 to 1000');
  if (!isNum(eta, 0, 100)) throw new HttpError(400, 'eta: expected a number above 0, at most 100');
  if (!isInt(batch, 1, Math.min(1000, trainCount))) throw new HttpError(400, `batch: expected a whole number from 1 to ${Math.min(1000, trainCount)}`);
  const seed = body.seed === undefined ? 1 : body.seed;
  if (!isInt(seed, 0, 0xffffffff)) throw new HttpError(400, 'seed: expected a whole number from 0 to 4294967295');
  return layers !== undefined ? { layers: layers as string, epochs, eta, batch, seed } : { hidden: hidden as number[], epochs, eta, batch, seed };
}

/** The run a request asks for; a layer list that is no network on these images (or too large for the page) is a 400 naming it. */
function startRun(request: TrainRequest, data: Mnist, out: string): TrainingRun {
  if (!('layers' in request)) return new TrainingRun(request, data, out);
  try {
    const specs = layerSpecs(parseLayerList(request.layers, 'layers'), 'sigmoid', data.classes, 'softmax');
    const layout = layoutOfLayers({ channels: 1, height: data.train.rows, width: data.train.cols }, specs); // before anything is allocated
    if (layout.count > MAX_PAGE_PARAMETERS) throw new HttpError(400, `layers: ${layout.count} parameters; at most ${MAX_PAGE_PARAMETERS} from the page`);
    const activations = request.batch * layout.layers.reduce((n, l) => n + sizeOf(l.output), 0);
    if (activations > MAX_PAGE_ACTIVATIONS) throw new HttpError(400, `layers, batch: ${activations} activations in a mini-batch of ${request.batch}; at most ${MAX_PAGE_ACTIVATIONS} from the page (fewer filters or a smaller batch)`);
    return new TrainingRun(request, data, out);
  } catch (err) {
    if (err instanceof StackLayoutError || err instanceof LayerListError) throw new HttpError(400, `layers: ${err.message} (the images are ${data.train.rows}x${data.train.cols})`);
    if (err instanceof UserError) throw new HttpError(400, err.message);
    throw err;
  }
}

/** The first-layer weights as the API sends them: the pictures, and their shape. */
function weightsField(first: FirstLayer) {
  return { weights: first.weights, weightShape: { height: first.height, width: first.width, unit: first.unit, units: first.units } };
}

export async function serve(o: ServeOptions): Promise<Serving> {
  const page = new Map<string, { body: Buffer; type: string }>();
  for (const [path, [file, type]] of Object.entries(PAGE)) page.set(path, { body: readFileSync(join(pageDir(), file)), type });

  const original = o.model.net;
  let net: AnyNetwork = cloneAny(original);
  let source = o.label;
  let taught = 0;
  let data: Mnist | null = null;
  let run: TrainingRun | null = null;
  let hosts = new Set<string>();
  const saveDir = o.saveDir ?? (o.file ? dirname(resolve(o.file)) : process.cwd());
  const nOut = () => outputCount(net);

  const describe = () => {
    const kind = isLayered(net) ? { kind: 'layered', layers: describeLayers(net.layers), parameters: net.params.length } : { kind: 'mlp', sizes: net.sizes, activation: net.activation };
    return {
      source,
      file: o.file ?? null,
      ...kind,
      output: net.output,
      cost: net.cost,
      side: o.side,
      eta: o.eta,
      taught,
      ...weightsField(firstLayerWeights(net)),
    };
  };

  const trainStatus = (since: number) => {
    if (!run) return { state: 'idle', out: o.out };
    const r = run;
    return {
      state: r.state,
      message: r.message,
      out: o.out,
      request: r.request,
      trainSize: r.data.train.count,
      epoch: r.progress.epoch,
      batchInEpoch: r.progress.batchInEpoch,
      batchesPerEpoch: r.batchesPerEpoch,
      lastEpoch: r.lastEpoch,
      total: r.points.length,
      points: r.points.slice(Math.max(0, since)),
      epochs: r.epochs,
      ...weightsField(r.weights()),
      mistakes: r.mistakes,
    };
  };

  const digitOf = (body: Record<string, unknown>) => drawingToDigit(drawingBytes(body.image), o.side);

  async function api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    if (req.method === 'GET') {
      if (path === '/api/model') return send(res, 200, describe());
      if (path === '/api/train') return send(res, 200, trainStatus(Number(query.get('since') ?? 0) || 0));
      throw new HttpError(404, `no such resource: ${path}`);
    }
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed here`);
    checkSameOrigin(req, hosts);
    const body = await readJson(req);
    switch (path) {
      case '/api/predict': {
        const pixels = digitOf(body);
        const set = oneImage(pixels, o.side);
        const a = answer(net, set);
        const { hidden, shapes } = layers(net, set);
        return send(res, 200, { pixels: Array.from(pixels), empty: pixels.every((v) => v === 0), ...a, hidden, shapes });
      }
      case '/api/teach': {
        if (!isInt(body.label, 0, nOut() - 1)) throw new HttpError(400, `label: expected a digit from 0 to ${nOut() - 1}`);
        const pixels = digitOf(body);
        if (pixels.every((v) => v === 0)) throw new HttpError(400, 'image: the drawing is empty');
        const lesson = teach(net, pixels, o.side, body.label, o.eta);
        net = lesson.stepped;
        taught++;
        const { stepped: _, ...rest } = lesson;
        const { hidden, shapes } = layers(net, oneImage(pixels, o.side, body.label));
        return send(res, 200, { ...rest, pixels: Array.from(pixels), taught, hidden, shapes });
      }
      case '/api/reset':
        net = cloneAny(original);
        source = o.label;
        taught = 0;
        return send(res, 200, describe());
      case '/api/save': {
        const name = body.name;
        if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.json$/.test(name)) throw new HttpError(400, 'name: expected a file name such as taught.json (letters, digits, _ . -; ending in .json)');
        const path = join(saveDir, basename(name));
        if (existsSync(path)) throw new HttpError(409, `${name} exists already; choose a new name (a model file is never replaced from the page)`);
        saveModel(path, { net: cloneAny(net), meta: o.model.meta ? { ...o.model.meta, created: new Date().toISOString() } : null } as AnyModel);
        return send(res, 200, { saved: path });
      }
      case '/api/train': {
        if (run && (run.state === 'running' || run.state === 'stopping')) throw new HttpError(409, 'a training is running already (one at a time)');
        if (!data) {
          try {
            data = o.loadData();
          } catch (err) {
            if (err instanceof UserError) throw new HttpError(500, err.message);
            throw err;
          }
        }
        const request = parseTrainRequest(body, data.train.count);
        run = startRun(request, data, o.out);
        return send(res, 202, trainStatus(0));
      }
      case '/api/train/stop': {
        if (!run || (run.state !== 'running' && run.state !== 'stopping')) throw new HttpError(409, 'no training is running');
        await run.stop();
        return send(res, 200, trainStatus(0));
      }
      case '/api/train/use': {
        if (!run) throw new HttpError(409, 'no training has run');
        net = cloneAny(run.net);
        source = `trained here (${run.progress.epoch} epochs${run.progress.batchInEpoch ? ` and ${run.progress.batchInEpoch} mini-batches` : ''})`;
        taught = 0;
        return send(res, 200, describe());
      }
      default:
        throw new HttpError(404, `no such resource: ${path}`);
    }
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let path = '/';
    let query = new URLSearchParams();
    void (async () => {
      checkHost(req, hosts);
      const url = new URL(req.url ?? '/', 'http://localhost');
      path = url.pathname;
      query = url.searchParams;
      if (path.startsWith('/api/')) return api(req, res, path, query);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here`);
      const file = page.get(path);
      if (!file) throw new HttpError(404, `no such page: ${path}`);
      send(res, 200, file.body, file.type);
    })().catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      // A refused body is not read to its end: close the connection after the answer.
      const unread = !req.complete;
      if (err instanceof HttpError) return sendError(res, err.status, err.message, unread);
      if (err instanceof UserError) return sendError(res, 400, err.message, unread);
      sendError(res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`, unread);
    });
  };

  const servers: Server[] = [];
  let port = o.port;
  const listening: string[] = [];
  for (const [i, host] of o.hosts.entries()) {
    const server = createServer(handle);
    server.requestTimeout = 30_000;
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(port, host, () => ok());
      });
    } catch (err) {
      // ::1 beside 127.0.0.1 is a courtesy: a machine without IPv6 serves on 127.0.0.1 alone.
      if (i > 0 && ['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EADDRINUSE'].includes((err as NodeJS.ErrnoException).code ?? '')) continue;
      for (const s of servers) s.close();
      throw err;
    }
    const addr = server.address();
    if (addr && typeof addr === 'object') port = addr.port;
    servers.push(server);
    listening.push(host);
  }
  hosts = allowedHosts(listening, port);
  const first = listening[0];
  const url = `http://${first.includes(':') ? `[${first}]` : first}:${port}/`;

  return {
    url,
    port,
    servers,
    run: () => run,
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((ok) => {
              s.close(() => ok());
              s.closeAllConnections();
            }),
        ),
      ).then(() => undefined),
  };
}
