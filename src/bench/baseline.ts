/**
 * A stored `bench --json` result to compare with (--baseline), checked before the benchmark
 * runs: a list of workloads, each a name and a positive, finite trainSeconds (and, when the
 * reference was timed, a positive ratio to it), naming at least one workload of this run.
 */
import { UserError } from '../errors.js';
import { FileAccessError, readRegularFile } from '../io/files.js';
import type { BenchResult } from './bench.js';

/** The largest baseline file read: a bench result is a few kilobytes. */
export const MAX_BASELINE_BYTES = 16 * 2 ** 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Checks a baseline's parsed JSON; the problem in words, or null. `names`: the workloads this run measures. */
export function baselineProblem(doc: unknown, names: readonly string[]): string | null {
  if (!isObject(doc)) return 'not a JSON object';
  const ws = doc.workloads;
  if (!Array.isArray(ws)) return 'no "workloads" list';
  if (ws.length === 0) return 'its "workloads" list is empty: it compares nothing';
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i];
    if (!isObject(w)) return `workloads[${i}] is not an object`;
    if (typeof w.name !== 'string' || w.name === '' || w.name.length > 200) return `workloads[${i}].name is not a workload name`;
    if (!positive(w.trainSeconds)) return `workloads[${i}].trainSeconds is not a positive number of seconds`;
    if (w.reference !== undefined && !(isObject(w.reference) && positive(w.reference.ratio))) return `workloads[${i}].reference.ratio is not a positive number`;
  }
  if (!ws.some((w) => names.includes((w as { name: string }).name))) {
    return `it holds none of the workloads measured now (${names.join('; ')}): it compares nothing`;
  }
  return null;
}

/** Reads and checks a baseline file; a UserError naming --baseline and the file otherwise. */
export function readBaseline(file: string, names: readonly string[]): BenchResult {
  const fail = (problem: string): never => {
    throw new UserError(`--baseline ${file}: not a \`digit-train bench --json\` result (${problem})`);
  };
  let text = '';
  try {
    text = readRegularFile(file, MAX_BASELINE_BYTES, 'baseline file').toString('utf8');
  } catch (err) {
    fail(err instanceof FileAccessError ? err.reason : String(err));
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail((err as Error).message);
  }
  const problem = baselineProblem(doc, names);
  if (problem) fail(problem);
  return doc as BenchResult;
}
