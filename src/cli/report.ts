/**
 * `digit-train report MODEL`: evaluates a model on a split and writes one self-contained HTML
 * file with its curves, confusion matrix, mistakes and first-layer weights (a conv model's
 * first conv filters and their feature maps).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { DigitSet } from '../data/dataset.js';
import { evaluateDetailed } from '../nn/metrics.js';
import { loadAnyModel, writeFileAtomic } from '../model/model.js';
import { renderReport, REPORT_WORST } from '../report/html.js';
import { colorsFor, pct } from '../ui/terminal.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { checkWritable, dataOption, loadSplit, splitOption, warn, type Split } from './common.js';
import { openExternally } from './open.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';
import { checkDistinctFiles, dataFilesIn } from './paths.js';

export const reportOptions = {
  out: { flags: '-o, --out <file>', description: 'where to write the HTML report', default: 'report.html', parse: parsers.text },
  split: { ...splitOption('test'), description: 'which images to evaluate the model on' },
  data: dataOption,
  open: { flags: '--open', description: 'open the report in the browser (xdg-open, open or start) and print its file:// URL' },
} as const satisfies OptionTable;

type ReportArgs = ArgsOf<typeof reportOptions>;

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('write an HTML report of a model: curves, confusion matrix, mistakes, first-layer weights (conv filters and feature maps)')
    .argument('<model>', 'model file (JSON)')
    .allowExcessArguments(false);
  addOptions(cmd, reportOptions);
  cmd.action((model: string, raw: Record<string, unknown>) => runReport(model, parseOptions(reportOptions, raw)));
}

/** Writes a report's HTML to `path` atomically (a temporary file, then rename); a UserError naming the flag when it cannot. */
export function writeReportFile(path: string, html: string, flag = '--out'): void {
  try {
    writeFileAtomic(path, html);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const detail = /\([^)]*\)$/.exec(err.message)?.[0];
    throw new UserError(`${flag} ${path}: cannot write the report${detail ? ` ${detail}` : ''}`);
  }
}

async function runReport(file: string, args: ReportArgs): Promise<void> {
  checkWritable(args.out);
  checkDistinctFiles([{ flag: '--out', path: args.out }], [{ flag: 'the model', path: file }, ...dataFilesIn(args.data)]);
  const model = loadAnyModel(file);
  const { data, set } = loadSplit(args.data, args.split);
  checkModelFits(model, file, set, data.classes, datasetName(data));
  const evaluation = evaluateDetailed(model.net, set, REPORT_WORST);
  writeReportFile(args.out, renderReport(model, evaluation, set, { modelPath: file }));
  const c = colorsFor(process.stdout);
  console.log(`${c.green('wrote')} ${args.out}: ${file} on ${set.name}, ${evaluation.correct} / ${evaluation.count} (${pct(evaluation.accuracy)})`);
  if (args.open) {
    const url = pathToFileURL(resolve(args.out)).href;
    console.log(url);
    const problem = await openExternally(url);
    if (problem) warn(`could not open the report (${problem}); open ${url} in a browser`);
  }
}
