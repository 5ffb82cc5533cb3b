/** Runs bin/digit-train as a user would (compiled by `npm test`'s pretest build). */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/digit-train.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: opts.timeout ?? 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Running {
  child: import('node:child_process').ChildProcess;
  /** Everything printed so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout matches. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts bin/digit-train without waiting for it (for signals and timing). */
export async function start(args: string[], opts: { cwd?: string } = {}): Promise<Running> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) (w.pattern.test(out) ? w.resolve() : waiters.push(w));
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(out)) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`)), timeoutMs);
      waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
      void exit.then(() => (pattern.test(out) ? resolve() : reject(new Error(`exited before ${pattern}; stdout: ${out}; stderr: ${err}`))));
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exit };
}

/** A model file, parsed. */
export const readModel = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** Trains with `args` (--json added): expects exit 0 and nothing on stderr. */
export function trainOk(args: string[]): void {
  const r = run([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** What of a model file must not depend on whether a run was interrupted (no clocks). */
export function runState(doc: any) {
  const { progress, velocity, options, network } = doc.digitTrain;
  const { epochTrainSeconds: _t, history, ...rest } = progress;
  return { network, velocity, options, progress: rest, history: history.map(({ trainSeconds: _a, evalSeconds: _b, ...r }: any) => r) };
}
