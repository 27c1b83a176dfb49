// Index-based splits: seeded shuffles, train/validation holdout, stratified k-fold and
// few-label subsets. They return sorted index arrays, so no image data is copied.
import { DataError, UsageError } from '../errors.js';
import type { Dataset, ImageSet } from './dataset.js';
import { toRandom, type Random } from './rng.js';

/** Index arrays into one data set. */
export interface IndexSplit {
  train: Int32Array;
  validation: Int32Array;
}

/** A seeded random order of 0..n-1. */
export function shuffledIndices(n: number, seed: number | Random): Int32Array {
  return toRandom(seed).permutation(n);
}

/** Indices of each class, each list in a seeded random order. */
function indicesByClass(labels: ArrayLike<number>, rng: Random, restrictTo?: Int32Array): Int32Array[] {
  const buckets: number[][] = [];
  const source = restrictTo ?? null;
  const n = source ? source.length : labels.length;
  for (let k = 0; k < n; k++) {
    const index = source ? source[k] : k;
    const label = labels[index];
    (buckets[label] ??= []).push(index);
  }
  const result: Int32Array[] = [];
  for (let c = 0; c < buckets.length; c++) result.push(rng.shuffle(Int32Array.from(buckets[c] ?? [])));
  return result;
}

function sorted(values: number[]): Int32Array {
  return Int32Array.from(values).sort();
}

/** Options of `holdout`. */
export interface HoldoutOptions {
  /** Fraction of examples held out for validation, in (0, 1); default 0.1. */
  validationFraction?: number;
  /** Seed or generator; default 0. */
  seed?: number | Random;
  /** Keep class proportions in both parts (default true). */
  stratified?: boolean;
}

/** A train/validation holdout over `labels` (e.g. 54,000/6,000 of MNIST train). */
export function holdout(labels: ArrayLike<number>, options: HoldoutOptions = {}): IndexSplit {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction > 0 && fraction < 1)) throw new UsageError(`validation fraction must be in (0, 1), got ${fraction}`);
  const rng = toRandom(options.seed ?? 0);
  const train: number[] = [];
  const validation: number[] = [];
  if (options.stratified ?? true) {
    for (const members of indicesByClass(labels, rng)) {
      const held = Math.round(members.length * fraction);
      for (let k = 0; k < members.length; k++) (k < held ? validation : train).push(members[k]);
    }
  } else {
    const order = rng.permutation(labels.length);
    const held = Math.round(labels.length * fraction);
    for (let k = 0; k < order.length; k++) (k < held ? validation : train).push(order[k]);
  }
  return { train: sorted(train), validation: sorted(validation) };
}

/**
 * Stratified k-fold: each class is shuffled and dealt round-robin into k folds, so every fold
 * has the class proportions of the whole. Fold i validates on fold i and trains on the rest.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number | Random = 0): IndexSplit[] {
  if (!Number.isInteger(k) || k < 2 || k > labels.length) {
    throw new UsageError(`k-fold needs an integer k between 2 and the number of examples (${labels.length}), got ${k}`);
  }
  const foldOf = new Int32Array(labels.length);
  let dealt = 0; // continue the deal across classes so fold sizes stay within one of each other
  for (const members of indicesByClass(labels, toRandom(seed))) {
    for (let m = 0; m < members.length; m++) foldOf[members[m]] = (dealt + m) % k;
    dealt += members.length;
  }
  const folds: IndexSplit[] = [];
  for (let fold = 0; fold < k; fold++) {
    const train: number[] = [];
    const validation: number[] = [];
    for (let i = 0; i < labels.length; i++) (foldOf[i] === fold ? validation : train).push(i);
    folds.push({ train: Int32Array.from(train), validation: Int32Array.from(validation) });
  }
  return folds;
}

/**
 * K examples of every class present, seeded and stratified (few-label fine-tuning).
 * `from` restricts the draw to some indices (e.g. a holdout's train part). Sorted result.
 */
export function fewPerClass(labels: ArrayLike<number>, perClass: number, seed: number | Random = 0, from?: Int32Array): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 1) throw new UsageError(`examples per class must be a positive integer, got ${perClass}`);
  const chosen: number[] = [];
  const byClass = indicesByClass(labels, toRandom(seed), from);
  byClass.forEach((members, label) => {
    if (members.length === 0) return;
    if (members.length < perClass) {
      throw new DataError(`class ${label} has only ${members.length} examples, fewer than the ${perClass} per class asked for`);
    }
    for (let k = 0; k < perClass; k++) chosen.push(members[k]);
  });
  return sorted(chosen);
}

/** A copy of the examples at `indices` (for small subsets; batches take indices without copying). */
export function subset<T extends ImageSet | Dataset>(data: T, indices: ArrayLike<number>): T {
  const size = data.rows * data.cols;
  const labels = new Uint8Array(indices.length);
  const isRaw = 'pixels' in data;
  const source = isRaw ? (data as ImageSet).pixels : (data as Dataset).images;
  const values = isRaw ? new Uint8Array(indices.length * size) : new Float32Array(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!(index >= 0 && index < data.count)) throw new DataError(`${data.name}: index ${index} is outside 0-${data.count - 1}`);
    labels[k] = data.labels[index];
    values.set(source.subarray(index * size, (index + 1) * size), k * size);
  }
  const name = `${data.name}[${indices.length}]`;
  if (isRaw) return { ...data, name, pixels: values, labels, count: indices.length };
  const shape = [indices.length, ...(data as Dataset).shape.slice(1)];
  return { ...data, name, images: values, labels, count: indices.length, shape };
}
