/**
 * Layer-list (conv) models in the model file. network2.py's format has no room for a layer list,
 * so such a file keeps network2.py's `cost` field and puts the network in a versioned section of
 * digitTrain (it has no `sizes`, `weights` or `biases`: network2.py cannot read it, and says so):
 *
 *   cost        "QuadraticCost" | "CrossEntropyCost" | "LogLikelihoodCost" (as an MLP file)
 *   digitTrain.network
 *     format      1 (LAYERED_FORMAT)
 *     input       [channels, height, width], e.g. [1, 28, 28]
 *     layers      every layer, the output layer last, e.g.
 *                 [{"kind":"conv","filters":20,"size":5,"activation":"sigmoid"}, {"kind":"pool","size":2},
 *                  {"kind":"dropout","p":0.5}, {"kind":"dense","units":100,"activation":"relu"},
 *                  {"kind":"dense","units":10,"activation":"softmax"}]
 *     parameters  every weight and bias, flat, in the block order of nn/layout.ts (stackLayoutOf):
 *                 layer by layer, conv w[f][c][p][q] then b[f]; dense W input-major (W[k·n_out + j]) then b
 *
 * The rest of digitTrain (options, progress, velocity, best, …) is as in an MLP file; velocity
 * and best are laid out as `parameters`.
 */
import { ACTIVATIONS, type Activation, type Cost } from '../nn/functions.js';
import { allocateLayered, checkLayers, LayerListError, layoutOfLayers, type LayeredNetwork, type LayerSpec } from '../nn/layered.js';
import { StackLayoutError } from '../nn/layout.js';

export const LAYERED_FORMAT = 1;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The digitTrain.network section of a layered network. Throws RangeError for non-finite parameters. */
export function layeredSection(net: LayeredNetwork): Record<string, unknown> {
  for (let i = 0; i < net.params.length; i++) {
    if (!Number.isFinite(net.params[i])) throw new RangeError('the model holds NaN or infinite parameters; it is not written');
  }
  const { channels, height, width } = net.input;
  return { format: LAYERED_FORMAT, input: [channels, height, width], layers: net.layers, parameters: Array.from(net.params) };
}

/** Does this parsed JSON document hold a layered network? */
export function isLayeredDoc(doc: Record<string, unknown>): boolean {
  return doc.sizes === undefined && isObject(doc.digitTrain) && doc.digitTrain.network !== undefined;
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

function parseSpec(v: unknown, at: string, fail: (p: string) => never): LayerSpec {
  if (!isObject(v)) fail(`${at} is not an object`);
  const s = v as Record<string, unknown>;
  const activation = (last: boolean): Activation | 'softmax' => {
    const a = s.activation;
    if ((ACTIVATIONS as readonly unknown[]).includes(a) || (last && a === 'softmax')) return a as Activation | 'softmax';
    return fail(`${at}.activation ${JSON.stringify(a)} is not one of ${ACTIVATIONS.join(', ')}${last ? ', softmax' : ''}`);
  };
  switch (s.kind) {
    case 'conv':
      if (!positive(s.filters) || !positive(s.size)) fail(`${at}: filters and size must be positive integers`);
      return { kind: 'conv', filters: s.filters as number, size: s.size as number, activation: activation(false) as Activation };
    case 'pool':
      if (!positive(s.size)) fail(`${at}.size must be a positive integer`);
      return { kind: 'pool', size: s.size as number };
    case 'dropout':
      if (typeof s.p !== 'number' || !(s.p >= 0 && s.p < 1)) fail(`${at}.p must be a number in [0, 1)`);
      return { kind: 'dropout', p: s.p as number };
    case 'dense':
      if (!positive(s.units)) fail(`${at}.units must be a positive integer`);
      return { kind: 'dense', units: s.units as number, activation: activation(true) };
    default:
      return fail(`${at}.kind ${JSON.stringify(s.kind)} is not conv, pool, dropout or dense`);
  }
}

/**
 * The network of a digitTrain.network section; every problem is reported through `fail`
 * (which throws: ModelError naming the file, in model.ts).
 */
export function parseLayeredSection(v: unknown, cost: Cost, fail: (problem: string) => never): LayeredNetwork {
  if (!isObject(v)) fail('digitTrain.network is not an object');
  const sec = v as Record<string, unknown>;
  if (sec.format !== LAYERED_FORMAT) fail(`digitTrain.network.format ${JSON.stringify(sec.format)} is not ${LAYERED_FORMAT} (written by another version of digit-train?)`);
  const input = sec.input;
  if (!Array.isArray(input) || input.length !== 3 || !input.every(positive)) fail('digitTrain.network.input must be [channels, height, width], positive integers');
  const [channels, height, width] = input as number[];
  if (channels * height * width > 65536) fail('digitTrain.network.input is larger than 65536 numbers');
  if (!Array.isArray(sec.layers) || sec.layers.length === 0) fail('digitTrain.network.layers must be a non-empty array');
  const layers = (sec.layers as unknown[]).map((s, i) => parseSpec(s, `digitTrain.network.layers[${i}]`, fail));
  let net: LayeredNetwork;
  try {
    // Shapes first: nothing is allocated for layers the file does not back with parameters.
    checkLayers(layers);
    const count = layoutOfLayers({ channels, height, width }, layers).count;
    if (!Array.isArray(sec.parameters) || sec.parameters.length !== count) fail(`digitTrain.network.parameters must hold ${count} numbers (the layers' weights and biases)`);
    net = allocateLayered({ input: { channels, height, width }, layers, cost });
  } catch (err) {
    if (err instanceof LayerListError || err instanceof StackLayoutError) return fail(`digitTrain.network.layers: ${err.message}`);
    throw err;
  }
  const params = sec.parameters as unknown[];
  (params as unknown[]).forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`digitTrain.network.parameters[${i}] is ${JSON.stringify(x)}, not a finite number`);
    net.params[i] = x as number;
  });
  return net;
}
