/**
 * Model files: JSON, a strict superset of Nielsen's network2.py format, so network2.load()
 * reads our sigmoid models and we read its files:
 *
 *   sizes    [784, 30, 10]
 *   weights  per layer, [n_out][n_in]: weights[l][j][k] = from neuron k to neuron j
 *   biases   per layer, [n_out][1]: each bias in a one-element array
 *   cost     "QuadraticCost" | "CrossEntropyCost" ("LogLikelihoodCost" for a softmax output)
 *   digitTrain  everything else (format version, activations, hyperparameters, seed, dataset,
 *               history, the state --resume needs, final metrics); absent in network2's files.
 *
 * A convolutional (layer-list) model has no sizes/weights/biases: its network is the versioned
 * section digitTrain.network (model/layered.ts); parseModel refuses it, parseAnyModel reads both.
 *
 * Numbers are written by JSON.stringify, the shortest text that reads back as the same
 * Float64, so save → load is exact. Files are written to a temporary name in the same
 * directory and renamed: an existing file is only ever replaced by a complete new one.
 */
import { FileAccessError, readRegularFile, writeFileDurable } from '../io/files.js';
import { gb, MAX_MODEL_FILE_BYTES } from './limits.js';
import { MAX_COUNT, MAX_EPOCH, metaRulesProblem, type MetaRule } from './rules.js';
import { FileError, UserError } from '../errors.js';
import { describeFsError } from '../data/idx.js';
import { ACTIVATIONS, OUTPUTS, type Activation, type Cost, type OutputActivation } from '../nn/functions.js';
import { allocateNetwork, INITS, type Init, type Network } from '../nn/network.js';
import { isLayered, type LayeredNetwork } from '../nn/layered.js';
import { isLayeredDoc, layeredSection, parseLayeredSection } from './layered.js';
import { ELASTIC_MAX_SIGMA, ELASTIC_MIN_SIGMA } from '../data/augment.js';
import type { TrainOptions, TrainProgress } from '../train/train.js';

export const FORMAT_VERSION = 1;

export interface ModelMeta {
  format: number;
  activation: Activation;
  output: OutputActivation;
  init: Init | 'file';
  seed: number;
  /** The engine's options, and the value of every option that --resume carries on (the train
   *  command's option table decides which). */
  options: TrainOptions & Record<string, unknown>;
  /** What was evaluated every epoch (test, validation, train). */
  monitor?: string[];
  /** Which weights were saved: the best epoch's (by validation accuracy) or the last. */
  keep?: 'best' | 'last';
  /** With keep best: the epoch whose weights these are. */
  keptEpoch?: number;
  dataset: { name: string; trainSize: number; sha256?: Record<string, string> };
  progress: TrainProgress;
  /** Momentum velocity, laid out as Network.params (only when momentum is on). */
  velocity?: number[];
  /** In a checkpoint of a --keep best run: the parameters of the best epoch so far. */
  best?: number[];
  /** The model these weights started from (--init), if any. */
  initFrom?: string;
  version: string;
  created: string;
}

export interface Model {
  net: Network;
  /** null for a network2.py file. */
  meta: ModelMeta | null;
}

/** A layer-list (conv) model (model/layered.ts): the same digitTrain section, the network in digitTrain.network. */
export interface LayeredModel {
  net: LayeredNetwork;
  meta: ModelMeta;
}

/** A model of either kind, for the commands that take conv models too. */
export type AnyModel = Model | LayeredModel;

export class ModelError extends FileError {
  override name = 'ModelError';
}

function nielsenCost(cost: Cost, output: OutputActivation): string {
  if (output === 'softmax') return 'LogLikelihoodCost';
  return cost === 'quadratic' ? 'QuadraticCost' : 'CrossEntropyCost';
}

