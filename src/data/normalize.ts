// Pixel scaling and standardization: statistics from the training split only; the bytes -> float32
// conversion is one tight multiply-add loop, done once per data set.
import { DataError } from '../errors.js';
import { exampleShape, type Dataset, type ImageSet, type Layout, type Normalization, type Splits } from './dataset.js';

/** Mean and standard deviation of all pixels of `set`, on the 0-1 scale. */
export function pixelStats(set: ImageSet): { mean: number; std: number } {
  const pixels = set.pixels;
  const n = pixels.length;
  if (n === 0) throw new DataError(`${set.name}: cannot compute pixel statistics of an empty set`);
  // Integer partial sums per 4096-pixel chunk stay below 2^31 (4096 * 255^2), so the inner loop is int math.
  let sum = 0;
  let sumSq = 0;
  for (let start = 0; start < n; start += 4096) {
    const end = Math.min(n, start + 4096);
    let chunkSum = 0;
    let chunkSq = 0;
    for (let i = start; i < end; i++) {
      const v = pixels[i];
      chunkSum = (chunkSum + v) | 0;
      chunkSq = (chunkSq + v * v) | 0;
    }
    sum += chunkSum;
    sumSq += chunkSq;
  }
  const mean = sum / n / 255;
  const variance = sumSq / n / (255 * 255) - mean * mean;
  return { mean, std: Math.sqrt(Math.max(0, variance)) };
}

/** The normalization of `kind`, with statistics taken from `train` (never from test data). */
export function fitNormalization(train: ImageSet, kind: Normalization['kind'] = 'standardize'): Normalization {
  if (kind === 'scale') return { kind, mean: 0, std: 1 };
  const { mean, std } = pixelStats(train);
  if (!(std > 0)) throw new DataError(`${train.name}: all pixels are equal (std 0), cannot standardize; use 'scale'`);
  return { kind, mean, std };
}

/** Checks an object read back from a saved model config; throws DataError naming what is wrong. */
export function checkNormalization(value: unknown, where = 'normalization'): Normalization {
  const v = value as Partial<Normalization> | null;
  if (typeof v !== 'object' || v === null) throw new DataError(`${where}: expected an object { kind, mean, std }`);
  if (v.kind !== 'scale' && v.kind !== 'standardize') {
    throw new DataError(`${where}: kind must be 'scale' or 'standardize', got ${JSON.stringify(v.kind)}`);
  }
  if (typeof v.mean !== 'number' || !Number.isFinite(v.mean)) throw new DataError(`${where}: mean must be a finite number`);
  if (typeof v.std !== 'number' || !(v.std > 0)) throw new DataError(`${where}: std must be a positive number`);
  return { kind: v.kind, mean: v.mean, std: v.std };
}

/** The normalized value of an empty (0) pixel: what augmentation fills with. */
export function backgroundValue(norm: Normalization): number {
  return (0 - norm.mean) / norm.std;
}

/** Normalizes bytes into `out` (allocated when omitted): the one conversion loop. */
export function normalizeBytes(pixels: Uint8Array, norm: Normalization, out?: Float32Array): Float32Array {
  const n = pixels.length;
  const result = out ?? new Float32Array(n);
  if (result.length < n) throw new RangeError(`normalizeBytes: output has ${result.length} slots, needs ${n}`);
  const scale = 1 / (255 * norm.std);
  const shift = -norm.mean / norm.std;
  for (let i = 0; i < n; i++) result[i] = pixels[i] * scale + shift;
  return result;
}

/** Normalizes 0-1 floats (e.g. a preprocessed user drawing) the same way as training bytes. */
export function normalizeUnit(values: Float32Array, norm: Normalization, out?: Float32Array): Float32Array {
  const n = values.length;
  const result = out ?? new Float32Array(n);
  const scale = 1 / norm.std;
  const shift = norm.mean / norm.std;
  for (let i = 0; i < n; i++) result[i] = values[i] * scale - shift;
  return result;
}

/** Converts one ImageSet to float features with a given normalization (conversion done once). */
export function toDataset(set: ImageSet, norm: Normalization, layout: Layout = 'flat'): Dataset {
  return {
    name: set.name,
    images: normalizeBytes(set.pixels, norm),
    labels: set.labels,
    count: set.count,
    rows: set.rows,
    cols: set.cols,
    shape: [set.count, ...exampleShape(set.rows, set.cols, layout)],
    classNames: set.classNames,
    normalization: norm,
  };
}

/** Options of `prepare`. */
export interface PrepareOptions {
  /** Default 'standardize' (statistics from the train split). */
  normalize?: Normalization['kind'] | Normalization;
  /** Default 'flat'. */
  layout?: Layout;
}

/**
 * Train and test features with one normalization fitted on the train split only
 * (or the given one, e.g. loaded with a model).
 */
export function prepare<Test extends ImageSet | null>(splits: Splits<ImageSet, Test>, options: PrepareOptions = {}): Prepared<Test> {
  const spec = options.normalize ?? 'standardize';
  const normalization = typeof spec === 'string' ? fitNormalization(splits.train, spec) : checkNormalization(spec);
  const layout = options.layout ?? 'flat';
  return {
    train: toDataset(splits.train, normalization, layout),
    test: (splits.test ? toDataset(splits.test, normalization, layout) : null) as Prepared<Test>['test'],
    normalization,
  };
}

/** What prepare() returns: `test` is a Dataset (no `!` needed) when the source's test split is known to exist. */
export interface Prepared<Test extends ImageSet | null> {
  train: Dataset;
  test: Test extends ImageSet ? Dataset : Dataset | null;
  normalization: Normalization;
}
