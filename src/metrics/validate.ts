// Input checks shared by the metrics: label arrays, class counts, and the error each mistake gets.
import { ShapeError } from '../errors.js';

/** Throws unless `numClasses` is a positive integer. */
export function checkNumClasses(numClasses: number, where: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ShapeError(`${where}: numClasses must be a positive integer, got ${numClasses}`);
  }
}

/** Throws unless every entry of `labels` is an integer class index in [0, numClasses). */
export function checkLabels(labels: ArrayLike<number>, numClasses: number, name: string, where: string): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new ShapeError(
        `${where}: ${name}[${i}] = ${label} is not a class index in [0, ${numClasses - 1}]`,
      );
    }
  }
}

/** Throws unless the true and predicted label arrays are non-empty and equally long. */
export function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, where: string): void {
  if (yTrue.length !== yPred.length) {
    throw new ShapeError(
      `${where}: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}; expected the same length`,
    );
  }
  if (yTrue.length === 0) throw new ShapeError(`${where}: no samples (yTrue and yPred are empty)`);
}
