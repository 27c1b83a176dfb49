// k-fold cross-validation summaries: mean and sample standard deviation of each metric over the folds.
import { ShapeError } from '../errors.js';

/** Mean, sample standard deviation and range of one metric over the folds. */
export interface MetricSummary {
  mean: number;
  /** Sample standard deviation (divides by folds - 1, like `np.std(ddof=1)`); 0 when there is one fold. */
  std: number;
  min: number;
  max: number;
  /** The metric of each fold, in fold order. */
  values: number[];
}

/** What `crossValidationSummary` returns. */
export interface CrossValidationSummary {
  folds: number;
  /** One entry per metric name, in the key order of the first fold. */
  metrics: Record<string, MetricSummary>;
}

/**
 * Summarizes per-fold scalar metrics (e.g. `[{accuracy: 0.97, loss: 0.09}, …]`) as mean ± std.
 * Every fold must report the same metric names, each a finite number. The std is the sample
 * standard deviation (n - 1 in the denominator), which estimates the spread between folds
 * rather than describing only the folds observed; with a single fold it is reported as 0.
 */
export function crossValidationSummary(foldResults: ReadonlyArray<Readonly<Record<string, number>>>): CrossValidationSummary {
  const where = 'crossValidationSummary';
  if (foldResults.length === 0) throw new ShapeError(`${where}: no fold results; expected at least one fold`);
  const names = Object.keys(foldResults[0]);
  if (names.length === 0) throw new ShapeError(`${where}: fold 0 reports no metrics`);
  foldResults.forEach((fold, f) => {
    const keys = Object.keys(fold);
    const missing = names.filter((name) => !(name in fold));
    const extra = keys.filter((key) => !names.includes(key));
    if (missing.length > 0 || extra.length > 0) {
      throw new ShapeError(
        `${where}: fold ${f} reports [${keys.join(', ')}]; expected the same metrics as fold 0: [${names.join(', ')}]`,
      );
    }
    for (const name of names) {
      if (typeof fold[name] !== 'number' || !Number.isFinite(fold[name])) {
        throw new ShapeError(`${where}: fold ${f} metric "${name}" is ${String(fold[name])}; expected a finite number`);
      }
    }
  });
  const metrics: Record<string, MetricSummary> = {};
  for (const name of names) metrics[name] = summarize(foldResults.map((fold) => fold[name]));
  return { folds: foldResults.length, metrics };
}

function summarize(values: number[]): MetricSummary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return {
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    min: Math.min(...values),
    max: Math.max(...values),
    values,
  };
}
