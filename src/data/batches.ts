// Mini-batch iteration over a Dataset without copying the set: each step gathers its examples
// into buffers reused across steps (or yields a view when the order is sequential).
import { UsageError } from '../errors.js';
import type { Augmenter } from './augment.js';
import type { Dataset } from './dataset.js';
import { backgroundValue } from './normalize.js';
import type { Random } from './rng.js';

/**
 * One mini-batch. `x` is (size, features) and `y` is (size). Both are only valid until the next
 * step: they are reused buffers, or (sequential order without augmentation) a view into the
 * data set itself. Treat them as read-only and copy what you keep.
 */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  /** Examples in this batch: batchSize, or fewer for the last batch when dropLast is false. */
  size: number;
  /** Data-set indices of the examples, in batch order. */
  indices: Int32Array;
}

/** Options of `batches`. */
export interface BatchOptions {
  batchSize: number;
  /** Visit examples in a new random order each call (needs `rng`); default false. */
  shuffle?: boolean;
  /** One generator for the whole run, so each epoch draws a new order. */
  rng?: Random;
  /** Drop the last batch when it is smaller than batchSize (default false: yield it, smaller). */
  dropLast?: boolean;
  /** Iterate over these data-set indices only (e.g. a holdout's train part). */
  indices?: Int32Array;
  /** Random distortions applied to each batch on the fly (training only). */
  augment?: Augmenter | null;
}

/** Number of batches an epoch of `count` examples yields. */
export function batchCount(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** One epoch of mini-batches over `data`. */
export function* batches(data: Dataset, options: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`batch size must be a positive integer, got ${batchSize}`);
  if (options.shuffle && !options.rng) {
    throw new UsageError('shuffled batches need an rng: pass one Random for the whole run so each epoch gets a new order');
  }
  const features = data.rows * data.cols;
  const total = options.indices ? options.indices.length : data.count;
  const order = new Int32Array(total);
  for (let k = 0; k < total; k++) order[k] = options.indices ? options.indices[k] : k;
  if (options.shuffle && options.rng) options.rng.shuffle(order);
  const sequential = !options.shuffle && !options.indices;
  const augment = options.augment ?? null;
  const fill = backgroundValue(data.normalization);

  const gathered = new Float32Array(batchSize * features);
  const warped = augment ? new Float32Array(batchSize * features) : gathered;
  const y = new Int32Array(batchSize);
  const steps = batchCount(total, batchSize, dropLast);
  for (let step = 0; step < steps; step++) {
    const start = step * batchSize;
    const size = Math.min(batchSize, total - start);
    const indices = order.subarray(start, start + size);
    let x: Float32Array;
    if (sequential && !augment) {
      x = data.images.subarray(start * features, (start + size) * features);
    } else {
      for (let b = 0; b < size; b++) {
        const index = indices[b];
        gathered.set(data.images.subarray(index * features, (index + 1) * features), b * features);
      }
      if (augment) augment.apply(gathered, warped, size, data.rows, data.cols, fill);
      x = warped.subarray(0, size * features);
    }
    for (let b = 0; b < size; b++) y[b] = data.labels[indices[b]];
    yield { x, y: y.subarray(0, size), size, indices };
  }
}
