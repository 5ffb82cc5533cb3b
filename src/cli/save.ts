/**
 * Saving the model at the end of a run (or at an interruption) so that the weights are not lost:
 * the durable write to --out, and when that fails a second one in the OS temp directory. The
 * caller learns where the weights are, or that they could not be kept, and says so.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel, type AnyModel } from '../model/model.js';

export type SaveOutcome =
  | { ok: true; path: string; fellBack: false }
  | { ok: true; path: string; fellBack: true; error: string }
  | { ok: false; error: string; fallback: string; fallbackError: string };

/** The reason of a failed save ("no space left on device"), without the "PATH: cannot write the model (…)" around it. */
const reason = (err: unknown, path: string): string => {
  const text = (err as Error)?.message ?? String(err);
  const rest = text.startsWith(`${path}: `) ? text.slice(path.length + 2) : text;
  return /^cannot write the model \((.*)\)$/.exec(rest)?.[1] ?? rest;
};

/** Saves `model` to `out`, else to a new file in the temp directory; never throws for a write error. */
export function saveWithFallback(out: string, model: AnyModel): SaveOutcome {
  try {
    saveModel(out, model);
    return { ok: true, path: out, fellBack: false };
  } catch (err) {
    if (!(err as Error)?.message?.includes('cannot write')) throw err; // not a write error (e.g. a model too large): the caller words it
    const error = reason(err, out);
    const fallback = join(tmpdir(), `digit-train-${process.pid}-${Date.now()}.json`);
    try {
      saveModel(fallback, model);
      return { ok: true, path: fallback, fellBack: true, error };
    } catch (err2) {
      return { ok: false, error, fallback, fallbackError: reason(err2, fallback) };
    }
  }
}
