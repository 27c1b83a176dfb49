// Top-k accuracy from a row-major (N, C) score matrix (logits or probabilities), and row-wise argmax.
import { ShapeError } from '../errors.js';
import { checkLabels, checkNumClasses } from './validate.js';

function checkScores(scores: ArrayLike<number>, yTrue: ArrayLike<number>, numClasses: number, where: string): void {
  checkNumClasses(numClasses, where);
  if (scores.length !== yTrue.length * numClasses) {
    throw new ShapeError(
      `${where}: scores has ${scores.length} values; expected yTrue.length * numClasses = ` +
        `${yTrue.length} * ${numClasses} = ${yTrue.length * numClasses} (row-major (N, C))`,
    );
  }
  if (yTrue.length === 0) throw new ShapeError(`${where}: no samples (yTrue is empty)`);
  checkLabels(yTrue, numClasses, 'yTrue', where);
}

/**
 * Fraction of samples whose true class is among the `k` highest scores of its row.
 * `scores` is row-major (N, C). Ties are broken toward the lower class index, like a stable
 * descending sort, so top-1 accuracy equals the accuracy of `argmaxRows`.
 */
export function topKAccuracy(
  scores: ArrayLike<number>,
  yTrue: ArrayLike<number>,
  numClasses: number,
  k: number,
): number {
  const where = 'topKAccuracy';
  checkScores(scores, yTrue, numClasses, where);
  if (!Number.isInteger(k) || k < 1 || k > numClasses) {
    throw new ShapeError(`${where}: k must be an integer in [1, ${numClasses}], got ${k}`);
  }
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const row = i * numClasses;
    const label = yTrue[i];
    const target = scores[row + label];
    let rank = 0; // classes ranked ahead of the true class: (N, C) row -> count
    for (let c = 0; c < numClasses; c++) {
      const s = scores[row + c];
      if (s > target || (s === target && c < label)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / yTrue.length;
}

/** Index of the largest score in each row of a row-major (N, C) matrix; ties go to the lower index. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  checkNumClasses(numClasses, 'argmaxRows');
  if (scores.length % numClasses !== 0) {
    throw new ShapeError(`argmaxRows: ${scores.length} values do not split into rows of ${numClasses}`);
  }
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[i * numClasses + c] > scores[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}
