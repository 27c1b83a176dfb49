// File helpers of the data layer: reading regular files only (no FIFO, device or folder), bounded gunzip,
// and atomic writes. Every error names the path and says what was wrong.
import { DataError, ZerogradError } from '../errors.js';
import { builtin } from '../platform/node.js';

const { constants: buffers } = builtin('buffer');
const { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } = builtin('fs');
const { constants: zlib, gunzipSync } = builtin('zlib');

/** Default cap on what a gzipped data file may inflate to (1 GiB); IDX files are also capped by their header. */
export const DEFAULT_MAX_INFLATED_BYTES = 2 ** 30;

/** Options of `readDataFile`. */
export interface ReadDataOptions {
  /** What the file is, for messages (default 'a file'). */
  what?: string;
  /** Most bytes the gzip data may inflate to (default DEFAULT_MAX_INFLATED_BYTES). */
  maxInflatedBytes?: number;
  /** Inflated size told by a header: `headerBytes` first inflated bytes -> exact size in bytes (or null if unreadable). */
  header?: { bytes: number; size: (head: Uint8Array) => number | null };
}

/** A short human size: 1073741824 -> '1.0 GiB'. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** What a non-regular file is, for messages: 'a folder', 'a FIFO (named pipe)', 'a character device', ... */
function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An fs error as "ENOENT: no such file or directory": its code and meaning, without the path (the caller names it). */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | null;
  const message = (e?.message ?? String(err)).replace(/, \w+ '[^']*'( -> '[^']*')?$/, '');
  return e?.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
}

/** A DataError naming `path` for an fs error: not found, a folder, or the system's message. */
function fsError(path: string, what: string, err: unknown): DataError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError(`${path}: file not found`);
  if (code === 'EISDIR') return new DataError(`${path}: is a folder, not a regular file; expected ${what}`);
  return new DataError(`${path}: cannot read ${what} (${(err as Error).message})`);
}

/**
 * Reads a whole regular file (symlinks followed). A FIFO, socket, device (/dev/zero) or folder is refused
 * with a DataError naming `path`, without reading or blocking; so is a file above `maxBytes`.
 * Reads at most the size `fstat` gave, so a file that grows while read cannot make it unbounded.
 */
export function readRegularFile(path: string, what = 'a file', maxBytes: number = buffers.MAX_LENGTH): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)); // O_NONBLOCK: opening a FIFO does not wait for a writer
  } catch (err) {
    throw fsError(path, what, err);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new DataError(`${path}: is ${kindOf(stats)}, not a regular file; expected ${what}`);
    if (stats.size > maxBytes) throw new DataError(`${path}: ${stats.size} bytes, above the ${formatBytes(maxBytes)} limit for ${what}`);
    const buffer = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < stats.size) {
      const n = readSync(fd, buffer, filled, stats.size - filled, filled);
      if (n === 0) break; // shrank while reading
      filled += n;
    }
    return filled === stats.size ? buffer : buffer.subarray(0, filled);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw fsError(path, what, err);
  } finally {
    closeSync(fd);
  }
}

/** True when `bytes` start with the gzip magic bytes. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Up to `count` first inflated bytes of gzip data (fewer if it inflates to less), inflating only a prefix. */
export function gunzipHead(bytes: Uint8Array, file: string, count: number): Buffer {
  for (let take = 256; ; take *= 16) {
    const prefix = bytes.subarray(0, take);
    let head: Buffer;
    try {
      // Deflate expands at most ~1032x: the cap never trips on real data, it only bounds the work.
      head = gunzipSync(prefix, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: take * 1100 + 1024 });
    } catch (err) {
      throw new DataError(`${file}: corrupt gzip data (${(err as Error).message})`);
    }
    if (head.length >= count || take >= bytes.length) return head.subarray(0, count);
    if (take >= 2 ** 18) throw new DataError(`${file}: corrupt gzip data: its first 256 KiB inflate to only ${head.length} bytes (an oversized gzip header?)`);
  }
}

/** Inflates gzip data, refusing (with a DataError naming `file` and `limitName`) output above `maxBytes`. */
export function gunzipBounded(bytes: Uint8Array, file: string, maxBytes: number, limitName: string): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(1, Math.min(maxBytes, buffers.MAX_LENGTH)) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`${file}: gzip data inflates to more than ${maxBytes} bytes (${formatBytes(maxBytes)}), ${limitName}`);
    }
    throw new DataError(`${file}: corrupt or truncated gzip data (${(err as Error).message})`);
  }
}

/**
 * Reads a regular data file; gunzips it when it starts with the gzip magic bytes, inflating at most
 * `maxInflatedBytes`, or exactly what `header` says the file holds. Errors name the file.
 */
export function readDataFile(path: string, options: ReadDataOptions = {}): Buffer {
  const what = options.what ?? 'a file';
  const buffer = readRegularFile(path, what);
  if (!isGzip(buffer)) return buffer;
  return inflateDataBytes(buffer, path, options);
}

/** The gunzip step of `readDataFile` on bytes already read (gzip data). */
export function inflateDataBytes(buffer: Uint8Array, path: string, options: ReadDataOptions = {}): Buffer {
  const max = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  const limitName = 'the limit for gzipped data (maxInflatedBytes)';
  if (options.header) {
    const head = gunzipHead(buffer, path, options.header.bytes);
    const size = head.length < options.header.bytes ? null : options.header.size(head);
    if (size === null) return head; // too short or a bad header: the parser names the problem
    if (size <= max) return gunzipBounded(buffer, path, size, `the size its header gives`);
  }
  return gunzipBounded(buffer, path, max, limitName);
}

/** Writes `data` to a temporary name beside `path`, then renames it: readers never see half a file. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (err) {
    try { unlinkSync(temp); } catch { /* the temp file may not exist */ }
    throw new ZerogradError(`${path}: cannot write file (${(err as Error).message})`);
  }
}
