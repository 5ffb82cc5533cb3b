/**
 * What the page asks of a network about one drawing, computed by the library's own code:
 *   - the drawing (a PNG from the pad) becomes the 28×28 input exactly as `digit-train predict`
 *     makes it from a PNG file (decodeImage, toDigit of src/data/image.ts),
 *   - the outputs come from the forward pass `predict` uses (predictSet of src/nn/metrics.ts),
 *     the hidden activations and the δ of each layer from the readable pass (nn/network.ts; a
 *     layer-list (conv) model's activations from feedforwardLayered, its feature maps kept as
 *     channels × height × width),
 *   - "teach it" is `explain` (src/explain/) on a one-image set, and the step it describes
 *     is then taken by the engine's Trainer (one mini-batch of one image), on a copy. A
 *     layer-list model takes the same step by the Trainer; explain's account is for MLPs only,
 *     so its lesson holds the outputs before and after the step, without the account.
 */
import { makeDigitSet, gatherImage, type DigitSet } from '../data/dataset.js';
import { decodeImage, toDigit } from '../data/image.js';
import { backprop, feedforward } from '../nn/network.js';
import { explain } from '../explain/explain.js';
import { predictSet } from '../nn/metrics.js';
import { cloneNetwork, type Network } from '../nn/network.js';
import { cloneLayered, createLayeredWorkspace, describeLayers, feedforwardLayered, isLayered, type LayeredNetwork } from '../nn/layered.js';
import { gatherLayered } from '../nn/layered-data.js';
import { sizeOf } from '../nn/layout.js';
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

/** Either kind of network the page draws with: an MLP (sizes) or a layer list (conv). */
export type AnyNetwork = Network | LayeredNetwork;

export function cloneAny(net: AnyNetwork): AnyNetwork {
  return isLayered(net) ? cloneLayered(net) : cloneNetwork(net);
}

/** The network's answer for one image, by predict's forward pass. */
export function answer(net: AnyNetwork, set: DigitSet): Answer {
  const p = predictSet(net, set);
  return { predicted: p.predicted[0], outputs: Array.from(p.outputs) };
}

/** A hidden layer's activations as the page draws them: a strip (channels = height = 1) or feature maps (channels maps of height × width). */
export interface LayerShape {
  /** What the layer is: "layer 1" for an MLP, "conv:20x5:sigmoid", "pool:2", "dense:100:relu" for a layer list. */
  name: string;
  channels: number;
  height: number;
  width: number;
}

export interface Activations {
  /** a of every hidden layer (a layer list's dropout layers left out: at evaluation they are the identity), flat, channel-major. */
  hidden: number[][];
  shapes: LayerShape[];
  /** δ = ∂C/∂z of every layer (1..L); empty for a layer list (explain's account is for MLPs). */
  delta: number[][];
}

/** a of every hidden layer and, for an MLP, δ = ∂C/∂z of every layer (1..L) for image 0 of `set` with its label (the readable forward and backward pass). */
export function layers(net: AnyNetwork, set: DigitSet): Activations {
  if (isLayered(net)) {
    const ws = createLayeredWorkspace(net, 1);
    gatherLayered(set, null, 0, 1, ws);
    feedforwardLayered(net, ws, 1, null);
    const hidden: number[][] = [];
    const shapes: LayerShape[] = [];
    net.layout.layers.forEach((s, i) => {
      if (i === net.layout.layers.length - 1 || s.kind === 'dropout') return;
      hidden.push(Array.from(ws.a[i + 1].subarray(0, sizeOf(s.output))));
      shapes.push({ name: describeLayers([net.layers[i]]), ...s.output });
    });
    return { hidden, shapes, delta: [] };
  }
  const ws = createWorkspace(net, 1);
  gatherImage(set, 0, ws.a[0], 0);
  ws.y[0] = set.labels[0];
  feedforward(net, ws, 1);
  const hidden = ws.a.slice(1, -1).map((a) => Array.from(a.subarray(0, a.length)));
  const shapes = hidden.map((a, l) => ({ name: `layer ${l + 1}`, channels: 1, height: 1, width: a.length }));
  backprop(net, ws, 1);
  const delta = ws.delta.slice(1).map((d) => Array.from(d));
  return { hidden, shapes, delta };
}

