// The two data-set shapes of the data layer: raw uint8 images as read from files (ImageSet)
// and float features ready for training (Dataset). Plain typed arrays; no tensor engine here.

/** Class names of MNIST digits: '0'..'9'. */
export const DIGIT_CLASS_NAMES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Class names of Fashion-MNIST, in label order. */
export const FASHION_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

/** Images as stored: one byte per pixel, 0 = background, 255 = ink; row-major (N, rows, cols). */
export interface ImageSet {
  /** Human-readable origin, e.g. 'mnist/train' or a file path. */
  name: string;
  /** (N, rows*cols) bytes. */
  pixels: Uint8Array;
  /** (N) class indices into `classNames`. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  classNames: readonly string[];
}

/** A train split and, where the source has one, a test split. */
export interface Splits<T, Test extends T | null = T | null> {
  train: T;
  /** Typed `T` (not `T | null`) where the source always has a test split, e.g. the embedded MNIST. */
  test: Test;
}

/** `flat`: (N, rows*cols) vectors; `image`: (N, 1, rows, cols). Same memory, only `shape` differs. */
export type Layout = 'flat' | 'image';

/**
 * How bytes become features, as a plain JSON-serializable object to store with a model.
 * 'scale': x = p / 255 (mean 0, std 1 here). 'standardize': x = (p / 255 - mean) / std.
 */
export interface Normalization {
  kind: 'scale' | 'standardize';
  mean: number;
  std: number;
}

/** Float features: converted once from an ImageSet, then only read (batches are views/gathers). */
export interface Dataset {
  name: string;
  /** (N, rows*cols) float32, normalized by `normalization`; `shape` says how to view it. */
  images: Float32Array;
  /** (N) class indices. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** [N, rows*cols] or [N, 1, rows, cols]. */
  shape: readonly number[];
  classNames: readonly string[];
  normalization: Normalization;
}

/** The feature shape of one example for a layout: [784] or [1, 28, 28]. */
export function exampleShape(rows: number, cols: number, layout: Layout): number[] {
  return layout === 'flat' ? [rows * cols] : [1, rows, cols];
}