/** The JSON text of a model. Throws if any parameter is not finite (such a file is never written). */
export function modelToJson(model: AnyModel): string {
  if (isLayered(model.net)) {
    const { net, meta } = model as LayeredModel;
    const cost = net.cost === 'quadratic' ? 'QuadraticCost' : nielsenCost(net.cost, net.output); // a quadratic softmax stays quadratic
    return JSON.stringify({ cost, digitTrain: { ...meta, network: layeredSection(net) } });
  }
  const { net } = model as Model;
  const weights: number[][][] = [];
  const biases: number[][][] = [];
  for (let l = 0; l + 1 < net.sizes.length; l++) {
    const nIn = net.sizes[l];
    const nOut = net.sizes[l + 1];
    const W = net.W[l];
    const rows: number[][] = [];
    for (let j = 0; j < nOut; j++) {
      const row = new Array<number>(nIn);
      for (let k = 0; k < nIn; k++) row[k] = W[k * nOut + j];
      rows.push(row);
    }
    weights.push(rows);
    biases.push(Array.from(net.b[l], (v) => [v]));
  }
  for (let i = 0; i < net.params.length; i++) {
    if (!Number.isFinite(net.params[i])) throw new RangeError('the model holds NaN or infinite parameters; it is not written');
  }
  const doc: Record<string, unknown> = { sizes: net.sizes, weights, biases, cost: nielsenCost(net.cost, net.output) };
  if (model.meta) doc.digitTrain = model.meta;
  return JSON.stringify(doc);
}

/** Writes `text` to `path` atomically and durably (src/io/files.ts): every byte written and synced, then renamed; on failure the old file stays. */
export function writeFileAtomic(path: string, text: string): void {
  try {
    writeFileDurable(path, text);
  } catch (err) {
    throw new UserError(`${path}: cannot write the model (${err instanceof FileAccessError ? err.reason : describeFsError(err)})`);
  }
}

/** The JSON text of a model, or a UserError (instead of V8's "Invalid string length") when it is too long for one string. */
export function modelText(model: AnyModel): string {
  try {
    return modelToJson(model);
  } catch (err) {
    if (err instanceof RangeError && /string length/i.test(err.message)) {
      throw new UserError(`the model (${'sizes' in model.net ? model.net.sizes.join('-') : 'a layer list'}) is too large for one model file (at most ${gb(MAX_MODEL_FILE_BYTES)} of JSON)`, 1);
    }
    throw err;
  }
}

