/**
 * What the page asks of a network about one drawing, computed by the library's own code:
 *   - the drawing (a PNG from the pad) becomes the 28×28 input exactly as `digit-train predict`
 *     makes it from a PNG file (decodeImage, toDigit of src/data/image.ts),
 *   - the outputs come from the forward pass `predict` uses (predictSet of src/nn/metrics.ts),
 *     the hidden activations and the δ of each layer from the readable pass (nn/network.ts),
 *   - "teach it" is `explain` (src/explain/) on a one-image set, and the step it describes
 *     is then taken by the engine's Trainer (one mini-batch of one image), on a copy.
 */
import { makeDigitSet, gatherImage, type DigitSet } from '../data/dataset.js';
import { decodeImage, toDigit } from '../data/image.js';
import { backprop, feedforward } from '../nn/network.js';
import { explain } from '../explain/explain.js';
import { predictSet } from '../nn/metrics.js';
import { cloneNetwork, type Network } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer } from '../train/train.js';
import { createWorkspace } from '../nn/workspace.js';
import { HttpError } from './http.js';

/** Largest side of a drawing we decode (the pad sends 280×280). */
export const MAX_DRAWING_SIDE = 2048;

/** First-layer neurons whose weights the page draws. */
export const SHOWN_NEURONS = 30;

const PNG_PREFIX = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The PNG bytes of a `data:image/png;base64,…` string, or a 400. Checks the size in the header before anything is decoded. */
export function drawingBytes(value: unknown): Uint8Array {
  if (typeof value !== 'string' || !value.startsWith(PNG_PREFIX)) throw new HttpError(400, 'image: expected a data:image/png;base64,… string');
  const b64 = value.slice(PNG_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new HttpError(400, 'image: not valid base64');
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  if (bytes.length < 24 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new HttpError(400, 'image: not a PNG file');
  // IHDR: width and height are the big-endian words at bytes 16 and 20.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const w = view.getUint32(16);
  const h = view.getUint32(20);
  if (w > MAX_DRAWING_SIDE || h > MAX_DRAWING_SIDE) throw new HttpError(400, `image: ${w}x${h} is larger than ${MAX_DRAWING_SIDE}x${MAX_DRAWING_SIDE}`);
  return bytes;
}

/** The drawing as the network sees it: side×side bytes, white on black (as `predict` makes a PNG file). */
export function drawingToDigit(bytes: Uint8Array, side: number): Uint8Array {
  try {
    return toDigit(decodeImage(bytes, 'image'), { side });
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

/** A one-image set holding `pixels` with `label`. */
export function oneImage(pixels: Uint8Array, side: number, label = 0): DigitSet {
  return makeDigitSet('drawing', pixels, Uint8Array.of(label), side, side);
}

export interface Answer {
  predicted: number;
  outputs: number[];
}

/** The network's answer for one image, by predict's forward pass. */
export function answer(net: Network, set: DigitSet): Answer {
  const p = predictSet(net, set);
  return { predicted: p.predicted[0], outputs: Array.from(p.outputs) };
}

/** a of every hidden layer and δ = ∂C/∂z of every layer (1..L) for image 0 of `set` with its label (the readable forward and backward pass). */
export function layers(net: Network, set: DigitSet): { hidden: number[][]; delta: number[][] } {
  const ws = createWorkspace(net, 1);
  gatherImage(set, 0, ws.a[0], 0);
  ws.y[0] = set.labels[0];
  feedforward(net, ws, 1);
  const hidden = ws.a.slice(1, -1).map((a) => Array.from(a.subarray(0, a.length)));
  backprop(net, ws, 1);
  const delta = ws.delta.slice(1).map((d) => Array.from(d));
  return { hidden, delta };
}

/**
 * First-layer weights of the first `count` hidden neurons, each as 784 signed bytes
 * (round(127·w/max|w| of that neuron)): what the page draws as 28×28 pictures.
 */
export function firstLayerWeights(net: Network, count = SHOWN_NEURONS): number[][] {
  const nIn = net.sizes[0];
  const nOut = net.sizes[1];
  const W = net.W[0];
  const out: number[][] = [];
  for (let j = 0; j < Math.min(count, nOut); j++) {
    let max = 0;
    for (let k = 0; k < nIn; k++) max = Math.max(max, Math.abs(W[k * nOut + j]));
    const row = new Array<number>(nIn);
    for (let k = 0; k < nIn; k++) row[k] = max === 0 ? 0 : Math.round((127 * W[k * nOut + j]) / max);
    out.push(row);
  }
  return out;
}

export interface Lesson {
  label: number;
  eta: number;
  before: Answer;
  after: Answer;
  /** δ of every layer (1..L) before the step. */
  delta: number[][];
  /** explain()'s account of the step: the output error, the output layer by the chain rule, the wishes for the layers below, the step. */
  explanation: Pick<ReturnType<typeof explain>, 'outputs' | 'outputLayer' | 'wishes' | 'step'>;
  /** The network after the step (a new copy; `net` is unchanged). */
  stepped: Network;
}

/** One backprop step on the drawing with its right digit `label`, as `explain` tells it; `net` is left unchanged. */
export function teach(net: Network, pixels: Uint8Array, side: number, label: number, eta: number): Lesson {
  const set = oneImage(pixels, side, label);
  const e = explain(net, { set, index: 0, batch: 1, eta });
  const before = answer(net, set);
  const { delta } = layers(net, set);
  // The same step by the engine: one mini-batch of this one image, plain SGD (no momentum, no L2).
  const stepped = cloneNetwork(net);
  const options = { ...DEFAULT_TRAIN_OPTIONS, eta, batch: 1, shuffle: false };
  new Trainer(stepped, { train: set }, options, newProgress(new Random(1), eta)).runEpoch();
  const after = answer(stepped, set);
  return { label, eta, before, after, delta, explanation: { outputs: e.outputs, outputLayer: e.outputLayer, wishes: e.wishes, step: e.step }, stepped: cloneNetwork(stepped) };
}
