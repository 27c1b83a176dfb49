// CSV images in the common Kaggle layout: `label,pixel0,...,pixel783` per line, values 0-255, with or
// without a header line, an optional UTF-8 BOM, LF, CRLF or (in a file without LF) CR line ends.
// Parsed from bytes; every error names the file, line and column.
import { DataError } from '../errors.js';
import { DIGIT_CLASS_NAMES, type ImageSet } from './dataset.js';
import { DEFAULT_MAX_INFLATED_BYTES, readDataFile } from './files.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const COLUMNS = PIXELS + 1;
/** The shortest data row: 785 one-digit cells and 784 commas. Bounds the rows a file can hold before allocating. */
const MIN_ROW_BYTES = 2 * COLUMNS - 1;

/** Options of `loadCsv`. */
export interface CsvOptions {
  /** Most bytes a .csv.gz may inflate to (default DEFAULT_MAX_INFLATED_BYTES, 1 GiB). */
  maxInflatedBytes?: number;
}

/** Reads a CSV file (raw or gzip) of labelled 28x28 images. */
export function loadCsv(path: string, options: CsvOptions = {}): ImageSet {
  const maxInflatedBytes = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  return parseCsv(readDataFile(path, { what: 'a CSV file', maxInflatedBytes }), path);
}

/** Parses CSV bytes; `file` is used in error messages. Blank lines are skipped. */
export function parseCsv(buffer: Uint8Array, file: string): ImageSet {
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const n = bytes.length;
  const capacity = Math.floor(n / MIN_ROW_BYTES) + 1; // at most this many rows fit in n bytes: no allocation past n/2
  const pixels = new Uint8Array(capacity * PIXELS);
  const labels = new Uint8Array(capacity);
  let count = 0;
  let line = 0;
  let i = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // a UTF-8 BOM
  const newline = bytes.indexOf(0x0a) < 0 ? 0x0d : 0x0a; // no LF at all: old Mac CR line ends
  let sawContent = false;
  while (i < n) {
    line++;
    let end = bytes.indexOf(newline, i);
    if (end < 0) end = n;
    let stop = end;
    if (stop > i && bytes[stop - 1] === 0x0d) stop--;
    if (isBlank(bytes, i, stop)) { i = end + 1; continue; }
    if (!sawContent) {
      sawContent = true;
      if (looksLikeHeader(bytes, i, stop)) { i = end + 1; continue; }
    }
    const row = pixels.subarray(count * PIXELS, (count + 1) * PIXELS);
    let column = 0;
    let p = i;
    while (true) {
      // One cell: [spaces] digits [. digits] [spaces], then ',' or end of line.
      const cellStart = p;
      while (p < stop && bytes[p] === 0x20) p++;
      let value = 0;
      let digits = 0;
      while (p < stop && bytes[p] >= 0x30 && bytes[p] <= 0x39) { value = value * 10 + (bytes[p] - 0x30); p++; digits++; }
      if (p < stop && bytes[p] === 0x2e /* . */) {
        let scale = 0.1;
        p++;
        while (p < stop && bytes[p] >= 0x30 && bytes[p] <= 0x39) { value += (bytes[p] - 0x30) * scale; scale *= 0.1; p++; digits++; }
        value = Math.round(value);
      }
      while (p < stop && bytes[p] === 0x20) p++;
      if (digits === 0 || (p < stop && bytes[p] !== 0x2c)) {
        let cellEnd = p;
        while (cellEnd < stop && bytes[cellEnd] !== 0x2c) cellEnd++;
        const text = Buffer.from(bytes.subarray(cellStart, cellEnd)).toString('utf8').trim().slice(0, 20);
        throw new DataError(`${file} line ${line}, column ${column + 1}: ${JSON.stringify(text)} is not a number; expected an integer 0-${column === 0 ? 9 : 255}`);
      }
      if (column === 0) {
        if (value > 9) throw new DataError(`${file} line ${line}: label ${value} is outside 0-9`);
        labels[count] = value;
      } else if (column < COLUMNS) {
        if (value > 255) throw new DataError(`${file} line ${line}, column ${column + 1}: pixel value ${value} is outside 0-255`);
        row[column - 1] = value;
      }
      column++;
      if (p >= stop) break;
      p++; // the comma
    }
    if (column !== COLUMNS) {
      throw new DataError(`${file} line ${line}: expected ${COLUMNS} values (label + ${PIXELS} pixels), found ${column}`);
    }
    count++;
    i = end + 1;
  }
  if (count === 0) throw new DataError(`${file}: no data rows; expected lines of label,pixel0,...,pixel783`);
  return {
    name: file,
    pixels: pixels.slice(0, count * PIXELS),
    labels: labels.slice(0, count),
    count,
    rows: SIDE,
    cols: SIDE,
    classNames: DIGIT_CLASS_NAMES,
  };
}

/** Encodes images as CSV text (label first), optionally with the Kaggle header line. */
export function encodeCsv(set: Pick<ImageSet, 'pixels' | 'labels' | 'count'>, header = true): string {
  const lines: string[] = [];
  if (header) lines.push(['label', ...Array.from({ length: PIXELS }, (_, k) => `pixel${k}`)].join(','));
  for (let k = 0; k < set.count; k++) {
    lines.push(`${set.labels[k]},${Array.from(set.pixels.subarray(k * PIXELS, (k + 1) * PIXELS)).join(',')}`);
  }
  return lines.join('\n') + '\n';
}

function isBlank(bytes: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (bytes[k] !== 0x20 && bytes[k] !== 0x09) return false;
  return true;
}

/** A header line has a letter in its first cell (e.g. `label,pixel0,...`). */
function looksLikeHeader(bytes: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to && bytes[k] !== 0x2c; k++) {
    const c = bytes[k] | 0x20;
    if (c >= 0x61 && c <= 0x7a) return true;
  }
  return false;
}
