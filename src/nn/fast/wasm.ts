/**
 * The fast backend's memory and kernels: WebAssembly SIMD (the module built from
 * assembly/kernels.ts into kernels.wasm beside the compiled version of this file) where the
 * engine supports it, else the same loops in plain TypeScript (plain.ts), with the same results
 * bit for bit. `preferBackend('typescript')` forces the TypeScript loops (the CLI does so for
 * DIGIT_TRAIN_NO_SIMD=1).
 *
 * The compiled module is loaded once per process, from the file the build puts beside this one
 * (as an import would be); each workspace gets its own memory (64 KiB pages) and its own instance.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastKernels } from './kernels.js';
import { plainKernels } from './plain.js';

export type { FastKernels };

export type FastBackend = 'wasm-simd' | 'typescript';

/** The smallest module with one SIMD instruction (i32x4.splat): does this engine run simd128? */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** true when this engine compiles WebAssembly SIMD (simd128). */
export function simdAvailable(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

let preferred: FastBackend | null = null;

/** Chooses the backend of the workspaces created from now on (null: the fastest available). */
export function preferBackend(backend: FastBackend | null): void {
  preferred = backend;
}

/** The backend createFastMemory uses in this process. */
export function fastBackend(): FastBackend {
  if (preferred === 'typescript' || !simdAvailable()) return 'typescript';
  return 'wasm-simd';
}

let compiled: WebAssembly.Module | null = null;

/** kernels.wasm beside this file (dist/nn/fast/), or the build's when running from src/nn/fast/. */
function kernelsModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const beside = new URL('./kernels.wasm', import.meta.url);
  const built = new URL('../../../dist/nn/fast/kernels.wasm', import.meta.url);
  const file = [beside, built].map((u) => fileURLToPath(u)).find((f) => existsSync(f));
  if (!file) throw new Error(`the WebAssembly kernels are missing (${fileURLToPath(beside)}): run \`npm run build\``);
  compiled = new WebAssembly.Module(readFileSync(file));
  return compiled;
}

/** The kernels' memory and the kernels linked to it. */
export interface FastMemory {
  buffer: ArrayBufferLike;
  /** The WebAssembly memory (shared) and module, for a second thread; null for the TypeScript loops. */
  memory: WebAssembly.Memory | null;
  module: WebAssembly.Module | null;
  kernels: FastKernels;
  /** Grows the memory to at least `bytes` bytes, keeping its contents: `buffer` (and, for the
   *  TypeScript loops, `kernels`) are then new, and every view into the old buffer is void. */
  grow(bytes: number): void;
}

/** The most pages a memory may grow to (the kernels' byte addresses are 32-bit signed integers; the module declares this maximum: package.json's build:wasm). */
const MAX_PAGES = 32768 - 256;

/**
 * A zero-filled memory of at least `bytes` bytes (whole 64 KiB pages) and the kernels linked to
 * it (`backend`: this process's unless asked). The buffer changes only when `grow` is called.
 */
export function createFastMemory(bytes: number, backend: FastBackend = fastBackend()): FastMemory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (backend === 'typescript') {
    const buffer = new ArrayBuffer(pages * 65536);
    const mem: FastMemory = {
      buffer,
      memory: null,
      module: null,
      kernels: plainKernels(buffer),
      grow(more) {
        if (more <= mem.buffer.byteLength) return;
        const next = new ArrayBuffer(Math.ceil(more / 65536) * 65536);
        new Uint8Array(next).set(new Uint8Array(mem.buffer));
        mem.buffer = next;
        mem.kernels = plainKernels(next);
      },
    };
    return mem;
  }
  // shared, so that a second thread can run the same kernels on it (threads.ts)
  const memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(kernelsModule(), { env: { memory } });
  const mem: FastMemory = {
    memory,
    module: kernelsModule(),
    buffer: memory.buffer,
    kernels: instance.exports as unknown as FastKernels,
    grow(more) {
      const have = memory.buffer.byteLength;
      if (more > have) memory.grow(Math.ceil((more - have) / 65536));
      mem.buffer = memory.buffer;
    },
  };
  return mem;
}
