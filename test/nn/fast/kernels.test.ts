import { describe, expect, it } from 'vitest';
import { subset } from '../../../src/data/dataset.js';
import { loadMnist } from '../../../src/data/mnist.js';
import { createFastMemory, fastBackend, preferBackend, simdAvailable, type FastBackend, type FastKernels } from '../../../src/nn/fast/wasm.js';
import { createNetwork, type NetworkConfig } from '../../../src/nn/network.js';
import { Random } from '../../../src/nn/random.js';
import { DEFAULT_TRAIN_OPTIONS, newProgress, Trainer, type TrainOptions } from '../../../src/train/train.js';
import { randomSet } from '../../helpers.js';

const WIDTHS = [1, 2, 3, 5, 7, 9, 13, 15, 16, 19, 29, 30, 31, 39, 45, 59, 61, 100]; // every remainder of the blocks of 30 and of 16
const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * One memory holding random operands at 64-byte aligned offsets (plus an odd 8-byte shift, so
 * that vector loads are tried unaligned too), filled identically for every backend.
 */
class Operands {
  at = 8;
  readonly parts: { kind: 'f64' | 'i32'; at: number; data: Float64Array | Int32Array }[] = [];
  f64(data: ArrayLike<number>): number {
    return this.push('f64', Float64Array.from(data));
  }
  i32(data: ArrayLike<number>): number {
    return this.push('i32', Int32Array.from(data));
  }
  private push(kind: 'f64' | 'i32', data: Float64Array | Int32Array): number {
    const at = this.at;
    this.parts.push({ kind, at, data });
    this.at = Math.ceil((at + data.byteLength) / 64) * 64 + 8;
    return at;
  }
  load(backend: FastBackend): { k: FastKernels; view: (at: number, n: number) => Float64Array } {
    const { buffer, kernels } = createFastMemory(this.at, backend);
    for (const p of this.parts) (p.kind === 'f64' ? new Float64Array(buffer, p.at, p.data.length) : new Int32Array(buffer, p.at, p.data.length)).set(p.data);
    return { k: kernels, view: (at, n) => new Float64Array(buffer, at, n) };
  }
}

/** Doubles of mixed signs and magnitudes, so that a changed order of additions changes bits. */
const randoms = (rng: Random, n: number) => Array.from({ length: n }, () => rng.gauss() * Math.exp(3 * rng.gauss()));

/** Sparse pixels of m examples of an nIn-pixel image: ascending pixel indices, values in (0, 1]. */
function pixels(rng: Random, m: number, nIn: number, H: number) {
  const value: number[] = [];
  const row: number[] = [];
  const start = [0];
  for (let x = 0; x < m; x++) {
    for (let i = 0; i < nIn; i++) {
      if (rng.next() < 0.4) {
        value.push((1 + Math.floor(rng.next() * 255)) / 255);
        row.push(i * H);
      }
    }
    if (x === 1) value.length = row.length = start[x]; // one example without any pixel
    start.push(value.length);
  }
  return { value, row, start };
}

const BACKENDS: FastBackend[] = simdAvailable() ? ['wasm-simd', 'typescript'] : ['typescript'];

