/**
 * The model file of a training run, now: its weights (the best epoch's when asked for and
 * known, else the current ones) and everything --resume needs to go on exactly where it is.
 * The one place that builds a run's digitTrain section: `digit-train train` and the training
 * started from `digit-train serve` both save through it.
 */
import type { Mnist } from '../data/mnist.js';
import type { Activation } from '../nn/functions.js';
import { cloneLayered, isLayered } from '../nn/layered.js';
import { cloneNetwork, type Init } from '../nn/network.js';
import type { Trainer } from '../train/train.js';
import { VERSION } from '../version.js';
import { datasetName } from './fit.js';
import { FORMAT_VERSION, type AnyModel, type ModelMeta } from './model.js';

export interface RunState {
  trainer: Trainer;
  data: Pick<Mnist, 'name' | 'dir' | 'sha256' | 'train'>;
  /** The value of every option that --resume carries on, by the train command's option names
   *  (seed, monitor, keep, trainSize among them). */
  resumable: Record<string, unknown> & { seed: number; monitor: string[]; keep: 'best' | 'last' };
  /** The hidden layers' activation the file records (a layer list's own may differ per layer). */
  activation: Activation;
  init: Init | 'file';
  initFrom?: string;
}

/**
 * The model of the run: `final` is the file written at the end (with --keep best, the best
 * epoch's weights), otherwise a checkpoint (the current weights, and the best so far kept
 * beside them for --keep best).
 */
export function runModel(run: RunState, final: boolean): AnyModel {
  const { trainer, data, resumable, activation, init, initFrom } = run;
  const { net, progress, options } = trainer;
  const { seed, monitor, keep } = resumable;
  const haveBest = keep === 'best' && progress.bestEpoch > 0;
  const { etaDecay, ...constant } = options; // η decay recorded only when there is one (files without it stay as before)
  const keptBest = final && haveBest;
  const meta: ModelMeta = {
    format: FORMAT_VERSION,
    activation,
    output: net.output,
    init,
    seed,
    options: { ...constant, ...(etaDecay !== undefined && etaDecay !== 1 ? { etaDecay } : {}), ...resumable },
    monitor: [...monitor],
    keep,
    dataset: { name: datasetName(data), trainSize: data.train.count, ...(data.name === 'MNIST' ? { sha256: data.sha256 } : {}) },
    progress,
    ...(options.momentum !== 0 ? { velocity: Array.from(trainer.velocity) } : {}),
    ...(initFrom ? { initFrom } : {}),
    ...(keptBest ? { keptEpoch: progress.bestEpoch } : {}),
    ...(!final && haveBest ? { best: Array.from(trainer.best) } : {}),
    version: VERSION,
    created: new Date().toISOString(),
  };
  if (!keptBest) return { net, meta } as AnyModel;
  const best = isLayered(net) ? cloneLayered(net) : cloneNetwork(net);
  best.params.set(trainer.best);
  return { net: best, meta } as AnyModel;
}