export function saveModel(path: string, model: AnyModel): void {
  writeFileAtomic(path, modelText(model));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates a model file's text; every problem is a ModelError naming `file`.
 *  A layer-list (conv) model is a ModelError here: the commands that take one use parseAnyModel. */
export function parseModel(text: string, file: string): Model {
  const model = parseAnyModel(text, file);
  if (isLayered(model.net)) throw new ModelError(file, 'is a layer-list model (--layers), which this command does not take yet');
  return model as Model;
}

/** As parseModel, for an MLP or a layer-list model. */
export function parseAnyModel(text: string, file: string): AnyModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ModelError(file, `not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw new ModelError(file, 'is not a JSON object');
  if (isLayeredDoc(doc)) return parseLayeredModel(doc, file);
  const { sizes, weights, biases, cost } = doc;
  if (!Array.isArray(sizes) || sizes.length < 2) throw new ModelError(file, 'sizes must be an array of at least two layer sizes');
  sizes.forEach((n, l) => {
    if (!Number.isInteger(n) || (n as number) < 1) throw new ModelError(file, `sizes[${l}] is ${JSON.stringify(n)}, not a positive integer`);
  });
  const L = sizes.length - 1;
  if (!Array.isArray(weights)) throw new ModelError(file, 'weights is missing or not an array');
  if (!Array.isArray(biases)) throw new ModelError(file, 'biases is missing or not an array');
  if (weights.length !== L) throw new ModelError(file, `weights has ${weights.length} layers, sizes needs ${L}`);
  if (biases.length !== L) throw new ModelError(file, `biases has ${biases.length} layers, sizes needs ${L}`);

  const meta = doc.digitTrain === undefined ? null : checkMeta(doc.digitTrain, file);
  let costName: Cost;
  let output: OutputActivation = meta?.output ?? 'sigmoid';
  if (cost === 'QuadraticCost') costName = 'quadratic';
  else if (cost === 'CrossEntropyCost') costName = 'cross-entropy';
  else if (cost === 'LogLikelihoodCost') {
    costName = 'cross-entropy';
    output = 'softmax';
  } else throw new ModelError(file, `cost ${JSON.stringify(cost)} is not QuadraticCost, CrossEntropyCost or LogLikelihoodCost`);
  if (meta && meta.output !== output) throw new ModelError(file, `cost ${cost} does not fit digitTrain.output ${meta.output}`);

  // Shapes first: a file can only hold as many numbers as it has characters, so nothing is
  // allocated for layer sizes the file does not back with weights.
  for (let l = 0; l < L; l++) {
    const nIn = sizes[l] as number;
    const nOut = sizes[l + 1] as number;
    const rows = weights[l];
    if (!Array.isArray(rows)) throw new ModelError(file, `weights[${l}] is not an array`);
    if (rows.length !== nOut) throw new ModelError(file, `weights[${l}] has ${rows.length} rows, sizes[${l + 1}] is ${nOut}`);
    for (let j = 0; j < nOut; j++) {
      const row = rows[j];
      if (!Array.isArray(row)) throw new ModelError(file, `weights[${l}][${j}] is not an array`);
      if (row.length !== nIn) throw new ModelError(file, `weights[${l}][${j}] has ${row.length} columns, sizes[${l}] is ${nIn}`);
    }
    const bs = biases[l];
    if (!Array.isArray(bs)) throw new ModelError(file, `biases[${l}] is not an array`);
    if (bs.length !== nOut) throw new ModelError(file, `biases[${l}] has ${bs.length} rows, sizes[${l + 1}] is ${nOut}`);
  }

  const net = allocateNetwork({ sizes: sizes as number[], activation: meta?.activation ?? 'sigmoid', output, cost: costName });
  for (let l = 0; l < L; l++) {
    const nIn = net.sizes[l];
    const nOut = net.sizes[l + 1];
    const rows = weights[l] as unknown[][];
    const W = net.W[l];
    for (let j = 0; j < nOut; j++) {
      const row = rows[j];
      for (let k = 0; k < nIn; k++) {
        const v = row[k];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelError(file, `weights[${l}][${j}][${k}] is ${JSON.stringify(v)}, not a finite number`);
        W[k * nOut + j] = v;
      }
    }
    const bs = biases[l] as unknown[];
    for (let j = 0; j < nOut; j++) {
      const cell = bs[j];
      const v = Array.isArray(cell) && cell.length === 1 ? cell[0] : cell;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelError(file, `biases[${l}][${j}] is ${JSON.stringify(cell)}, not a finite number (or [number])`);
      net.b[l][j] = v;
    }
  }
  for (const key of ['velocity', 'best'] as const) {
    const v = meta?.[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length !== net.params.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ModelError(file, `digitTrain.${key} must hold ${net.params.length} finite numbers`);
    }
  }
  return { net, meta };
}

function parseLayeredModel(doc: Record<string, unknown>, file: string): LayeredModel {
  const { network, ...rest } = doc.digitTrain as Record<string, unknown>;
  const meta = checkMeta(rest, file);
  const cost = doc.cost;
  let costName: Cost;
  if (cost === 'QuadraticCost') costName = 'quadratic';
  else if (cost === 'CrossEntropyCost' || cost === 'LogLikelihoodCost') costName = 'cross-entropy';
  else throw new ModelError(file, `cost ${JSON.stringify(cost)} is not QuadraticCost, CrossEntropyCost or LogLikelihoodCost`);
  const net = parseLayeredSection(network, costName, (problem) => {
    throw new ModelError(file, problem);
  });
  if (costName === 'cross-entropy' && (cost === 'LogLikelihoodCost') !== (net.output === 'softmax')) throw new ModelError(file, `cost ${cost} does not fit the output layer's ${net.output}`);
  if (meta.output !== net.output) throw new ModelError(file, `digitTrain.output ${meta.output} does not fit the output layer's ${net.output}`);
  const noise = meta.progress.noiseState;
  if (noise !== undefined && kindError(noise, 'count') !== null) throw new ModelError(file, 'digitTrain.progress.noiseState is not a whole number ≥ 0');
  for (const key of ['velocity', 'best'] as const) {
    const v = meta[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length !== net.params.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ModelError(file, `digitTrain.${key} must hold ${net.params.length} finite numbers`);
    }
  }
  return { net, meta };
}

type Kind = 'number' | 'integer' | 'count' | 'positive' | 'boolean' | 'string' | 'object';

/** What the digitTrain section must hold: dotted path → kind (everything the commands read). */
const META_SCHEMA: [string, Kind][] = [
  ['seed', 'count'],
  ['options', 'object'],
  ['options.eta', 'positive'],
  ['options.batch', 'positive'],
  ['options.lambda', 'number'],
  ['options.momentum', 'number'],
  ['options.shuffle', 'boolean'],
  ['options.etaPatience', 'count'],
  ['options.etaHalvings', 'count'],
  ['options.earlyStop', 'count'],
  ['options.trainAccuracy', 'boolean'],
  ['dataset', 'object'],
  ['dataset.name', 'string'],
  ['dataset.trainSize', 'positive'],
  ['progress', 'object'],
  ['progress.epoch', 'count'],
  ['progress.batchInEpoch', 'count'],
  ['progress.rngState', 'count'],
  ['progress.epochCostSum', 'number'],
  ['progress.epochSeen', 'count'],
  ['progress.epochTrainSeconds', 'number'],
  ['progress.eta', 'positive'],
  ['progress.halvings', 'count'],
  ['progress.bestAccuracy', 'number'],
  ['progress.bestEpoch', 'count'],
  ['progress.sinceBest', 'count'],
  ['progress.finished', 'boolean'],
];

/**
 * Ranges and values of the digitTrain fields, checked after META_SCHEMA's kinds (and fields it
 * does not list), by src/model/rules.ts; the options' ranges are those of the train command's flags.
 */
export const META_RULES: (readonly [string, MetaRule])[] = [
  ['init', { oneOf: [...INITS, 'file'] }],
  ['seed', { integer: true, max: 0xffffffff }],
  ['version', { kind: 'string' }],
  ['created', { kind: 'string' }],
  ['monitor', { optional: true, listOf: ['test', 'validation', 'train'] }],
  ['keep', { optional: true, oneOf: ['best', 'last'] }],
  ['keptEpoch', { optional: true, integer: true, min: 1, atMost: 'progress.epoch' }],
  ['initFrom', { optional: true, kind: 'string', nonEmpty: true }],
  ['options.batch', { integer: true, min: 1, max: MAX_COUNT }],
  ['options.lambda', { min: 0 }],
  ['options.momentum', { min: 0, below: 1 }],
  ['options.etaDecay', { optional: true, above: 0, max: 1 }],
  ['options.etaPatience', { integer: true, max: MAX_EPOCH }],
  ['options.etaHalvings', { integer: true, max: MAX_EPOCH }],
  ['options.earlyStop', { integer: true, max: MAX_EPOCH }],
  ['options.elastic', { optional: true, kind: 'object' }],
  ['options.elastic.alpha', { optional: true, presentWith: 'options.elastic', min: 0 }],
  ['options.elastic.sigma', { optional: true, presentWith: 'options.elastic', min: ELASTIC_MIN_SIGMA, max: ELASTIC_MAX_SIGMA }],
  ['dataset.name', { nonEmpty: true }],
  ['dataset.trainSize', { integer: true, min: 1, max: MAX_COUNT }],
  ['dataset.sha256', { optional: true, sha256: true }],
  ['progress.epoch', { integer: true, max: MAX_EPOCH }],
  ['progress.rngState', { integer: true, max: 0xffffffff }],
  ['progress.epochSeen', { integer: true, atMost: 'dataset.trainSize' }],
  ['progress.epochCostSum', { min: 0 }],
  ['progress.epochTrainSeconds', { min: 0 }],
  ['progress.halvings', { integer: true, max: MAX_EPOCH }],
  ['progress.bestAccuracy', { min: -1, max: 1 }],
  ['progress.bestEpoch', { integer: true, atMost: 'progress.epoch' }],
  ['progress.sinceBest', { integer: true, atMost: 'progress.epoch' }],
];

function kindError(v: unknown, kind: Kind): string | null {
  const finite = typeof v === 'number' && Number.isFinite(v);
  switch (kind) {
    case 'number':
      return finite ? null : 'is not a finite number';
    case 'integer':
      return finite && Number.isInteger(v) ? null : 'is not an integer';
    case 'count':
      return finite && Number.isInteger(v) && (v as number) >= 0 ? null : 'is not a whole number ≥ 0';
    case 'positive':
      return finite && (v as number) > 0 ? null : 'is not a positive number';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'is not true or false';
    case 'string':
      return typeof v === 'string' ? null : 'is not a string';
    case 'object':
      return isObject(v) ? null : 'is missing or not an object';
  }
}

function checkMeta(m: unknown, file: string): ModelMeta {
  if (!isObject(m)) throw new ModelError(file, 'digitTrain is not an object');
  if (m.format !== FORMAT_VERSION) throw new ModelError(file, `digitTrain.format ${JSON.stringify(m.format)} is not ${FORMAT_VERSION} (written by another version of digit-train?)`);
  if (!ACTIVATIONS.includes(m.activation as Activation)) throw new ModelError(file, `digitTrain.activation ${JSON.stringify(m.activation)} is not one of ${ACTIVATIONS.join(', ')}`);
  if (!OUTPUTS.includes(m.output as OutputActivation)) throw new ModelError(file, `digitTrain.output ${JSON.stringify(m.output)} is not one of ${OUTPUTS.join(', ')}`);
  for (const [path, kind] of META_SCHEMA) {
    const v = path.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), m);
    const problem = kindError(v, kind);
    if (problem) throw new ModelError(file, `digitTrain.${path} ${problem}`);
  }
  const history = (m.progress as Record<string, unknown>).history;
  if (!Array.isArray(history)) throw new ModelError(file, 'digitTrain.progress.history is not an array');
  history.forEach((r, i) => {
    const at = `digitTrain.progress.history[${i}]`;
    if (!isObject(r)) throw new ModelError(file, `${at} is not an object`);
    for (const [key, kind] of [['epoch', 'count'], ['trainCost', 'number'], ['eta', 'positive'], ['trainSeconds', 'number'], ['evalSeconds', 'number']] as [string, Kind][]) {
      const problem = kindError(r[key], kind);
      if (problem) throw new ModelError(file, `${at}.${key} ${problem}`);
    }
    for (const set of ['test', 'validation']) {
      if (r[set] === undefined) continue;
      const score = r[set];
      if (!isObject(score)) throw new ModelError(file, `${at}.${set} is not an object`);
      for (const key of ['correct', 'count', 'accuracy', 'cost']) {
        const problem = kindError(score[key], 'number');
        if (problem) throw new ModelError(file, `${at}.${set}.${key} ${problem}`);
      }
    }
  });
  const problem = metaRulesProblem(m, META_RULES);
  if (problem) throw new ModelError(file, problem);
  return m as unknown as ModelMeta;
}

/** A model file's text: a regular file of bounded size, or one ModelError naming it. */
function readModelText(path: string): string {
  try {
    return readRegularFile(path, MAX_MODEL_FILE_BYTES, 'model file').toString('utf8');
  } catch (err) {
    throw new ModelError(path, err instanceof FileAccessError ? err.reason : describeFsError(err));
  }
}

export function loadModel(path: string): Model {
  return parseModel(readModelText(path), path);
}

/** As loadModel, for an MLP or a layer-list model (the commands that take conv models). */
export function loadAnyModel(path: string): AnyModel {
  return parseAnyModel(readModelText(path), path);
}

/** The momentum velocity stored in a model, as a Float64Array (undefined when none). */
export function storedVelocity(model: AnyModel): Float64Array | undefined {
  return model.meta?.velocity ? Float64Array.from(model.meta.velocity) : undefined;
}
