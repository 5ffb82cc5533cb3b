/**
 * Pictures of digits from files: PNG (decoded by pngjs) and PGM (P2 text, P5 binary, read
 * here), of any size, turned into what the network was trained on: a side×side grey image,
 * white digit on black, the digit fitted into a box×box square (20×20 in 28×28) and centred by
 * its centre of mass, as in MNIST's own preprocessing.
 *
 * The steps of `toDigit`, each one line of arithmetic:
 *   1. grey in [0, 1] (PNG: luminance 0.299 R + 0.587 G + 0.114 B, over white where transparent);
 *      `invert` turns a dark-on-light drawing into light-on-dark (v ← 1 − v). Nothing guesses
 *      the polarity: `lightBackground` only tells the caller when a hint may help.
 *   2. levels: the median grey (most of a picture of a digit is background) becomes black, the
 *      brightest pixel white: v ← clamp((v − median) / (max − median)).
 *   3. crop to the bounding box of the ink (pixels at least INK_THRESHOLD bright),
 *   4. scale it, preserving the aspect ratio, so that its longer side is `box` pixels, each new
 *      pixel the average of the area it covers (anti-aliased, like MNIST),
 *   5. shift it so that its centre of mass lands on pixel (side/2, side/2) of the side×side
 *      frame, (14, 14) in 28×28 as in MNIST (as far as the frame allows: no ink is cut off),
 *      and round to bytes 0..255.
 */
import { PNG } from 'pngjs';
import { FileError } from '../errors.js';
import { describeFsError } from './idx.js';
import { FileAccessError, readRegularFile } from '../io/files.js';

/** A grey picture: width·height values in [0, 1] (0 black, 1 white), row after row. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Float64Array;
}

/** An image file that cannot be read or decoded; the message names the file. */
export class ImageError extends FileError {
  override name = 'ImageError';
}

/** Largest width or height accepted (a sanity bound against absurd headers). */
export const MAX_SIDE = 16384;

/** Most pixels decoded (8192x8192): pngjs holds 4 bytes per pixel and the steps below about 40 more. */
export const MAX_PIXELS = 2 ** 26;

/** Largest image file read (a PNG or PGM of MAX_PIXELS fits well below). */
export const MAX_IMAGE_FILE_BYTES = 2 ** 30;

/** Refuses a width × height that is empty, beyond MAX_SIDE, or more than MAX_PIXELS, before anything is allocated. */
function checkDimensions(width: number, height: number, file: string, what: string): void {
  if (width < 1 || height < 1) throw new ImageError(file, `${what} ${width}x${height} is not plausible`);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    throw new ImageError(file, `${what} ${width}x${height} is too large (at most ${MAX_SIDE} pixels a side and ${MAX_PIXELS} pixels, e.g. 8192x8192)`);
  }
}

