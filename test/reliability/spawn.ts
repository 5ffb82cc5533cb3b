/**
 * bin/digit-train run as a user would, awaited instead of blocking: tests that run the CLI many
 * times in a row must let the vitest worker answer its runner (it gives up after 60 s of silence).
 */
import { spawn } from 'node:child_process';
import { BIN, type RunResult } from '../cli/run.js';

export function runAsync(args: string[], opts: { env?: Record<string, string>; timeout?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
