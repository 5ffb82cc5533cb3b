/**
 * Files in and out, so that nothing is lost and nothing unbounded is read:
 *
 * - `readRegularFile`: only regular files (a FIFO, /dev/zero or a directory is refused before
 *   reading: none has an end one can wait for), at most `maxBytes`, read to the size fstat gave.
 * - `writeFileDurable`: a temporary file beside the target, every write's byte count checked
 *   (a full disk gives short writes before it gives an error), fsync, its size verified, then
 *   renamed over the target and the directory fsynced. On any failure the target is untouched
 *   and the temporary file is removed. Temporary files left by a killed process (kill -9,
 *   power loss) are removed on the next write to the same target.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What a non-regular file is, in words ("a FIFO", "a character device"…), or null for a regular file. */
export function fileKind(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** A read or write that failed; `reason` is short text for a message ("no space left on device"). */
export class FileAccessError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FileAccessError';
  }
}

/** An errno error in words. */
export function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'EIO':
      return 'input/output error';
    default:
      return (err as Error)?.message ?? String(err);
  }
}

/**
 * Reads a whole regular file. Throws FileAccessError (reason in words) when it cannot be opened,
 * is not a regular file, or is larger than `maxBytes`. Opening never blocks (O_NONBLOCK: a FIFO
 * without a writer would otherwise wait forever).
 */
export function readRegularFile(path: string, maxBytes: number, what = 'file'): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new FileAccessError(path, errnoText(err), (err as NodeJS.ErrnoException).code);
  }
  try {
    const st = fstatSync(fd);
    const kind = fileKind(st);
    if (kind) throw new FileAccessError(path, `is ${kind}, not a regular ${what}`);
    if (st.size > maxBytes) throw new FileAccessError(path, `${st.size} bytes, larger than the ${maxBytes} bytes a ${what} may have`);
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, Math.min(st.size - at, 1 << 24), at);
      if (n === 0) break; // the file shrank while we read it
      at += n;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } catch (err) {
    if (err instanceof FileAccessError) throw err;
    throw new FileAccessError(path, errnoText(err), (err as NodeJS.ErrnoException).code);
  } finally {
    closeSync(fd);
  }
}

/** Our temporary names: TARGET.PID.RANDOM.tmp (writes) and TARGET.PID.probe.tmp (checkWritable's probe). */
const TEMP_NAME = /^\.(\d+)\.[0-9a-z]+\.tmp$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files of `target` left by processes that no longer run; returns their names. */
export function removeStaleTemps(target: string): string[] {
  const dir = dirname(target);
  const base = basename(target);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = TEMP_NAME.exec(name.slice(base.length));
    if (!m || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      /* someone else removed it, or we may not: leave it */
    }
  }
  return removed;
}

/** Throws FileAccessError when `path` exists and is not a regular file (a device, FIFO, socket, directory). */
export function checkRegularTarget(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return; // does not exist (yet): fine
  }
  const kind = fileKind(st);
  if (kind) throw new FileAccessError(path, `is ${kind}, not a regular file: refusing to replace it`);
}

/** Bytes handed to write(2) at once: short writes and errors show up per chunk. */
const CHUNK = 1 << 20;

/**
 * Writes `data` to `path` durably and atomically (see the top of this file). `data` may be a
 * string, bytes, or a list of pieces written one after the other (for texts too long for one
 * string). Throws FileAccessError; the target is then as it was.
 */
export function writeFileDurable(path: string, data: string | Uint8Array | Iterable<string | Uint8Array>): void {
  checkRegularTarget(path);
  removeStaleTemps(path);
  const tmp = `${path}.${process.pid}.${Math.floor(Math.random() * 2 ** 32).toString(36)}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    let total = 0;
    const pieces = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for (const piece of pieces) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      for (let at = 0; at < bytes.length; ) {
        const n = writeSync(fd, bytes, at, Math.min(CHUNK, bytes.length - at));
        if (!(n > 0)) throw Object.assign(new Error('the write stopped (0 bytes written)'), { code: 'ENOSPC' });
        at += n;
      }
      total += bytes.length;
    }
    fsyncSync(fd);
    const size = fstatSync(fd).size;
    if (size !== total) throw new Error(`wrote ${total} bytes but the file holds ${size}`);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failed */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* it may not exist */
    }
    throw new FileAccessError(path, errnoText(err), (err as NodeJS.ErrnoException).code);
  }
  // The rename is durable once the directory is: fsync it (not every system allows it).
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* e.g. EISDIR/EINVAL where directories cannot be fsynced */
  }
}
