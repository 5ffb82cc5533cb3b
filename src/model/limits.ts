/**
 * How big a run and its model file may be, checked before anything is allocated:
 *
 * - A model file is one JSON text, read and written as one string, so it can hold at most
 *   V8's longest string (buffer.constants.MAX_STRING_LENGTH, 2^29 − 24 characters in Node 20).
 *   JSON.stringify writes a Float64 in at most 24 characters ("-1.2345678901234567e-300"), so a
 *   parameter takes at most BYTES_PER_PARAMETER with its comma and brackets. A checkpoint holds
 *   the parameters once more for the momentum velocity and once more for --keep best's weights.
 * - A run needs its parameters several times over (the kernels' copy, the gradient, the
 *   evaluation buffers, the velocity, the JSON text when saving) and its layers' activations per
 *   mini-batch: refused above the memory of the machine (os.totalmem, or the cgroup's limit).
 */
import { constants } from 'node:buffer';
import { machineMemory } from '../io/memory.js';
import { UserError } from '../errors.js';
import { parameterCount } from '../nn/layout.js';

export { machineMemory };

/** The longest model file: one string. */
export const MAX_MODEL_FILE_BYTES = constants.MAX_STRING_LENGTH;

/** Upper bound on a parameter's characters in a model file: 24 for the number, its comma, and the brackets of a bias ([b]). */
export const BYTES_PER_PARAMETER = 28;

/** Bytes of memory per parameter at the peak of a run (its copies as Float64, the arrays and the text built when saving). */
const MEMORY_PER_PARAMETER = 8 * 4 + 8 * 2 + 2 * BYTES_PER_PARAMETER;

/** The largest model file these sizes can give, holding the parameters `copies` times. */
export function modelFileBound(sizes: readonly number[], copies = 1): number {
  return parameterCount(sizes) * BYTES_PER_PARAMETER * copies + 64 * 1024;
}

/** A rough upper estimate of the memory a training run of `sizes` with mini-batches of `batch` needs. */
export function runMemoryBound(sizes: readonly number[], batch: number, copies = 1): number {
  let neurons = 0;
  for (const n of sizes) neurons += n;
  const activations = 8 * 3 * (batch + 100) * neurons + 12 * batch * sizes[0];
  return parameterCount(sizes) * (MEMORY_PER_PARAMETER + 8 * (copies - 1)) + activations + 256 * 2 ** 20;
}

export const gb = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`);

/**
 * Throws UserError (naming `what`, e.g. "--hidden 40000") when a run of these sizes would not
 * fit in memory, or its model file (with `copies` parameter blocks) could not be written.
 */
export function checkRunSize(sizes: readonly number[], batch: number, copies: number, what: string): void {
  const memory = runMemoryBound(sizes, batch, copies);
  const have = machineMemory();
  if (!Number.isFinite(memory) || memory > have) {
    throw new UserError(`${what}: a ${sizes.join('-')} network needs about ${gb(memory)} of memory to train, this machine has ${gb(have)}`);
  }
  const file = modelFileBound(sizes, copies);
  if (file > MAX_MODEL_FILE_BYTES) {
    const params = parameterCount(sizes);
    throw new UserError(
      `${what}: the model file of a ${sizes.join('-')} network (${params} parameters${copies > 1 ? `, ${copies} copies in a checkpoint with momentum or --keep best` : ''}) could reach ${gb(file)}, more than the ${gb(MAX_MODEL_FILE_BYTES)} a model file can hold; use fewer neurons`,
    );
  }
}

