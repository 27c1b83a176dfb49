// Per-class precision, recall and F1 with macro and weighted averages, computed from the confusion matrix.
import { ShapeError } from '../errors.js';
import { confusionMatrix } from './confusion.js';

/** Macro or weighted average of the per-class scores. */
export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

/** Everything `classificationReport` measures; arrays are indexed by class. */
export interface ClassificationReport {
  /** Fraction of samples predicted correctly. */
  accuracy: number;
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of samples of each true class. */
  support: number[];
  /** Unweighted mean over all `numClasses` classes (classes absent from both arrays count as 0). */
  macro: AveragedScores;
  /** Mean weighted by support (classes absent from yTrue weigh nothing). */
  weighted: AveragedScores;
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
}

/**
 * Scores a classifier from its true and predicted labels (integers in [0, numClasses)).
 *
 * Zero division follows sklearn's `zero_division=0`: the precision of a class that is never
 * predicted, the recall of a class absent from yTrue, and the F1 of a class whose precision and
 * recall are both 0 are all 0. Macro averages include every class in [0, numClasses), as
 * sklearn does when given `labels=range(numClasses)`.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): ClassificationReport {
  const confusion = confusionMatrix(yTrue, yPred, numClasses);
  return reportFromConfusion(confusion);
}

/** Builds the report from an existing square matrix of counts, `confusion[true][predicted]`. */
export function reportFromConfusion(confusion: number[][]): ClassificationReport {
  const numClasses = confusion.length;
  confusion.forEach((row, t) => {
    if (row.length !== numClasses) {
      throw new ShapeError(`reportFromConfusion: row ${t} has ${row.length} entries; expected ${numClasses} (a square matrix)`);
    }
    if (row.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new ShapeError(`reportFromConfusion: row ${t} holds a value that is not a non-negative integer count`);
    }
  });
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = confusion[0].map((_, p) => confusion.reduce((sum, row) => sum + row[p], 0));
  const total = support.reduce((a, b) => a + b, 0);
  if (total === 0) throw new ShapeError('reportFromConfusion: the confusion matrix is empty (no samples)');
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  let correct = 0;
  for (let c = 0; c < numClasses; c++) {
    const truePositives = confusion[c][c];
    correct += truePositives;
    const p = predicted[c] === 0 ? 0 : truePositives / predicted[c];
    const r = support[c] === 0 ? 0 : truePositives / support[c];
    precision.push(p);
    recall.push(r);
    f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const weightedMean = (xs: number[]): number => xs.reduce((sum, x, c) => sum + x * support[c], 0) / total;
  return {
    accuracy: correct / total,
    precision,
    recall,
    f1,
    support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    weighted: { precision: weightedMean(precision), recall: weightedMean(recall), f1: weightedMean(f1) },
    confusion,
  };
}
