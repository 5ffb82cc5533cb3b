/**
 * IDX files (the format MNIST ships in): a big-endian header, then raw unsigned bytes.
 *
 *   images: magic 2051 (0x00000803), count, rows, cols, then count*rows*cols pixels
 *   labels: magic 2049 (0x00000801), count, then count labels
 *
 * Raw and gzip-compressed files are read alike (gzip is recognised by its magic bytes).
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { FileError } from '../errors.js';
import { errnoText, FileAccessError, readRegularFile } from '../io/files.js';
import { machineMemory } from '../io/memory.js';
import { MAX_INPUT_PIXELS } from './dataset.js';

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

/** The largest IDX file read (raw or inflated): 2 GiB, or a quarter of the machine's memory if that is less. */
export function maxIdxBytes(): number {
  return Math.min(2 ** 31 - 1, Math.floor(machineMemory() / 4));
}

/** Reads a file's bytes, gunzipping when it starts with the gzip magic 1f 8b. Regular files only. */
export function readMaybeGzip(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, maxIdxBytes(), 'data file');
  } catch (err) {
    throw new IdxError(path, err instanceof FileAccessError ? err.reason : describeFsError(err));
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipBounded(bytes, path);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The size an IDX header (the first 8 or 16 bytes) declares for its whole file, or null when it is not one. */
export function declaredIdxSize(head: Uint8Array): number | null {
  if (head.length < 8) return null;
  const magic = u32(head, 0);
  if (magic === LABEL_MAGIC) return 8 + u32(head, 4);
  if (magic === IMAGE_MAGIC && head.length >= 16) return 16 + u32(head, 4) * u32(head, 8) * u32(head, 12);
  return null;
}

/**
 * Gunzips at most what the IDX header inside declares (plus one byte, to see a file that is
 * longer than its header says): a small .gz that inflates to gigabytes is refused after the
 * header, in bounded time and memory. The header is read from a short prefix first.
 */
function gunzipBounded(bytes: Buffer, path: string): Buffer {
  let head: Buffer = Buffer.alloc(0);
  for (const prefix of [256, 4096, 65536]) {
    try {
      head = gunzipSync(bytes.subarray(0, prefix), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new IdxError(path, `corrupt or truncated gzip data (${(err as Error).message})`);
    }
    if (head.length >= 16 || prefix >= bytes.length) break;
  }
  const declared = declaredIdxSize(head);
  const limit = maxIdxBytes();
  if (declared !== null && declared > limit) {
    throw new IdxError(path, `the header declares ${declared} bytes, more than the ${limit} an IDX file may have here`);
  }
  const max = (declared ?? limit) + 1;
  try {
    return gunzipSync(bytes, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new IdxError(path, declared === null ? `inflates to more than ${limit} bytes` : `inflates to more than the ${declared} bytes its header declares`);
    }
    throw new IdxError(path, `corrupt or truncated gzip data (${(err as Error).message})`);
  }
}

export function describeFsError(err: unknown): string {
  return errnoText(err);
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
  if (rows * cols > MAX_INPUT_PIXELS) throw new IdxError(name, `images of ${rows}x${cols} = ${rows * cols} pixels are larger than the ${MAX_INPUT_PIXELS} pixels (e.g. 256x256) the engine takes`);
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
