/**
 * Elastic distortions (Simard, Steinkraus & Platt 2003, "Best practices for convolutional
 * neural networks applied to visual document analysis", section 2): data augmentation that
 * bends a digit the way hands do, not just moves it.
 *
 *   1. a random displacement field: Δx(i, j) and Δy(i, j) drawn uniform in [−1, 1] for every
 *      pixel, independently (all Δx first, row by row, then all Δy);
 *   2. each smoothed by a Gaussian of standard deviation σ pixels: the kernel
 *      g(t) ∝ exp(−t² / 2σ²) for |t| ≤ ⌈3σ⌉, normalised to sum 1, applied along the rows and
 *      then the columns (separable), the field taken as 0 beyond the image;
 *   3. both scaled by α pixels;
 *   4. the new image by bilinear interpolation: out(i, j) = I(i − sy + Δy(i, j), j − sx + Δx(i, j)),
 *      where I is the image read between its pixels (0 beyond the image) and (sx, sy) an
 *      optional whole-pixel shift (--shift; (0, 0) without it).
 *
 * A small σ leaves the field close to uniform noise (a grainy image); a large one makes it
 * nearly constant (a shift). Simard et al. report σ = 4, α = 34 for MNIST, the defaults here:
 * the smoothed field then moves pixels by about 1.4 px (its standard deviation) in each
 * direction, a few pixels at most, which rendered digits show still reads as handwriting.
 *
 * Everything is allocated once, in the constructor (the kernel, the two fields, one row of
 * scratch): distorting an image allocates nothing.
 */
import { PIXEL, type DigitSet } from './dataset.js';

/** What the distortions draw from: uniform numbers in [0, 1) (the project's seeded generator, nn/random.ts). */
export interface Uniform {
  next(): number;
}

export interface ElasticOptions {
  /** Scale of the displacements, in pixels (0: the image unchanged). */
  alpha: number;
  /** Standard deviation of the Gaussian that smooths the random field, in pixels (> 0). */
  sigma: number;
}

/** Simard et al.'s choice for MNIST. */
export const ELASTIC_DEFAULT_SIGMA = 4;
export const ELASTIC_PAPER_ALPHA = 34;
/** The σ taken: below 0.1 the kernel is [1] to the last bit (the field left as noise); at 100 it spans 601 taps, more than any image here. */
export const ELASTIC_MIN_SIGMA = 0.1;
export const ELASTIC_MAX_SIGMA = 100;

/** The normalised Gaussian g[t + r] ∝ exp(−t² / 2σ²), t = −r … r, r = ⌈3σ⌉; its entries sum to 1. */
export function gaussianKernel(sigma: number): Float64Array {
  if (!(sigma >= ELASTIC_MIN_SIGMA && sigma <= ELASTIC_MAX_SIGMA)) throw new RangeError(`σ ${sigma} is not from ${ELASTIC_MIN_SIGMA} to ${ELASTIC_MAX_SIGMA}`);
  const r = Math.ceil(3 * sigma);
  const g = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += g[t + r] = Math.exp((-t * t) / (2 * sigma * sigma));
  for (let t = 0; t < g.length; t++) g[t] /= sum;
  return g;
}

/** The elastic distortion of rows × cols images, with its buffers. */
export class ElasticDistortion {
  readonly alpha: number;
  readonly sigma: number;
  readonly kernel: Float64Array;
  /** The last field drawn (in pixels, α included): Δx and Δy of pixel (i, j) at i · cols + j. */
  readonly dx: Float64Array;
  readonly dy: Float64Array;
  /** One field smoothed along its rows, before the columns. */
  private readonly rowPass: Float64Array;

  constructor(
    readonly rows: number,
    readonly cols: number,
    options: ElasticOptions,
  ) {
    if (!(Number.isFinite(options.alpha) && options.alpha >= 0)) throw new RangeError(`α ${options.alpha} is not a finite number ≥ 0`);
    this.alpha = options.alpha;
    this.sigma = options.sigma;
    this.kernel = gaussianKernel(options.sigma);
    this.dx = new Float64Array(rows * cols);
    this.dy = new Float64Array(rows * cols);
    this.rowPass = new Float64Array(rows * cols);
  }

