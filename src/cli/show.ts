/**
 * `digit-train show [--index N | --digit D] [--count K]`: draws images of the data set with
 * their labels, side by side as the terminal's width allows.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { drawDigit, sideBySide } from '../ui/draw.js';
import { colorsFor } from '../ui/terminal.js';
import { checkIndex, dataOption, loadSplit, splitOption, type Split } from './common.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';

export const showOptions = {
  index: { flags: '--index <n>', description: 'start at image n of the split (0-based)', parse: parsers.nonNegativeInt },
  digit: { flags: '--digit <d>', description: 'show only images labelled d (the first ones of the split)', parse: parsers.nonNegativeInt },
  count: { flags: '--count <k>', description: 'how many images', defaultText: '1 with --index, else 6', parse: parsers.positiveInt },
  split: splitOption('test'),
  data: dataOption,
} as const satisfies OptionTable;

type ShowArgs = ArgsOf<typeof showOptions>;

export function registerShow(program: Command): void {
  const cmd = program.command('show').description('draw images of the data set with their labels').allowExcessArguments(false);
  addOptions(cmd, showOptions);
  cmd.action((raw: Record<string, unknown>) => runShow(parseOptions(showOptions, raw)));
}

function runShow(args: ShowArgs): void {
  if (args.index !== undefined && args.digit !== undefined) throw new UserError('give --index or --digit, not both');
  const c = colorsFor(process.stdout);
  const { data, set } = loadSplit(args.data, args.split);
  if (args.digit !== undefined && args.digit >= data.classes) throw new UserError(`--digit ${args.digit}: the labels of the data go from 0 to ${data.classes - 1}`);
  const count = args.count ?? (args.index !== undefined ? 1 : 6);

  let picked: number[] = [];
  if (args.digit !== undefined) {
    for (let e = 0; e < set.count && picked.length < count; e++) if (set.labels[e] === args.digit) picked.push(e);
    if (picked.length === 0) throw new UserError(`--digit ${args.digit}: no image of ${set.name} has that label`);
  } else {
    const start = args.index ?? 0;
    checkIndex(start, set);
    for (let e = start; e < Math.min(set.count, start + count); e++) picked.push(e);
  }

  // As many per row as fit the terminal (80 columns when not a terminal).
  const gap = 3;
  const columns = process.stdout.isTTY ? (process.stdout.columns ?? 80) : 80;
  const perRow = Math.max(1, Math.floor((columns + gap) / (set.cols + gap)));
  for (let r = 0; r < picked.length; r += perRow) {
    const row = picked.slice(r, r + perRow);
    const blocks = row.map((e) => [c.bold(`#${e}: ${set.labels[e]}`), ...drawDigit(set.images, e * set.inputSize, set.rows, set.cols, c)]);
    if (r > 0) console.log('');
    for (const line of sideBySide(blocks, row.map(() => set.cols), gap)) console.log(line.replace(/\s+$/, ''));
  }
  console.log(`${set.name}: ${picked.length === 1 ? `image ${picked[0]}` : `${picked.length} images`}${args.digit !== undefined ? ` labelled ${args.digit}` : ''}`);
}
