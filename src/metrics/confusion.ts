// Confusion matrix and plain accuracy from integer label arrays.
import { checkLabels, checkNumClasses, checkPair } from './validate.js';

/**
 * Counts (true, predicted) pairs: `confusion[t][p]` is the number of samples of true class `t`
 * predicted as class `p` (rows = true class, columns = predicted class, like sklearn).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  const where = 'confusionMatrix';
  checkNumClasses(numClasses, where);
  checkPair(yTrue, yPred, where);
  checkLabels(yTrue, numClasses, 'yTrue', where);
  checkLabels(yPred, numClasses, 'yPred', where);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) confusion[yTrue[i]][yPred[i]]++;
  return confusion;
}

/** Fraction of samples whose predicted label equals the true label. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair(yTrue, yPred, 'accuracy');
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}
