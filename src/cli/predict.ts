/**
 * `digit-train predict MODEL (IMAGE... | --index N)`: what the network says about a picture
 * (PNG or PGM of any size, turned into MNIST's 28×28 white-on-black) or about one image of the
 * data set: the digit as the network sees it, the output activations as bars, the prediction.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { makeDigitSet, type DigitSet } from '../data/dataset.js';
import { lightBackground, readImage, toDigit } from '../data/image.js';
import { checkModelFits, datasetName, imageSide } from '../model/fit.js';
import { loadAnyModel } from '../model/model.js';
import { outputCount } from '../nn/layered-data.js';
import { predictSet } from '../nn/metrics.js';
import { drawDigit, sideBySide } from '../ui/draw.js';
import { activationBars } from '../ui/tables.js';
import { colorsFor } from '../ui/terminal.js';
import { checkIndex, dataOption, loadSplit, splitOption, warn, type Split } from './common.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';
import { printable } from './text.js';

export const predictOptions = {
  index: { flags: '--index <n>', description: 'predict image n of the data set (0-based) instead of image files', parse: parsers.nonNegativeInt },
  split: splitOption('test'),
  data: dataOption,
  invert: { flags: '--invert', description: 'the image files are dark digits on a light background (a drawing on paper): invert them first' },
  json: { flags: '--json', description: 'print one JSON object with the predictions instead of text' },
} as const satisfies OptionTable;

type PredictArgs = ArgsOf<typeof predictOptions>;

interface Item {
  /** File name, or e.g. "MNIST test[12]". */
  source: string;
  index?: number;
  label?: number;
  predicted: number;
  outputs: number[];
  /** The pixels fed to the network. */
  pixels: Uint8Array;
}

export function registerPredict(program: Command): void {
  const cmd = program
    .command('predict')
    .description('predict the digit in PNG/PGM files, or in an image of the data set (--index)')
    .argument('<model>', "model file (digit-train's or network2.py's JSON)")
    .argument('[images...]', 'PNG or PGM files of any size (white digit on black, or use --invert)')
    .allowExcessArguments(false);
  addOptions(cmd, predictOptions);
  cmd.action((model: string, images: string[], raw: Record<string, unknown>, command: Command) => {
    const args = parseOptions(predictOptions, raw);
    const given = (key: string) => command.getOptionValueSource(key) === 'cli';
    if (images.length > 0 && args.index !== undefined) throw new UserError('give image files or --index N, not both');
    if (images.length === 0 && args.index === undefined) throw new UserError('nothing to predict: give image files or --index N');
    if (images.length > 0 && (given('split') || args.data !== undefined)) throw new UserError('--split and --data go with --index, not with image files');
    if (args.index !== undefined && args.invert) throw new UserError('--invert goes with image files, not with --index');
    runPredict(model, images, args);
  });
}

function runPredict(file: string, images: string[], args: PredictArgs): void {
  const c = colorsFor(process.stdout);
  const model = loadAnyModel(file);
  const { net } = model;
  let set: DigitSet;
  let items: Omit<Item, 'predicted' | 'outputs'>[];
  if (args.index !== undefined) {
    const { data, set: full } = loadSplit(args.data, args.split);
    checkModelFits(model, file, full, data.classes, datasetName(data));
    checkIndex(args.index, full);
    const at = args.index * full.inputSize;
    set = makeDigitSet(`${full.name}[${args.index}]`, full.images.slice(at, at + full.inputSize), full.labels.slice(args.index, args.index + 1), full.rows, full.cols);
    items = [{ source: `${full.name}`, index: args.index, label: full.labels[args.index], pixels: set.images }];
  } else {
    const side = imageSide(net, file);
    const pixels = new Uint8Array(images.length * side * side);
    items = images.map((path, i) => {
      const img = readImage(path);
      const digit = toDigit(img, { invert: args.invert, side });
      // A blank or all-one-grey picture has no digit: a prediction for it would mean nothing.
      if (digit.every((v) => v === 0)) {
        if (toDigit(img, { invert: !args.invert, side }).some((v) => v !== 0)) {
          throw new UserError(`${printable(path)}: nothing is drawn (no ink lighter than the background${args.invert ? ' after --invert); without --invert there is a digit' : '); with --invert (a dark digit on a light background) there is one'}`);
        }
        throw new UserError(`${printable(path)}: nothing is drawn (every pixel is the same grey), so there is no digit to predict`);
      }
      if (!args.invert && lightBackground(img)) warn(`${printable(path)}: the background looks light; for a dark digit on a light background use --invert`);
      pixels.set(digit, i * side * side);
      return { source: path, pixels: digit };
    });
    set = makeDigitSet('images', pixels, new Uint8Array(images.length), side, side);
  }

  const nOut = outputCount(net);
  const p = predictSet(net, set);
  const results: Item[] = items.map((it, i) => ({ ...it, predicted: p.predicted[i], outputs: Array.from(p.outputs.subarray(i * nOut, (i + 1) * nOut)) }));

  if (args.json) {
    console.log(
      JSON.stringify({
        model: file,
        predictions: results.map(({ source, index, label, predicted, outputs }) => ({ source, ...(index !== undefined ? { index, label } : {}), predicted, outputs })),
      }),
    );
    return;
  }
  results.forEach((r, n) => {
    if (n > 0) console.log('');
    const name = printable(r.index !== undefined ? `${r.source} #${r.index}` : r.source);
    let head = `${c.bold(name)}: predicted ${c.bold(String(r.predicted))} (a = ${r.outputs[r.predicted].toFixed(3)})`;
    if (r.label !== undefined) head += r.label === r.predicted ? `, true ${r.label} ${c.green('✓')}` : `, true ${r.label} ${c.red('✗')}`;
    console.log(head);
    const picture = drawDigit(r.pixels, 0, set.rows, set.cols, c);
    const bars = activationBars(r.outputs, { predicted: r.predicted, label: r.label }, c);
    for (const line of sideBySide([picture, bars], [set.cols])) console.log(line.replace(/\s+$/, ''));
  });
}