/** The weights the page draws: one picture per unit of the first layer with weights. */
export interface FirstLayer {
  /** Each unit's input weights as signed bytes, round(127·w/max|w| of that unit), row-major height × width. */
  weights: number[][];
  height: number;
  width: number;
  /** "neuron": a dense layer's unit over the whole image (784 weights as 28×28); "filter": a conv filter (k×k). */
  unit: 'neuron' | 'filter';
  /** Units the layer has (the first `count` are drawn). */
  units: number;
}

/** Signed bytes of w[at + i·stride], i < n, scaled to the largest |w|. */
function bytesOf(W: Float64Array, at: number, stride: number, n: number): number[] {
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(W[at + i * stride]));
  const row = new Array<number>(n);
  for (let i = 0; i < n; i++) row[i] = max === 0 ? 0 : Math.round((127 * W[at + i * stride]) / max);
  return row;
}

/**
 * First-layer weights of the first `count` units, each as signed bytes: for an MLP (and a layer
 * list that starts dense, after pool or dropout layers) a neuron's weights over its whole input
 * (28×28, or what the pooling left); for a layer list that starts with a conv layer, its filters
 * (k×k; the images have one channel).
 */
export function firstLayerWeights(net: AnyNetwork, count = SHOWN_NEURONS): FirstLayer {
  if (!isLayered(net)) {
    const nIn = net.sizes[0];
    const nOut = net.sizes[1];
    const side = Math.round(Math.sqrt(nIn));
    const weights: number[][] = [];
    for (let j = 0; j < Math.min(count, nOut); j++) weights.push(bytesOf(net.W[0], j, nOut, nIn));
    return { weights, height: side * side === nIn ? side : 1, width: side * side === nIn ? side : nIn, unit: 'neuron', units: nOut };
  }
  const i = net.layout.layers.findIndex((s) => s.kind === 'conv' || s.kind === 'dense');
  const s = net.layout.layers[i];
  const W = net.W[i];
  const weights: number[][] = [];
  if (s.kind === 'conv') {
    const n = s.input.channels * s.size * s.size; // one channel: k·k
    for (let f = 0; f < Math.min(count, s.filters); f++) weights.push(bytesOf(W, f * n, 1, n));
    return { weights, height: s.input.channels * s.size, width: s.size, unit: 'filter', units: s.filters };
  }
  if (s.kind !== 'dense') throw new RangeError('a layer list has a dense output layer'); // checkLayers guarantees it
  for (let j = 0; j < Math.min(count, s.nOut); j++) weights.push(bytesOf(W, j, s.nOut, s.nIn));
  return { weights, height: s.input.channels * s.input.height, width: s.input.width, unit: 'neuron', units: s.nOut };
}

export interface Lesson {
  label: number;
  eta: number;
  before: Answer;
  after: Answer;
  /** δ of every layer (1..L) before the step (empty for a layer list). */
  delta: number[][];
  /** explain()'s account of the step: the output error, the output layer by the chain rule, the wishes for the layers below, the step; null for a layer list. */
  explanation: Pick<ReturnType<typeof explain>, 'outputs' | 'outputLayer' | 'wishes' | 'step'> | null;
  /** The network after the step (a new copy; `net` is unchanged). */
  stepped: AnyNetwork;
}

/** One backprop step on the drawing with its right digit `label`, as `explain` tells it (for an MLP); `net` is left unchanged. */
export function teach(net: AnyNetwork, pixels: Uint8Array, side: number, label: number, eta: number): Lesson {
  const set = oneImage(pixels, side, label);
  const e = isLayered(net) ? null : explain(net, { set, index: 0, batch: 1, eta });
  const before = answer(net, set);
  const { delta } = layers(net, set);
  // The same step by the engine: one mini-batch of this one image, plain SGD (no momentum, no L2).
  const stepped = cloneAny(net);
  const options = { ...DEFAULT_TRAIN_OPTIONS, eta, batch: 1, shuffle: false };
  new Trainer(stepped, { train: set }, options, newProgress(new Random(1), eta)).runEpoch();
  const after = answer(stepped, set);
  return { label, eta, before, after, delta, explanation: e && { outputs: e.outputs, outputLayer: e.outputLayer, wishes: e.wishes, step: e.step }, stepped: cloneAny(stepped) };
}
