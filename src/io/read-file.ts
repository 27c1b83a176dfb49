// Bounded reads of model files: only regular files are read, and never more than `stat` says they
// hold, so a config.json or model.safetensors linked to /dev/zero or a FIFO is refused, not read forever.
import type { Stats } from 'node:fs';
import { DataError } from '../errors.js';
import { builtin } from '../platform/node.js';

const { closeSync, constants, fstatSync, openSync, readSync, statSync } = builtin('fs');

/** What a non-regular file is, for error messages. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
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

/**
 * Reads the whole of the regular file `path` (symlinks followed), at most `maxBytes` bytes.
 * A directory, FIFO, device or socket, a missing or unreadable file, a file over `maxBytes` or one that
 * changes size while read throws a DataError naming the path; nothing larger than the file is allocated.
 */
export function readRegularFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read (${describeFsError(err)})`);
  }
  if (!stats.isFile()) throw new DataError(`${path}: is ${kindOf(stats)}, expected a regular file`);
  let fd: number;
  try {
    // O_NONBLOCK: should the path be swapped for a FIFO after the stat, opening it does not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new DataError(`${path}: cannot open (${describeFsError(err)})`);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new DataError(`${path}: is ${kindOf(opened)}, expected a regular file`);
    const size = opened.size;
    if (size > maxBytes) throw new DataError(`${path}: is ${size} bytes, more than the ${maxBytes}-byte limit for this file`);
    let buffer: Buffer;
    try {
      buffer = Buffer.allocUnsafe(size);
    } catch (err) {
      throw new DataError(`${path}: is ${size} bytes, too large to read into memory (${(err as Error).message})`);
    }
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, buffer, filled, size - filled, filled);
      if (n === 0) throw new DataError(`${path}: shrank from ${size} to ${filled} bytes while being read`);
      filled += n;
    }
    return buffer;
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`${path}: cannot read (${describeFsError(err)})`);
  } finally {
    closeSync(fd);
  }
}