/** Pixels at least this bright (after levels) count as ink for the bounding box. */
export const INK_THRESHOLD = 0.1;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decodes a PNG (any colour type and bit depth pngjs reads) to grey, compositing transparency over white. */
export function decodePng(bytes: Uint8Array, file: string): GreyImage {
  // The header first (pngjs allocates what IHDR claims): signature, length, "IHDR", width, height.
  if (bytes.length < 24 || bytes[12] !== 0x49 || bytes[13] !== 0x48 || bytes[14] !== 0x44 || bytes[15] !== 0x52) throw new ImageError(file, 'not a readable PNG (no IHDR header)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  checkDimensions(dv.getUint32(16), dv.getUint32(20), file, 'the PNG header claims');
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (err) {
    throw new ImageError(file, `not a readable PNG (${(err as Error).message})`);
  }
  const { width, height, data } = png;
  if (width < 1 || height < 1) throw new ImageError(file, `empty image (${width}x${height})`);
  const pixels = new Float64Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const r = data[4 * i];
    const g = data[4 * i + 1];
    const b = data[4 * i + 2];
    const alpha = data[4 * i + 3] / 255;
    const luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    pixels[i] = alpha * luminance + (1 - alpha);
  }
  return { width, height, pixels };
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/**
 * Decodes a PGM file: "P2" (numbers as text) or "P5" (binary: one byte per pixel when
 * maxval < 256, else two bytes big-endian), with `#` comments in the header. 0 is black,
 * maxval white.
 */
export function decodePgm(bytes: Uint8Array, file: string): GreyImage {
  if (bytes.length < 2 || bytes[0] !== 0x50 /* P */ || (bytes[1] !== 0x32 && bytes[1] !== 0x35)) {
    throw new ImageError(file, 'not a PGM file (it should start with P2 or P5)');
  }
  const binary = bytes[1] === 0x35;
  let at = 2;
  /** The next whitespace-separated token of the header (skipping # comments), as a number. */
  const nextNumber = (what: string): number => {
    for (;;) {
      while (at < bytes.length && isSpace(bytes[at])) at++;
      if (bytes[at] !== 0x23 /* # */) break;
      while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
    }
    const start = at;
    while (at < bytes.length && !isSpace(bytes[at]) && bytes[at] !== 0x23) at++;
    const text = Buffer.from(bytes.subarray(start, at)).toString('latin1');
    if (!/^\d+$/.test(text)) throw new ImageError(file, at >= bytes.length && text === '' ? `truncated: ${what} missing` : `${what} ${JSON.stringify(text)} is not a whole number`);
    return Number(text);
  };
  const width = nextNumber('width');
  const height = nextNumber('height');
  const maxval = nextNumber('maxval');
  checkDimensions(width, height, file, 'image size');
  if (maxval < 1 || maxval > 65535) throw new ImageError(file, `maxval ${maxval} is not from 1 to 65535`);
  const n = width * height;
  // Enough bytes for the pixels, before they are allocated: P5 one or two each, P2 at least one.
  const size = maxval < 256 ? 1 : 2;
  const need = binary ? at + 1 + n * size : at + n;
  if (bytes.length < need) throw new ImageError(file, binary ? `truncated: ${bytes.length} bytes, the header (${width}x${height}, maxval ${maxval}) needs ${need}` : `truncated: ${bytes.length} bytes cannot hold ${n} pixels`);
  const pixels = new Float64Array(n);
  if (binary) {
    at++; // exactly one whitespace character ends the header
    for (let i = 0; i < n; i++) {
      const v = size === 1 ? bytes[at + i] : (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1];
      if (v > maxval) throw new ImageError(file, `pixel ${i} is ${v}, above maxval ${maxval}`);
      pixels[i] = v / maxval;
    }
  } else {
    for (let i = 0; i < n; i++) {
      while (at < bytes.length && isSpace(bytes[at])) at++;
      if (at >= bytes.length) throw new ImageError(file, `truncated: ${i} of ${n} pixels`);
      const v = nextNumber(`pixel ${i}`);
      if (v > maxval) throw new ImageError(file, `pixel ${i} is ${v}, above maxval ${maxval}`);
      pixels[i] = v / maxval;
    }
  }
  return { width, height, pixels };
}

/** Decodes PNG or PGM, recognised by the first bytes (not by the file name). */
export function decodeImage(bytes: Uint8Array, file: string): GreyImage {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, file);
  if (bytes.length >= 2 && bytes[0] === 0x50 && (bytes[1] === 0x32 || bytes[1] === 0x35)) return decodePgm(bytes, file);
  throw new ImageError(file, 'not a PNG or PGM (P2/P5) image');
}

/** Reads and decodes an image file. */
export function readImage(path: string): GreyImage {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, MAX_IMAGE_FILE_BYTES, 'image file');
  } catch (err) {
    throw new ImageError(path, err instanceof FileAccessError ? err.reason : describeFsError(err));
  }
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path);
}

/** true when the frame of the picture (its outermost pixels) is mostly light: probably dark ink on paper. */
export function lightBackground(img: GreyImage): boolean {
  const { width: w, height: h, pixels } = img;
  let sum = 0;
  let n = 0;
  for (let x = 0; x < w; x++) {
    sum += pixels[x] + pixels[(h - 1) * w + x];
    n += 2;
  }
  for (let y = 0; y < h; y++) {
    sum += pixels[y * w] + pixels[y * w + w - 1];
    n += 2;
  }
  return sum / n > 0.5;
}

export interface DigitOptions {
  /** Dark digit on a light background: use 1 − v. */
  invert?: boolean;
  /** Side of the output square (28 for MNIST). */
  side?: number;
  /** Side of the box the digit is fitted into (20 for MNIST; default round(side · 20/28)). */
  box?: number;
}

