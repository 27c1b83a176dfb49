// Aligned text tables for the terminal: sklearn-style classification report, confusion matrix, CV summary.
import { ShapeError } from '../errors.js';
import type { ClassificationReport } from './classification.js';
import type { CrossValidationSummary } from './cross-validation.js';

/** Options of the table formatters. */
export interface TableOptions {
  /** Digits after the decimal point; default 4. */
  digits?: number;
}

function classLabels(classNames: readonly string[] | undefined, numClasses: number, where: string): string[] {
  if (classNames === undefined) return Array.from({ length: numClasses }, (_, c) => String(c));
  if (classNames.length !== numClasses) {
    throw new ShapeError(`${where}: ${classNames.length} class names for ${numClasses} classes; expected one name per class`);
  }
  return [...classNames];
}

/**
 * Formats a report like sklearn's `classification_report`:
 *
 * ```
 *               precision    recall  f1-score   support
 *
 *            0     1.0000    0.6667    0.8000         3
 *            …
 *     accuracy                         0.6000         5
 *    macro avg     0.5000    0.5556    0.4889         5
 * weighted avg     0.7000    0.6000    0.6133         5
 * ```
 */
export function formatClassificationTable(
  report: ClassificationReport,
  classNames?: readonly string[],
  options: TableOptions = {},
): string {
  const digits = options.digits ?? 4;
  const names = classLabels(classNames, report.precision.length, 'formatClassificationTable');
  const width = Math.max('weighted avg'.length, ...names.map((n) => n.length));
  const column = Math.max(9, digits + 3);
  const num = (x: number): string => x.toFixed(digits).padStart(column);
  const count = (n: number): string => String(n).padStart(column);
  const total = report.support.reduce((a, b) => a + b, 0);
  const lines = [
    ''.padStart(width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map((h) => ' ' + h.padStart(column)).join(''),
    '',
  ];
  names.forEach((name, c) => {
    const cells = [num(report.precision[c]), num(report.recall[c]), num(report.f1[c]), count(report.support[c])];
    lines.push(name.padStart(width) + ' ' + cells.map((cell) => ' ' + cell).join(''));
  });
  lines.push('');
  const blank = ''.padStart(column);
  lines.push('accuracy'.padStart(width) + ' ' + [blank, blank, num(report.accuracy), count(total)].map((cell) => ' ' + cell).join(''));
  for (const [label, avg] of [['macro avg', report.macro], ['weighted avg', report.weighted]] as const) {
    const cells = [num(avg.precision), num(avg.recall), num(avg.f1), count(total)];
    lines.push(label.padStart(width) + ' ' + cells.map((cell) => ' ' + cell).join(''));
  }
  return lines.join('\n') + '\n';
}

/** Options of `formatConfusionMatrix`. */
export interface ConfusionTableOptions extends TableOptions {
  /** `'true'` divides each row by its total (recall on the diagonal); default `'none'` prints counts. */
  normalize?: 'none' | 'true';
}

/**
 * Formats `confusion[true][predicted]` as an aligned grid with true classes down the side and
 * predicted classes across the top.
 */
export function formatConfusionMatrix(
  confusion: readonly (readonly number[])[],
  classNames?: readonly string[],
  options: ConfusionTableOptions = {},
): string {
  const numClasses = confusion.length;
  const names = classLabels(classNames, numClasses, 'formatConfusionMatrix');
  confusion.forEach((row, t) => {
    if (row.length !== numClasses) {
      throw new ShapeError(`formatConfusionMatrix: row ${t} has ${row.length} entries; expected ${numClasses}`);
    }
  });
  const normalize = options.normalize ?? 'none';
  const digits = options.digits ?? 2;
  const cells = confusion.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((n) => (normalize === 'true' ? (total === 0 ? 0 : n / total).toFixed(digits) : String(n)));
  });
  const corner = 'true \\ pred';
  const sideWidth = Math.max(corner.length, ...names.map((n) => n.length));
  const column = Math.max(...names.map((n) => n.length), ...cells.flat().map((c) => c.length));
  const lines = [corner.padEnd(sideWidth) + names.map((n) => '  ' + n.padStart(column)).join('')];
  cells.forEach((row, t) => lines.push(names[t].padStart(sideWidth) + row.map((c) => '  ' + c.padStart(column)).join('')));
  return lines.join('\n') + '\n';
}

/** Formats a cross-validation summary as `metric  mean ± std  min  max` rows. */
export function formatCrossValidation(summary: CrossValidationSummary, options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const rows = Object.entries(summary.metrics).map(([name, m]) => [
    name,
    `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`,
    m.min.toFixed(digits),
    m.max.toFixed(digits),
  ]);
  const header = ['metric', `mean ± std (${summary.folds} folds)`, 'min', 'max'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
