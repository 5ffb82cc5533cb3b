/**
 * The ranges and values of a model's digitTrain fields (the table META_RULES beside META_SCHEMA
 * in model.ts is the data; this file applies it), and the rules that tie fields together (a
 * mini-batch inside its epoch, history epochs in order). Every check gives one problem text
 * ("digitTrain.options.batch is 2.5, not a whole number from 1 to 4294967295"), or null.
 */

/** The most epochs a model may record: far beyond any run, and small enough that epoch + --epochs stays an exact integer (< 2^53). */
export const MAX_EPOCH = 1e15;

/** The largest count of a data set (IDX counts are 32-bit). */
export const MAX_COUNT = 2 ** 32 - 1;

export interface MetaRule {
  /** For fields that META_SCHEMA does not list: the kind they must have. */
  kind?: 'string' | 'count' | 'object';
  /** The field may be absent. */
  optional?: boolean;
  /** With optional: absent only when the field at this dotted path is absent too (a part of an optional object). */
  presentWith?: string;
  integer?: boolean;
  min?: number;
  max?: number;
  /** Exclusive upper bound. */
  below?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** A string that must be one of these. */
  oneOf?: readonly string[];
  /** A non-empty list of distinct strings, each one of these. */
  listOf?: readonly string[];
  /** A string that must not be empty. */
  nonEmpty?: boolean;
  /** An object whose values are 64 hex digits (SHA-256). */
  sha256?: boolean;
  /** A number at most the number at this dotted path. */
  atMost?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Control characters (C0, DEL, C1) and the Unicode line separators: never let into a terminal. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A value as a short piece of a message (JSON, at most 40 characters). */
export function shown(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export const at = (m: unknown, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), m);

function numberWanted(r: MetaRule): string {
  const whole = r.integer ? 'a whole number' : 'a number';
  if (r.below !== undefined) return `${whole} in [${r.min ?? '-∞'}, ${r.below})`;
  if (r.above !== undefined) return `${whole} in (${r.above}, ${r.max ?? '∞'}]`;
  if (r.min !== undefined && r.max !== undefined) return `${whole} from ${r.min} to ${r.max}`;
  if (r.min !== undefined) return `${whole} ≥ ${r.min}`;
  if (r.max !== undefined) return `${whole} ≤ ${r.max}`;
  return whole;
}

/** The problem with one field under its rule, or null. */
function ruleProblem(v: unknown, r: MetaRule, m: Record<string, unknown>): string | null {
  if (v === undefined) return r.optional && (r.presentWith === undefined || at(m, r.presentWith) === undefined) ? null : 'is missing';
  if (r.kind === 'string' && typeof v !== 'string') return `is ${shown(v)}, not a string`;
  if (r.kind === 'count' && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) return `is ${shown(v)}, not a whole number ≥ 0`;
  if (r.kind === 'object' && !isObject(v)) return `is ${shown(v)}, not an object`;
  if (typeof v === 'string') {
    if (CONTROL.test(v)) return `is ${shown(v)}, which holds control characters`;
    if (r.nonEmpty && v.trim() === '') return 'is empty';
  }
  if (r.oneOf && !(typeof v === 'string' && r.oneOf.includes(v))) return `is ${shown(v)}, not one of ${r.oneOf.join(', ')}`;
  if (r.listOf) {
    const ok = Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && r.listOf!.includes(x)) && new Set(v).size === v.length;
    if (!ok) return `is ${shown(v)}, not a list of distinct names from ${r.listOf.join(', ')}`;
  }
  if (r.sha256) {
    if (!isObject(v)) return `is ${shown(v)}, not an object`;
    for (const [k, x] of Object.entries(v)) {
      if (CONTROL.test(k) || typeof x !== 'string' || !/^[0-9a-f]{64}$/.test(x)) return `has ${shown(k)}: ${shown(x)}, not a SHA-256 (64 hex digits) by file name`;
    }
  }
  if (r.integer !== undefined || r.min !== undefined || r.max !== undefined || r.below !== undefined || r.above !== undefined || r.atMost !== undefined) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `is ${shown(v)}, not ${numberWanted(r)}`;
    const bad = (r.integer && !Number.isInteger(v)) || (r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max) || (r.below !== undefined && v >= r.below) || (r.above !== undefined && v <= r.above);
    if (bad) return `is ${shown(v)}, not ${numberWanted(r)}`;
    if (r.atMost !== undefined) {
      const limit = at(m, r.atMost);
      if (typeof limit === 'number' && v > limit) return `is ${shown(v)}, more than digitTrain.${r.atMost} (${limit})`;
    }
  }
  return null;
}

