/**
 * The C reference of the benchmark: bench/reference.c (the default workload in plain C, same
 * generator and initialisation as ours), compiled on demand with the machine's `cc -O3
 * -march=native`, once per hidden size and precision, into a directory the caller owns.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

/** The project's C reference (two levels above both src/bench/ and dist/bench/). */
export const REFERENCE_SOURCE = fileURLToPath(new URL('../../bench/reference.c', import.meta.url));

export type ReferencePrecision = 'f64' | 'f32';

export interface ReferenceEpoch {
  trainSeconds: number;
  evalSeconds: number;
  correct: number;
  accuracy: number;
}

/** Throws the one line a user sees when there is no `cc` to build the reference with. */
export function requireCompiler(): void {
  const r = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new UserError('--compare-reference: no C compiler found (`cc` is not on PATH): install one (Debian: apt-get install gcc) or leave out --compare-reference');
  }
}

/**
 * Compiles `source` for `hidden` units into `dir` (reused when already built there). Rows are
 * padded to a multiple of the vector width (4 doubles or 8 floats): padding units are exact
 * zeros that change no real unit's arithmetic (see the source), as a C programmer would lay it out.
 */
export function compileReference(source: string, dir: string, hidden: number, precision: ReferencePrecision = 'f64'): string {
  if (!existsSync(source)) throw new UserError(`--compare-reference: ${source} does not exist`);
  const bin = join(dir, `reference-${hidden}-${precision}`);
  if (existsSync(bin)) return bin;
  const lanes = precision === 'f64' ? 4 : 8;
  const padded = Math.ceil(hidden / lanes) * lanes;
  const real = precision === 'f64' ? 'double' : 'float';
  const r = spawnSync('cc', ['-O3', '-march=native', `-DREAL=${real}`, `-DHID=${hidden}`, `-DHP=${padded}`, '-o', bin, source, '-lm'], { encoding: 'utf8' });
  if (r.error) requireCompiler();
  if (r.status !== 0) throw new UserError(`--compare-reference: cc could not compile ${source}: ${(r.stderr || '').trim().split('\n')[0]}`);
  return bin;
}

/** Runs a program with a time limit; its standard output, or one UserError naming `name` (the source). */
function runProgram(bin: string, args: string[], timeoutSeconds: number, name: string): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: timeoutSeconds * 1000, killSignal: 'SIGKILL', maxBuffer: 4 * 2 ** 20 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw new UserError(`--compare-reference ${name}: did not finish within ${timeoutSeconds} s (--reference-timeout); stopped`, 1);
  if (r.error) throw new UserError(`--compare-reference ${name}: cannot run it (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`, 1);
  if (r.status !== 0) throw new UserError(`--compare-reference ${name}: exited with ${r.status ?? r.signal}: ${JSON.stringify((r.stderr || r.stdout || '').trim().slice(0, 80))}`, 1);
  return r.stdout;
}

/**
 * Runs a compiled reference: `epochs` epochs on the first `trainCount` training images (default
 * 50,000), stopped after `timeoutSeconds`; output that is not one line per epoch is one UserError.
 */
export function runReferenceBinary(bin: string, dataDir: string, epochs: number, seed: number, trainCount?: number, timeoutSeconds = 600, name = bin): ReferenceEpoch[] {
  const args = [dataDir, String(epochs), String(seed >>> 0), ...(trainCount ? [String(trainCount)] : [])];
  const out = runProgram(bin, args, timeoutSeconds, name);
  const lines = [...out.matchAll(/^epoch \d+ train_s ([0-9.]+) eval_s ([0-9.]+) acc (\d+)\/(\d+)/gm)];
  if (lines.length !== epochs) throw new UserError(`--compare-reference ${name}: unexpected output (${epochs} lines "epoch N train_s S eval_s S acc C/N" expected): ${JSON.stringify(out.slice(0, 80))}`, 1);
  return lines.map((m) => ({ trainSeconds: Number(m[1]), evalSeconds: Number(m[2]), correct: Number(m[3]), accuracy: Number(m[3]) / Number(m[4]) }));
}
