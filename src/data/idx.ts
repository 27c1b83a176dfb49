// Reader for the IDX format of the original MNIST files (raw or .gz), with validation that
// names the file and what was wrong: magic number, dimensions, truncation, label range.
import { DataError } from '../errors.js';
import { readDataFile, type ReadDataOptions } from './files.js';

/** IDX magic numbers: 0x0803 = unsigned bytes, 3 dims (images); 0x0801 = bytes, 1 dim (labels). */
export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/** Images of an IDX3 file: `pixels` is (count, rows*cols), a view on the file buffer (no copy). */
export interface IdxImages {
  pixels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** Parses IDX3 image bytes; `file` is only used in error messages. */
export function parseIdxImages(buffer: Uint8Array, file: string, expected?: { rows: number; cols: number }): IdxImages {
  if (buffer.length < 16) {
    throw new DataError(`${file}: truncated IDX image file: ${buffer.length} bytes, the header alone needs 16`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0);
  if (magic !== IDX_IMAGES_MAGIC) {
    const hint = magic === IDX_LABELS_MAGIC ? ' (this is a label file)' : '';
    throw new DataError(`${file}: wrong magic number ${magic}${hint}, expected ${IDX_IMAGES_MAGIC} for an IDX image file`);
  }
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows === 0 || cols === 0 || (expected && (rows !== expected.rows || cols !== expected.cols))) {
    const want = expected ? `${expected.rows}x${expected.cols}` : 'non-zero dimensions';
    throw new DataError(`${file}: wrong image dimensions ${rows}x${cols}, expected ${want}`);
  }
  const needed = 16 + count * rows * cols;
  if (buffer.length < needed) {
    const whole = Math.floor((buffer.length - 16) / (rows * cols));
    throw new DataError(
      `${file}: truncated: header says ${count} images of ${rows}x${cols} (${needed} bytes), file has ${buffer.length} bytes (${whole} whole images)`,
    );
  }
  if (buffer.length > needed) {
    throw new DataError(`${file}: ${buffer.length - needed} unexpected bytes after ${count} images of ${rows}x${cols}`);
  }
  return { pixels: new Uint8Array(buffer.buffer, buffer.byteOffset + 16, needed - 16), count, rows, cols };
}

/** Parses IDX1 label bytes and checks every label is below `numClasses` (10 for MNIST). */
export function parseIdxLabels(buffer: Uint8Array, file: string, numClasses = 10): Uint8Array {
  if (buffer.length < 8) {
    throw new DataError(`${file}: truncated IDX label file: ${buffer.length} bytes, the header alone needs 8`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0);
  if (magic !== IDX_LABELS_MAGIC) {
    const hint = magic === IDX_IMAGES_MAGIC ? ' (this is an image file)' : '';
    throw new DataError(`${file}: wrong magic number ${magic}${hint}, expected ${IDX_LABELS_MAGIC} for an IDX label file`);
  }
  const count = view.getUint32(4);
  if (buffer.length < 8 + count) {
    throw new DataError(`${file}: truncated: header says ${count} labels, file has only ${buffer.length - 8}`);
  }
  if (buffer.length > 8 + count) {
    throw new DataError(`${file}: ${buffer.length - 8 - count} unexpected bytes after ${count} labels`);
  }
  const labels = new Uint8Array(buffer.buffer, buffer.byteOffset + 8, count);
  for (let i = 0; i < count; i++) {
    if (labels[i] >= numClasses) {
      throw new DataError(`${file}: label ${labels[i]} at index ${i} is outside 0-${numClasses - 1}`);
    }
  }
  return labels;
}

/** Size in bytes an IDX3 header says its file has, or null when the 16 header bytes are not one. */
export function idxImagesSize(head: Uint8Array): number | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < 16 || view.getUint32(0) !== IDX_IMAGES_MAGIC || view.getUint32(8) === 0 || view.getUint32(12) === 0) return null;
  return 16 + view.getUint32(4) * view.getUint32(8) * view.getUint32(12);
}

/** Size in bytes an IDX1 header says its file has, or null when the 8 header bytes are not one. */
export function idxLabelsSize(head: Uint8Array): number | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < 8 || view.getUint32(0) !== IDX_LABELS_MAGIC) return null;
  return 8 + view.getUint32(4);
}

/** How IDX files are read: a .gz inflates to exactly what its header says (and at most maxInflatedBytes). */
const IMAGES_READ: ReadDataOptions = { what: 'an IDX image file', header: { bytes: 16, size: idxImagesSize } };
const LABELS_READ: ReadDataOptions = { what: 'an IDX label file', header: { bytes: 8, size: idxLabelsSize } };

/** Reads an IDX3 image file (raw or gzip). */
export function readIdxImages(path: string, expected?: { rows: number; cols: number }, options: { maxInflatedBytes?: number } = {}): IdxImages {
  return parseIdxImages(readDataFile(path, { ...IMAGES_READ, ...options }), path, expected);
}

/** Reads an IDX1 label file (raw or gzip). */
export function readIdxLabels(path: string, numClasses = 10, options: { maxInflatedBytes?: number } = {}): Uint8Array {
  return parseIdxLabels(readDataFile(path, { ...LABELS_READ, ...options }), path, numClasses);
}

/** Encodes images as IDX3 bytes (for tests and exports). */
export function encodeIdxImages(pixels: Uint8Array, count: number, rows: number, cols: number): Buffer {
  const out = Buffer.alloc(16 + count * rows * cols);
  out.writeUInt32BE(IDX_IMAGES_MAGIC, 0);
  out.writeUInt32BE(count, 4);
  out.writeUInt32BE(rows, 8);
  out.writeUInt32BE(cols, 12);
  out.set(pixels.subarray(0, count * rows * cols), 16);
  return out;
}

/** Encodes labels as IDX1 bytes. */
export function encodeIdxLabels(labels: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + labels.length);
  out.writeUInt32BE(IDX_LABELS_MAGIC, 0);
  out.writeUInt32BE(labels.length, 4);
  out.set(labels, 8);
  return out;
}
