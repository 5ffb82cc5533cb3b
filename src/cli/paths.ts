/**
 * Files a command reads and writes must be distinct: `--out X --report X` would replace the
 * model with HTML, `report M -o M` the model it reads. Two names are the same file when they
 * resolve to the same path, or both exist with the same device and inode (links, `./`, `..`).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FILES } from '../data/mnist.js';
import { UserError } from '../errors.js';

export interface NamedFile {
  /** How the command line names it: "--out", "--report", "the model". */
  flag: string;
  path: string;
}

export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Throws UserError (exit 2) when an output is the same file as an input or as another output.
 * `allowed` lists the [output flag, input flag] pairs meant to be the same file (--out and
 * --resume: a run continues in its checkpoint).
 */
export function checkDistinctFiles(outputs: NamedFile[], inputs: NamedFile[], allowed: [string, string][] = []): void {
  outputs.forEach((out, i) => {
    for (const other of outputs.slice(0, i)) {
      if (sameFile(out.path, other.path)) throw new UserError(`${out.flag} ${out.path}: is also ${other.flag}; give the two outputs different names`);
    }
    for (const input of inputs) {
      if (allowed.some(([o, n]) => o === out.flag && n === input.flag)) continue;
      if (sameFile(out.path, input.path)) throw new UserError(`${out.flag} ${out.path}: is also ${input.flag}, which is read; writing it would destroy it`);
    }
  });
}

/** The data files of a --data directory that exist (each name raw or .gz, with a dash or a dot), as inputs. */
export function dataFilesIn(dir: string | undefined): NamedFile[] {
  if (dir === undefined) return [];
  const out: NamedFile[] = [];
  for (const name of Object.values(FILES)) {
    const dotted = name.replace(/-(idx\d)-/, '.$1-');
    for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
      const path = join(dir, candidate);
      if (existsSync(path)) out.push({ flag: '--data', path });
    }
  }
  return out;
}