  /** Draws a new field into dx, dy: uniform in [−1, 1] per pixel, smoothed, times α. */
  drawField(rng: Uniform): void {
    const { dx, dy } = this;
    for (let i = 0; i < dx.length; i++) dx[i] = 2 * rng.next() - 1;
    for (let i = 0; i < dy.length; i++) dy[i] = 2 * rng.next() - 1;
    this.smooth(dx);
    this.smooth(dy);
  }

  /** field ← α · (g ∗ field), the 2-D Gaussian as a pass along the rows then one along the columns (0 beyond the image). */
  smooth(field: Float64Array): void {
    const { rows, cols, kernel: g, rowPass: t, alpha } = this;
    const r = (g.length - 1) / 2;
    // t(i, j) = Σ_q g(q − j) · field(i, q)
    for (let i = 0; i < rows; i++) {
      const row = i * cols;
      for (let j = 0; j < cols; j++) {
        const hi = Math.min(cols - 1, j + r);
        let s = 0;
        for (let q = Math.max(0, j - r); q <= hi; q++) s += g[q - j + r] * field[row + q];
        t[row + j] = s;
      }
    }
    // field(i, j) = α · Σ_p g(p − i) · t(p, j)
    for (let i = 0; i < rows; i++) {
      const hi = Math.min(rows - 1, i + r);
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let p = Math.max(0, i - r); p <= hi; p++) s += g[p - i + r] * t[p * cols + j];
        field[i * cols + j] = alpha * s;
      }
    }
  }

  /**
   * out[at + i·cols + j] = I(i − sy + Δy, j − sx + Δx) for the field now in dx, dy: bilinear
   * between the four pixels around that point of the image whose bytes start at images[base]
   * (scaled to [0, 1]; 0 beyond the image). The result stays in [0, 1].
   */
  warp(images: Uint8Array, base: number, out: Float64Array, at: number, sx = 0, sy = 0): void {
    const { rows, cols, dx, dy } = this;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const k = i * cols + j;
        const y = i - sy + dy[k];
        const x = j - sx + dx[k];
        const p = Math.floor(y);
        const q = Math.floor(x);
        const fy = y - p;
        const fx = x - q;
        // lerp, not four weights: where all four pixels are equal the result is that value exactly
        const a = pixelAt(images, base, rows, cols, p, q);
        const b = pixelAt(images, base, rows, cols, p, q + 1);
        const c = pixelAt(images, base, rows, cols, p + 1, q);
        const d = pixelAt(images, base, rows, cols, p + 1, q + 1);
        const top = a + fx * (b - a);
        const bottom = c + fx * (d - c);
        const v = top + fy * (bottom - top);
        out[at + k] = v < 0 ? 0 : v > 1 ? 1 : v; // rounding can overshoot by an ulp
      }
    }
  }

  /** Image e of `set`, shifted by (sx, sy) and distorted by a new field from `rng`, into out from `at`. */
  apply(set: DigitSet, e: number, out: Float64Array, at: number, rng: Uniform, sx = 0, sy = 0): void {
    if (set.rows !== this.rows || set.cols !== this.cols) throw new RangeError(`the distortion is for ${this.rows}×${this.cols} images, ${set.name} has ${set.rows}×${set.cols}`);
    this.drawField(rng);
    this.warp(set.images, e * set.inputSize, out, at, sx, sy);
  }
}

/** Pixel (p, q) of the rows × cols image at images[base], scaled to [0, 1]; 0 beyond the image. */
function pixelAt(images: Uint8Array, base: number, rows: number, cols: number, p: number, q: number): number {
  return p >= 0 && p < rows && q >= 0 && q < cols ? PIXEL[images[base + p * cols + q]] : 0;
}
