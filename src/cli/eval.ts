/**
 * `digit-train eval MODEL`: accuracy, average cost, the confusion matrix, per-digit precision
 * and recall, and the most confident mistakes drawn in the terminal. `--json` prints all of it
 * as one object; `--min-accuracy` turns it into a CI gate (exit 1 below the bar).
 */
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import { UserError } from '../errors.js';
import type { DigitSet } from '../data/dataset.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { loadAnyModel, type AnyModel } from '../model/model.js';
import { describeLayers, isLayered } from '../nn/layered.js';
import { evaluateDetailed, type Evaluation } from '../nn/metrics.js';
import { drawDigit, sideBySide } from '../ui/draw.js';
import { activationBars, classScoreLines, confusionLines } from '../ui/tables.js';
import { colorsFor, pct } from '../ui/terminal.js';
import { dataOption, loadSplit, splitOption, stepSummary, warn, type Split } from './common.js';
import { markdownTable } from '../ci/step-summary.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';

/** --min-accuracy: a percentage from 0 to 100, "95" or "95%"; 0 < P ≤ 1 is refused as a likely fraction. */
export function parsePercent(raw: string, flag: string): number {
  const text = raw.trim().replace(/%$/, '');
  const v = Number(text);
  if (text === '' || !Number.isFinite(v) || v < 0 || v > 100) throw new UserError(`${flag}: ${JSON.stringify(raw)} is not a percentage from 0 to 100`);
  if (v > 0 && v <= 1 && !raw.trim().endsWith('%')) {
    throw new UserError(`${flag}: ${JSON.stringify(raw)} looks like a fraction; give a percentage (e.g. 95 for 95%), or write ${text}% if you mean it`);
  }
  return v;
}

export const evalOptions = {
  split: splitOption('test'),
  data: dataOption,
  show: { flags: '--show <n>', description: 'how many of the most confident mistakes to draw (0: none)', default: 5, parse: parsers.nonNegativeInt },
  json: { flags: '--json', description: 'print one JSON object with everything instead of text (accuracies, precision, recall and minAccuracy as fractions from 0 to 1)' },
  minAccuracy: {
    flags: '--min-accuracy <P>',
    description: 'exit 1 when the accuracy is below P percent (0–100, e.g. 95 or 95%; a value from 0 to 1 is refused unless written with %)',
    parse: parsePercent,
  },
} as const satisfies OptionTable;

type EvalArgs = ArgsOf<typeof evalOptions>;

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('evaluate a model: accuracy, cost, confusion matrix, precision/recall, worst mistakes')
    .argument('<model>', "model file (digit-train's or network2.py's JSON)")
    .allowExcessArguments(false);
  addOptions(cmd, evalOptions);
  cmd.action((model: string, raw: Record<string, unknown>) => runEval(model, parseOptions(evalOptions, raw)));
}

/** One line describing a model: sizes, activations, cost, and where it came from. */
export function describeModel(model: AnyModel): string {
  const { net, meta } = model;
  if (isLayered(net)) return `layers ${describeLayers(net.layers)}, ${net.cost} cost (digit-train, ${meta!.progress.epoch} epoch${meta!.progress.epoch === 1 ? '' : 's'}, seed ${meta!.seed})`;
  const act = net.output !== net.activation ? `${net.activation}/${net.output}` : net.activation;
  const origin = meta ? `digit-train, ${meta.progress.epoch} epoch${meta.progress.epoch === 1 ? '' : 's'}, seed ${meta.seed}` : 'network2.py file';
  return `${net.sizes.join('-')} ${act}, ${net.cost} cost (${origin})`;
}

/** Whether `correct / count` reaches `percent` %, compared without rounding. */
export function meetsPercent(correct: number, count: number, percent: number): boolean {
  return correct * 100 >= percent * count;
}

