// File helpers of the data layer: reading (with transparent gunzip) and atomic writes.
import { builtin } from '../platform/node.js';
import { DataError } from '../errors.js';

const { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } = builtin('fs');
const { gunzipSync } = builtin('zlib');

/** Reads a whole file; gunzips it when it starts with the gzip magic bytes. Errors name the file. */
export function readDataFile(path: string): Buffer {
  if (!existsSync(path)) throw new DataError(`${path}: file not found`);
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read file (${(err as Error).message})`);
  }
  if (buffer.length >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) {
    try {
      return gunzipSync(buffer);
    } catch (err) {
      throw new DataError(`${path}: corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  return buffer;
}

/** Writes `data` to a temporary name beside `path`, then renames it: readers never see half a file. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (err) {
    try { unlinkSync(temp); } catch { /* the temp file may not exist */ }
    throw err;
  }
}
