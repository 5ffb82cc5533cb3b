/**
 * The library's typed errors in the CLI's words: one line naming the flag or file, and the exit
 * code (2: bad input). The library says which value hit which limit; only here do flags appear.
 */
import { DataShapeError, LimitError, MemoryLimitError, MissingDatasetError, ShapeError, UserError } from '../errors.js';
import { LayoutError } from '../nn/layout.js';
import { ModelFitError } from '../model/fit.js';

/** The flag that sets each quantity a LimitError can name. */
const FLAG_OF: Record<LimitError['quantity'], string> = {
  batch: '--batch',
  trainSize: '--train-size',
  index: '--index',
  depth: '--chain',
  pixels: 'image size',
  subset: 'subset',
};

/** A UserError for a typed library error (its one line and exit code), or null for a bug. */
export function asUserError(err: unknown): UserError | null {
  if (err instanceof ModelFitError && err.trainedOn !== undefined) {
    const hint = err.trainedOn === 'MNIST' ? 'it was trained on MNIST: leave out --data' : `it was trained on ${err.trainedOn}: give --data ${err.trainedOn}`;
    return new UserError(`${err.message} (${hint})`);
  }
  if (err instanceof UserError) return err;
  if (err instanceof LimitError) return new UserError(`${FLAG_OF[err.quantity]} ${err.value} is larger than ${err.of} (${err.limit}${err.quantity === 'index' ? '' : ' images'})`);
  if (err instanceof MemoryLimitError) return new UserError(`--batch ${err.batch}: ${err.message}: use a smaller batch`);
  if (err instanceof MissingDatasetError) return new UserError(`${err.message}: run \`npm install\`, or give --data DIR`);
  if (err instanceof LayoutError) return new UserError(`--hidden: ${err.message}`);
  if (err instanceof ShapeError || err instanceof DataShapeError) return new UserError(err.message);
  return null;
}
