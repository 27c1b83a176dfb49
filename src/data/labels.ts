// Label encodings: sparse class indices, one-hot rows, and decoding of predictions back to labels.
import { DataError, ShapeError } from '../errors.js';

/** Sparse labels as int32 class indices (what a cross-entropy loss takes). */
export function toSparse(labels: ArrayLike<number>): Int32Array {
  return Int32Array.from(labels);
}

/** One-hot rows: (N) labels -> (N, numClasses) float32 with a single 1 per row. */
export function oneHot(labels: ArrayLike<number>, numClasses = 10, out?: Float32Array): Float32Array {
  const n = labels.length;
  const result = out ?? new Float32Array(n * numClasses);
  if (result.length < n * numClasses) throw new ShapeError(`oneHot: output has ${result.length} slots, needs ${n}x${numClasses}`);
  result.fill(0, 0, n * numClasses);
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!(Number.isInteger(label) && label >= 0 && label < numClasses)) {
      throw new DataError(`label ${label} at index ${i} is outside 0-${numClasses - 1}`);
    }
    result[i * numClasses + label] = 1;
  }
  return result;
}

/**
 * Decodes rows of scores (probabilities, logits or one-hot codes), (N, numClasses), into
 * class indices by arg-max; ties go to the lower index.
 */
export function decodePredictions(scores: ArrayLike<number>, numClasses = 10): Int32Array {
  if (scores.length % numClasses !== 0) {
    throw new ShapeError(`decodePredictions: ${scores.length} scores is not a whole number of rows of ${numClasses} classes`);
  }
  const n = scores.length / numClasses;
  const result = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    let best = 0;
    let bestScore = scores[row];
    for (let c = 1; c < numClasses; c++) {
      if (scores[row + c] > bestScore) { bestScore = scores[row + c]; best = c; }
    }
    result[i] = best;
  }
  return result;
}

/** Alias of decodePredictions for one-hot codes. */
export const fromOneHot = decodePredictions;

/** Class names of label indices, e.g. [7, 2] -> ['Sneaker', 'Pullover']. */
export function labelNames(labels: ArrayLike<number>, classNames: readonly string[]): string[] {
  return Array.from(labels, (label, i) => {
    const name = classNames[label];
    if (name === undefined) throw new DataError(`label ${label} at index ${i} has no class name (${classNames.length} classes)`);
    return name;
  });
}

/** How many examples each class has: counts[c] for c in 0..numClasses-1. */
export function countPerClass(labels: ArrayLike<number>, numClasses = 10): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label >= 0 && label < numClasses) counts[label]++;
    else throw new DataError(`label ${label} at index ${i} is outside 0-${numClasses - 1}`);
  }
  return counts;
}
