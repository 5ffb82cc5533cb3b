/**
 * IDX files (the format MNIST ships in): a big-endian header, then raw unsigned bytes.
 *
 *   images: magic 2051 (0x00000803), count, rows, cols, then count*rows*cols pixels
 *   labels: magic 2049 (0x00000801), count, then count labels
 *
 * Raw and gzip-compressed files are read alike (gzip is recognised by its magic bytes).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FileError } from '../errors.js';

export const IMAGE_MAGIC = 2051;
export const LABEL_MAGIC = 2049;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols pixels, 0..255, row-major, image after image (a view into the file). */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

/** An IDX file that cannot be read or is not what it claims to be. */
export class IdxError extends FileError {
  override name = 'IdxError';
}

/** Reads a file's bytes, gunzipping when it starts with the gzip magic 1f 8b. */
export function readMaybeGzip(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new IdxError(path, describeFsError(err));
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new IdxError(path, `corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return (err as Error).message;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Parses an IDX image file held in `bytes`; `name` is used in error messages. */
export function parseIdxImages(bytes: Uint8Array, name: string): IdxImages {
  if (bytes.length < 16) throw new IdxError(name, `too short for an IDX image header (${bytes.length} bytes, need 16)`);
  const magic = u32(bytes, 0);
  if (magic !== IMAGE_MAGIC) {
    throw new IdxError(name, `magic number ${magic} is not ${IMAGE_MAGIC} (IDX images)${magic === LABEL_MAGIC ? ': this is a label file' : ''}`);
  }
  const count = u32(bytes, 4);
  const rows = u32(bytes, 8);
  const cols = u32(bytes, 12);
  if (count === 0) throw new IdxError(name, 'holds no images');
  if (rows === 0 || cols === 0 || rows > 4096 || cols > 4096) throw new IdxError(name, `image size ${rows}x${cols} is not plausible`);
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new IdxError(name, `${bytes.length} bytes, but the header (${count} images of ${rows}x${cols}) needs ${expected}${bytes.length < expected ? ': truncated' : ''}`);
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX label file held in `bytes`; `name` is used in error messages. */
export function parseIdxLabels(bytes: Uint8Array, name: string): IdxLabels {
  if (bytes.length < 8) throw new IdxError(name, `too short for an IDX label header (${bytes.length} bytes, need 8)`);
  const magic = u32(bytes, 0);
  if (magic !== LABEL_MAGIC) {
    throw new IdxError(name, `magic number ${magic} is not ${LABEL_MAGIC} (IDX labels)${magic === IMAGE_MAGIC ? ': this is an image file' : ''}`);
  }
  const count = u32(bytes, 4);
  if (count === 0) throw new IdxError(name, 'holds no labels');
  const expected = 8 + count;
  if (bytes.length !== expected) {
    throw new IdxError(name, `${bytes.length} bytes, but the header (${count} labels) needs ${expected}${bytes.length < expected ? ': truncated' : ''}`);
  }
  return { count, labels: bytes.subarray(8) };
}

export function readIdxImages(path: string): IdxImages {
  return parseIdxImages(readMaybeGzip(path), path);
}

export function readIdxLabels(path: string): IdxLabels {
  return parseIdxLabels(readMaybeGzip(path), path);
}

/** Encodes images as an IDX file (used by tests and fixtures). */
export function encodeIdxImages(pixels: Uint8Array, count: number, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(16 + pixels.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, IMAGE_MAGIC);
  dv.setUint32(4, count);
  dv.setUint32(8, rows);
  dv.setUint32(12, cols);
  out.set(pixels, 16);
  return out;
}

/** Encodes labels as an IDX file (used by tests and fixtures). */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, LABEL_MAGIC);
  dv.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}
