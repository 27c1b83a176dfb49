// Metrics barrel: accuracy, top-k, confusion matrix, precision/recall/F1, cross-validation, text tables.
export { accuracy, confusionMatrix } from './confusion.js';
export { classificationReport, reportFromConfusion, type ClassificationReport, type AveragedScores } from './classification.js';
export { topKAccuracy, argmaxRows } from './topk.js';
export { crossValidationSummary, type CrossValidationSummary, type MetricSummary } from './cross-validation.js';
export {
  formatClassificationTable,
  formatConfusionMatrix,
  formatCrossValidation,
  type TableOptions,
  type ConfusionTableOptions,
} from './format.js';
