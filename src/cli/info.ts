/**
 * `digit-train info MODEL`: what a model file holds besides its numbers: sizes, activations,
 * cost, how it was trained (hyperparameters, seed, dataset and checksums), the per-epoch
 * history and the final metrics.
 */
import type { Command } from 'commander';
import { loadAnyModel, type AnyModel } from '../model/model.js';
import { describeLayers, isLayered } from '../nn/layered.js';
import { parameterCount } from '../nn/layout.js';
import { renderTrainingChart } from '../ui/chart.js';
import { historyLines, table } from '../ui/tables.js';
import { colorsFor, fancyTerminal, pct } from '../ui/terminal.js';
import { addOptions, type OptionTable, parseOptions } from './options.js';

export const infoOptions = {
  json: { flags: '--json', description: 'print one JSON object (the model without its weights) instead of text' },
} as const satisfies OptionTable;

export function registerInfo(program: Command): void {
  const cmd = program
    .command('info')
    .description('describe a model file: architecture, training settings, dataset, history, final metrics')
    .argument('<model>', "model file (digit-train's or network2.py's JSON)")
    .allowExcessArguments(false);
  addOptions(cmd, infoOptions);
  cmd.action((model: string, raw: Record<string, unknown>) => runInfo(model, parseOptions(infoOptions, raw)));
}

/** The facts `info` shows, as plain data (also its --json output). */
export function modelInfo(file: string, model: AnyModel) {
  const { net, meta } = model;
  const history = meta?.progress.history ?? [];
  const last = history[history.length - 1];
  const tests = history.filter((r) => r.test);
  const bestTest = tests.length ? tests.reduce((a, b) => (b.test!.accuracy > a.test!.accuracy ? b : a)) : undefined;
  let rest: Record<string, unknown> | null = null;
  if (meta) {
    const { velocity, progress, ...others } = meta;
    const { history: _history, ...state } = progress;
    rest = { ...others, progress: state, hasVelocity: velocity !== undefined };
  }
  return {
    model: file,
    format: meta ? `digit-train ${meta.format}` : 'network2.py',
    ...(isLayered(net) ? { layers: net.layers, input: net.input } : { sizes: net.sizes }),
    parameters: isLayered(net) ? net.params.length : parameterCount(net.sizes),
    activation: isLayered(net) ? meta!.activation : net.activation,
    output: net.output,
    cost: net.cost,
    digitTrain: rest,
    history,
    final: last
      ? {
          epoch: last.epoch,
          trainCost: last.trainCost,
          ...(last.trainAccuracy !== undefined ? { trainAccuracy: last.trainAccuracy } : {}),
          ...(last.validation ? { validation: last.validation } : {}),
          ...(last.test ? { test: last.test } : {}),
          ...(bestTest ? { bestTest: { epoch: bestTest.epoch, accuracy: bestTest.test!.accuracy } } : {}),
          ...(meta!.progress.bestEpoch > 0 && history.some((r) => r.validation) ? { bestValidation: { epoch: meta!.progress.bestEpoch, accuracy: meta!.progress.bestAccuracy } } : {}),
        }
      : null,
  };
}

function runInfo(file: string, args: { json?: boolean }): void {
  const model = loadAnyModel(file);
  const info = modelInfo(file, model);
  if (args.json) {
    console.log(JSON.stringify(info));
    return;
  }
  const c = colorsFor(process.stdout);
  const { net, meta } = model;
  const act = isLayered(net) ? `as in the layer list, ${net.output} output` : net.output !== net.activation ? `${net.activation} hidden, ${net.output} output` : net.activation;
  const rows: string[][] = [
    ['format', meta ? `digit-train model, format ${meta.format}${meta.version ? ` (written by ${meta.version}, ${meta.created})` : ''}` : "network2.py's (no training record)"],
    isLayered(net)
      ? ['layers', `${describeLayers(net.layers)} on ${net.input.channels}×${net.input.height}×${net.input.width} (${info.parameters} weights and biases)`]
      : ['sizes', `${net.sizes.join('-')} (${info.parameters} weights and biases)`],
    ['activation', act],
    ['cost', net.cost],
  ];
  if (meta) {
    const o = meta.options;
    const p = meta.progress;
    rows.push(
      ['init', meta.init === 'file' ? `from ${meta.initFrom ?? 'a model file'}` : meta.init],
      ['seed', String(meta.seed)],
      [
        'training',
        [`η ${o.eta}`, `batch ${o.batch}`, `λ ${o.lambda}`, `μ ${o.momentum}`, o.shuffle ? 'shuffled' : 'file order'].join(', ') +
          (p.eta !== o.eta ? ` (η now ${p.eta})` : ''),
      ],
    );
    const schedule = [
      ...(o.etaPatience ? [`halve η after ${o.etaPatience} epochs without improvement${o.etaHalvings ? `, at most ${o.etaHalvings} times` : ''}`] : []),
      ...(o.earlyStop ? [`stop after ${o.earlyStop} epochs without improvement`] : []),
    ];
    if (schedule.length) rows.push(['schedule', schedule.join('; ')]);
    rows.push(['epochs', `${p.epoch}${p.batchInEpoch ? ` (+${p.batchInEpoch} mini-batches of epoch ${p.epoch + 1})` : ''}${p.finished ? ', finished by its schedule' : ''}`]);
    rows.push(['dataset', `${meta.dataset.name}, ${meta.dataset.trainSize} training images`]);
    for (const [name, sha] of Object.entries(meta.dataset.sha256 ?? {})) rows.push(['', `${name.padEnd(24)} sha256 ${sha}`]);
  }
  for (const line of table(['', ''], rows, { align: ['left', 'left'] }).slice(1)) console.log(line.replace(/^(\S+)/, (s) => c.bold(s)));

  if (info.history.length) {
    console.log('');
    for (const line of historyLines(info.history, c)) console.log(line);
    console.log('');
    for (const line of renderTrainingChart(info.history, process.stdout.columns ?? 80, c, { unicode: fancyTerminal(process.stdout) })) console.log(line);
  }
  const f = info.final;
  if (f) {
    const parts = [`after epoch ${f.epoch}: cost ${f.trainCost.toFixed(4)}`];
    if (f.trainAccuracy !== undefined) parts.push(`train ${pct(f.trainAccuracy)}`);
    if (f.validation) parts.push(`validation ${f.validation.correct} / ${f.validation.count} (${pct(f.validation.accuracy)})`);
    if (f.test) parts.push(`test ${f.test.correct} / ${f.test.count} (${pct(f.test.accuracy)})`);
    console.log('');
    console.log(c.bold('final: ') + parts.join(', '));
    if (f.bestTest) console.log(`best test accuracy ${pct(f.bestTest.accuracy)} (epoch ${f.bestTest.epoch})`);
    if (f.bestValidation) console.log(`best validation accuracy ${pct(f.bestValidation.accuracy)} (epoch ${f.bestValidation.epoch})`);
  }
  const kept = model.meta?.keptEpoch;
  if (kept !== undefined) console.log(c.bold('weights saved: ') + `those of epoch ${kept} (--keep best: the best validation accuracy), not of the last epoch`);
}