describe('the fast kernels against naive loops, bit for bit, every SIMD remainder', () => {
  it('this Node runs the WebAssembly SIMD kernels', () => {
    expect(simdAvailable()).toBe(true);
    expect(fastBackend()).toBe('wasm-simd');
  });

  for (const H of WIDTHS) {
    it(`width ${H}: denseForwardSparse, denseUpdateSparse (784-pixel images, m = 4)`, () => {
      const rng = new Random(H);
      const m = 4;
      const nIn = 784;
      const W = randoms(rng, nIn * H);
      const b = randoms(rng, H);
      const d = randoms(rng, m * H);
      const px = pixels(rng, m, nIn, H);
      // naive: z_j = b_j + Σ_q v_q W[row_q + j]; W[row_q + j] += v_q δ_j, example by example
      const z = new Float64Array(m * H);
      const W2 = Float64Array.from(W);
      for (let x = 0; x < m; x++) {
        for (let j = 0; j < H; j++) {
          let s = b[j];
          for (let q = px.start[x]; q < px.start[x + 1]; q++) s = s + W[px.row[q] + j] * px.value[q];
          z[x * H + j] = s;
        }
        for (let q = px.start[x]; q < px.start[x + 1]; q++) for (let j = 0; j < H; j++) W2[px.row[q] + j] = W2[px.row[q] + j] + px.value[q] * d[x * H + j];
      }
      for (const backend of BACKENDS) {
        const ops = new Operands();
        const [pW, pB, pZ, pD, pV, pR, pS] = [ops.f64(W), ops.f64(b), ops.f64(new Float64Array(m * H)), ops.f64(d), ops.f64(px.value), ops.i32(px.row), ops.i32(px.start)];
        const { k, view } = ops.load(backend);
        k.denseForwardSparse(pW, pB, pZ, pV, pR, pS, m, H);
        expect(bits(view(pZ, m * H)).equals(bits(z)), `${backend} denseForwardSparse`).toBe(true);
        k.denseUpdateSparse(pW, pD, pV, pR, pS, m, H);
        expect(bits(view(pW, nIn * H)).equals(bits(W2)), `${backend} denseUpdateSparse`).toBe(true);
      }
    });

    for (const [nIn, nOut] of [[7, H], [H, 13]]) {
      it(`${nIn} → ${nOut}: denseForward, denseBackwardInput, denseUpdate, scale, addScaled (m = 3)`, () => {
        const rng = new Random(1000 + nIn * 7 + nOut);
        const m = 3;
        const W = randoms(rng, nIn * nOut);
        const b = randoms(rng, nOut);
        const a = randoms(rng, m * nIn);
        const up = randoms(rng, m * nOut);
        const c = rng.gauss();
        const z = new Float64Array(m * nOut);
        const back = new Float64Array(m * nIn);
        const Wu = Float64Array.from(W);
        for (let x = 0; x < m; x++) {
          for (let j = 0; j < nOut; j++) {
            let s = b[j];
            for (let k = 0; k < nIn; k++) s = s + W[k * nOut + j] * a[x * nIn + k];
            z[x * nOut + j] = s;
          }
          for (let k = 0; k < nIn; k++) {
            let s = 0;
            for (let j = 0; j < nOut; j++) s = s + W[k * nOut + j] * up[x * nOut + j];
            back[x * nIn + k] = s;
          }
          for (let k = 0; k < nIn; k++) for (let j = 0; j < nOut; j++) Wu[k * nOut + j] = Wu[k * nOut + j] + a[x * nIn + k] * up[x * nOut + j];
        }
        const scaled = Float64Array.from(b, (v) => c * v);
        const added = Float64Array.from(z, (v, i) => v + c * a[i % a.length]);
        for (const backend of BACKENDS) {
          const ops = new Operands();
          const [pW, pB, pA, pZ, pUp, pBack, pX] = [ops.f64(W), ops.f64(b), ops.f64(a), ops.f64(new Float64Array(m * nOut)), ops.f64(up), ops.f64(new Float64Array(m * nIn)), ops.f64(Float64Array.from(z, (_, i) => a[i % a.length]))];
          const { k, view } = ops.load(backend);
          k.denseForward(pW, pB, pA, pZ, m, nIn, nOut);
          expect(bits(view(pZ, m * nOut)).equals(bits(z)), `${backend} denseForward`).toBe(true);
          k.denseBackwardInput(pW, pUp, pBack, m, nIn, nOut);
          expect(bits(view(pBack, m * nIn)).equals(bits(back)), `${backend} denseBackwardInput`).toBe(true);
          k.denseUpdate(pW, pA, pUp, m, nIn, nOut);
          expect(bits(view(pW, nIn * nOut)).equals(bits(Wu)), `${backend} denseUpdate`).toBe(true);
          k.scale(pB, nOut, c);
          expect(bits(view(pB, nOut)).equals(bits(scaled)), `${backend} scale`).toBe(true);
          k.addScaled(pX, pZ, m * nOut, c);
          expect(bits(view(pZ, m * nOut)).equals(bits(added)), `${backend} addScaled`).toBe(true);
          // nothing beyond the operands is written
          expect(view(pB + 8 * nOut, 1)[0]).toBe(0);
        }
      });
    }
  }
});