/** Applies the rules to a digitTrain section whose kinds META_SCHEMA has already checked; the first problem, or null. */
export function metaRulesProblem(m: Record<string, unknown>, rules: readonly (readonly [string, MetaRule])[]): string | null {
  for (const [path, rule] of rules) {
    const problem = ruleProblem(at(m, path), rule, m);
    if (problem) return `digitTrain.${path} ${problem}`;
  }
  return consistencyProblem(m);
}

/** Rules across fields: where the run stands inside its epoch, and the history. */
function consistencyProblem(m: Record<string, unknown>): string | null {
  const p = m.progress as Record<string, unknown>;
  const o = m.options as Record<string, unknown>;
  const d = m.dataset as Record<string, unknown>;
  const batch = o.batch as number;
  const trainSize = d.trainSize as number;
  const batches = Math.ceil(trainSize / batch);
  const inEpoch = p.batchInEpoch as number;
  if (inEpoch >= batches) {
    return `digitTrain.progress.batchInEpoch is ${inEpoch}, past the end of an epoch (${batches} mini-batch${batches === 1 ? '' : 'es'} of ${batch} from ${trainSize} images)`;
  }
  if (p.epochSeen !== inEpoch * batch) return `digitTrain.progress.epochSeen is ${shown(p.epochSeen)}, but ${inEpoch} mini-batches of ${batch} make ${inEpoch * batch}`;
  if (inEpoch === 0 && p.epochCostSum !== 0) return `digitTrain.progress.epochCostSum is ${shown(p.epochCostSum)} between two epochs, not 0`;
  const epoch = p.epoch as number;
  const history = p.history as Record<string, unknown>[];
  if (history.length > epoch) return `digitTrain.progress.history has ${history.length} records for ${epoch} epochs`;
  let previous = 0;
  for (let i = 0; i < history.length; i++) {
    const r = history[i];
    const where = `digitTrain.progress.history[${i}]`;
    const e = r.epoch as number;
    if (e <= previous || e > epoch) return `${where}.epoch is ${shown(e)}, not after ${previous} and at most ${epoch}`;
    previous = e;
    for (const key of ['trainSeconds', 'evalSeconds', 'trainCost'] as const) if ((r[key] as number) < 0) return `${where}.${key} is ${shown(r[key])}, below 0`;
    if (r.trainAccuracy !== undefined && !(typeof r.trainAccuracy === 'number' && r.trainAccuracy >= 0 && r.trainAccuracy <= 1)) {
      return `${where}.trainAccuracy is ${shown(r.trainAccuracy)}, not a number from 0 to 1`;
    }
    for (const set of ['test', 'validation'] as const) {
      const s = r[set] as Record<string, number> | undefined;
      if (!s) continue;
      if (!Number.isInteger(s.count) || s.count < 1 || s.count > MAX_COUNT) return `${where}.${set}.count is ${shown(s.count)}, not a whole number from 1 to ${MAX_COUNT}`;
      if (!Number.isInteger(s.correct) || s.correct < 0 || s.correct > s.count) return `${where}.${set}.correct is ${shown(s.correct)}, not a whole number from 0 to ${s.count}`;
      if (!(s.accuracy >= 0 && s.accuracy <= 1)) return `${where}.${set}.accuracy is ${shown(s.accuracy)}, not a number from 0 to 1`;
      if (s.cost < 0) return `${where}.${set}.cost is ${shown(s.cost)}, below 0`;
    }
  }
  return null;
}

/**
 * The problem with resuming `progress` with mini-batches of `batch` from `trainSize` images (the
 * command line may change both), or null.
 */
export function resumePointProblem(progress: { batchInEpoch: number; epochSeen: number }, batch: number, trainSize: number): string | null {
  if (progress.batchInEpoch === 0) return null;
  const batches = Math.ceil(trainSize / batch);
  if (progress.batchInEpoch >= batches || progress.epochSeen !== progress.batchInEpoch * batch) {
    return `it stopped after mini-batch ${progress.batchInEpoch} of an epoch (${progress.epochSeen} images); with --batch ${batch} and ${trainSize} training images that point does not exist: resume with the batch size and --train-size it was trained with`;
  }
  return null;
}