function runEval(file: string, args: EvalArgs): void {
  const c = colorsFor(process.stdout);
  const model = loadAnyModel(file);
  const { data, set } = loadSplit(args.data, args.split);
  for (const f of data.checksumMismatches) warn(`${f} differs from the MNIST file whose SHA-256 is in data/checksums.json`);
  checkModelFits(model, file, set, data.classes, datasetName(data));
  const ev = evaluateDetailed(model.net, set, args.show);

  if (args.json) {
    console.log(
      JSON.stringify({
        model: file,
        ...(isLayered(model.net) ? { layers: model.net.layers } : { sizes: model.net.sizes }),
        data: data.name,
        split: args.split,
        set: set.name,
        count: ev.count,
        correct: ev.correct,
        accuracy: ev.accuracy,
        cost: ev.cost,
        confusion: ev.confusion,
        perClass: ev.perClass,
        worst: ev.worst,
        // Every accuracy in this object is a fraction from 0 to 1, the gate's too (--min-accuracy 95 → 0.95).
        minAccuracy: args.minAccuracy === undefined ? null : args.minAccuracy / 100,
        passed: args.minAccuracy === undefined ? null : meetsPercent(ev.correct, ev.count, args.minAccuracy),
      }),
    );
  } else {
    for (const line of report(file, model, ev, set, c)) console.log(line);
  }
  stepSummary(evalSummary(file, model, ev, args.minAccuracy));
  if (args.minAccuracy !== undefined && !meetsPercent(ev.correct, ev.count, args.minAccuracy)) {
    throw new UserError(`accuracy ${pct(ev.accuracy)} (${ev.correct} / ${ev.count}) on ${set.name} is below --min-accuracy ${args.minAccuracy}%`, 1);
  }
}

/** The Markdown summary for $GITHUB_STEP_SUMMARY: the accuracy, the gate, per-digit recall. */
function evalSummary(file: string, model: AnyModel, ev: Evaluation, minAccuracy: number | undefined): string {
  const gate =
    minAccuracy === undefined ? '' : meetsPercent(ev.correct, ev.count, minAccuracy) ? ` ✅ passes --min-accuracy ${minAccuracy}%` : ` ❌ below --min-accuracy ${minAccuracy}%`;
  return [
    `### digit-train eval \`${file}\``,
    '',
    `${describeModel(model)}`,
    '',
    `**${ev.set}: ${ev.correct} / ${ev.count} correct (${pct(ev.accuracy)})**, average cost ${ev.cost.toFixed(4)}.${gate}`,
    '',
    markdownTable(['digit', ...ev.perClass.map((p) => String(p.digit))], [
      ['precision', ...ev.perClass.map((p) => pct(p.precision, 1))],
      ['recall', ...ev.perClass.map((p) => pct(p.recall, 1))],
    ], ['l', ...ev.perClass.map(() => 'r' as const)]),
  ].join('\n');
}

function report(file: string, model: AnyModel, ev: Evaluation, set: DigitSet, c: ChalkInstance): string[] {
  const lines = [
    `${c.bold(file)}: ${describeModel(model)}`,
    `${set.name}: ${c.bold(`${ev.correct} / ${ev.count} correct (${pct(ev.accuracy)})`)}, average cost ${ev.cost.toFixed(4)}`,
    '',
    c.bold('confusion matrix') + ' (rows: true digit, columns: predicted digit)',
    ...confusionLines(ev.confusion, c),
    '',
    ...classScoreLines(ev.perClass, c),
  ];
  if (ev.worst.length) {
    lines.push('', c.bold(`the ${ev.worst.length} most confident mistake${ev.worst.length === 1 ? '' : 's'}`));
    for (const w of ev.worst) {
      lines.push('', `${set.name} #${w.index}: true ${w.label}, predicted ${c.red(String(w.predicted))} (a = ${w.confidence.toFixed(3)})`);
      const picture = drawDigit(set.images, w.index * set.inputSize, set.rows, set.cols, c);
      const bars = activationBars(w.outputs, { predicted: w.predicted, label: w.label }, c);
      lines.push(...sideBySide([picture, bars], [set.cols]).map((l) => l.replace(/\s+$/, '')));
    }
  }
  return lines;
}