describe('training on WebAssembly SIMD and on the TypeScript fallback: the same trajectory, bit for bit', () => {
  /** Parameters after `epochs` epochs with the given backend (chosen as DIGIT_TRAIN_NO_SIMD=1 does in the CLI). */
  function train(backend: FastBackend, config: NetworkConfig, set: ReturnType<typeof randomSet>, options: Partial<TrainOptions>, epochs: number): Float64Array {
    preferBackend(backend === 'typescript' ? 'typescript' : null);
    try {
      expect(fastBackend()).toBe(backend);
      const rng = new Random(3);
      const net = createNetwork(config, rng, 'scaled');
      const trainer = new Trainer(net, { train: set, test: set }, { ...DEFAULT_TRAIN_OPTIONS, ...options }, newProgress(rng, options.eta ?? 3));
      for (let e = 0; e < epochs; e++) trainer.runEpoch();
      return Float64Array.from(net.params);
    } finally {
      preferBackend(null);
    }
  }

  it('784-30-10 on 1,000 real digits, 2 epochs (the default recipe)', () => {
    const set = subset(loadMnist().train, 0, 1000);
    const config: NetworkConfig = { sizes: [784, 30, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' };
    const simd = train('wasm-simd', config, set, {}, 2);
    const plain = train('typescript', config, set, {}, 2);
    expect(bits(simd).equals(bits(plain))).toBe(true);
    expect(bits(simd).equals(bits(train('wasm-simd', config, subset(loadMnist().train, 1, 1000), {}, 2)))).toBe(false);
  });

  it('36-9-5-4 relu/softmax/cross-entropy with L2 and momentum, odd batch', () => {
    const set = randomSet(60, 6, 6, 4);
    const config: NetworkConfig = { sizes: [36, 9, 5, 4], activation: 'relu', output: 'softmax', cost: 'cross-entropy' };
    const options = { eta: 0.3, batch: 7, lambda: 2, momentum: 0.8 };
    expect(bits(train('wasm-simd', config, set, options, 3)).equals(bits(train('typescript', config, set, options, 3)))).toBe(true);
  });
});

describe('DIGIT_TRAIN_NO_SIMD=1 (the CLI as a user runs it)', () => {
  it('runs the TypeScript kernels and saves the same model, bit for bit', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { run } = await import('../../cli/run.js');
    const { tempDir } = await import('../../helpers.js');
    const dir = tempDir();
    const models: string[] = [];
    for (const env of [{}, { DIGIT_TRAIN_NO_SIMD: '1' }] as Record<string, string>[]) {
      const out = join(dir, `m${models.length}.json`);
      const r = run(['train', '--train-size', '500', '--epochs', '1', '--hidden', '9', '--out', out], { env });
      expect(r.code).toBe(0);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as { weights: unknown; biases: unknown };
      models.push(JSON.stringify([doc.weights, doc.biases]));
    }
    expect(models[1]).toBe(models[0]);
    // bench says which kernels ran (in this process, without the variable: wasm-simd, see above)
    const bench = run(['bench', '--json', '--train-size', '100', '--epochs', '1', '--warmup', '0', '--hidden', '5', '--batch', '10'], { env: { DIGIT_TRAIN_NO_SIMD: '1' } });
    expect(JSON.parse(bench.stdout).kernels).toBe('typescript');
  });
});