/**
 * For each of m target cells over n source cells: the source cells it covers and the share of
 * each (area averaging; the shares of a cell sum to 1). Works for shrinking and enlarging.
 */
function areaWeights(n: number, m: number): { index: number[]; weight: number[] }[] {
  const scale = n / m;
  const cells: { index: number[]; weight: number[] }[] = [];
  for (let t = 0; t < m; t++) {
    const x0 = t * scale;
    const x1 = (t + 1) * scale;
    const index: number[] = [];
    const weight: number[] = [];
    for (let s = Math.floor(x0); s < Math.min(n, Math.ceil(x1)); s++) {
      const overlap = Math.min(x1, s + 1) - Math.max(x0, s);
      if (overlap > 0) {
        index.push(s);
        weight.push(overlap / scale);
      }
    }
    cells.push({ index, weight });
  }
  return cells;
}

/** Resamples a w×h grid of values to tw×th by area averaging (rows, then columns). */
export function resample(src: Float64Array, w: number, h: number, tw: number, th: number): Float64Array {
  const cx = areaWeights(w, tw);
  const cy = areaWeights(h, th);
  const mid = new Float64Array(tw * h);
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < tw; t++) {
      const { index, weight } = cx[t];
      let s = 0;
      for (let i = 0; i < index.length; i++) s += src[y * w + index[i]] * weight[i];
      mid[y * tw + t] = s;
    }
  }
  const out = new Float64Array(tw * th);
  for (let t = 0; t < th; t++) {
    const { index, weight } = cy[t];
    for (let x = 0; x < tw; x++) {
      let s = 0;
      for (let i = 0; i < index.length; i++) s += mid[index[i] * tw + x] * weight[i];
      out[t * tw + x] = s;
    }
  }
  return out;
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * The picture as the network sees it: side·side bytes (0 black … 255 white, white digit on
 * black), fitted and centred as described at the top of this file. A picture without ink (all
 * one grey) gives all zeros.
 */
export function toDigit(img: GreyImage, options: DigitOptions = {}): Uint8Array {
  const side = options.side ?? 28;
  const box = Math.min(side, options.box ?? Math.round((side * 20) / 28));
  const { width: w, height: h } = img;
  const out = new Uint8Array(side * side);

  // 1–2. polarity and levels
  const v = options.invert ? img.pixels.map((p) => 1 - p) : Float64Array.from(img.pixels);
  const background = median(v);
  let peak = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > peak) peak = v[i];
  if (peak - background < 1 / 255) return out;
  for (let i = 0; i < v.length; i++) v[i] = Math.min(1, Math.max(0, (v[i] - background) / (peak - background)));

  // 3. bounding box of the ink
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (v[y * w + x] < INK_THRESHOLD) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const crop = new Float64Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) crop[y * cw + x] = v[(y0 + y) * w + x0 + x];

  // 4. longer side → box, aspect ratio kept
  const scale = box / Math.max(cw, ch);
  const tw = Math.max(1, Math.min(box, Math.round(cw * scale)));
  const th = Math.max(1, Math.min(box, Math.round(ch * scale)));
  const small = resample(crop, cw, ch, tw, th);

  // 5. centre of mass → pixel (side/2, side/2), (14, 14) in 28×28: where MNIST's digits have it
  //    (measured: 13.5, the geometric centre, costs a trained network several % of accuracy)
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const m = small[y * tw + x];
      mass += m;
      mx += m * x;
      my += m * y;
    }
  }
  const centre = side / 2;
  const left = Math.min(side - tw, Math.max(0, Math.round(centre - mx / mass)));
  const top = Math.min(side - th, Math.max(0, Math.round(centre - my / mass)));
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(top + y) * side + left + x] = Math.round(255 * Math.min(1, Math.max(0, small[y * tw + x])));
  }
  return out;
}

/** Encodes bytes (0 black … 255 white) as a binary PGM (P5): what `show`/tests write. */
export function encodePgm(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const out = new Uint8Array(header.length + pixels.length);
  out.set(header, 0);
  out.set(pixels.subarray(0, width * height), header.length);
  return out;
}
