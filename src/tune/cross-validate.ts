// Stratified k-fold cross-validation of a model spec on a training set: each fold trains a fresh
// model on k-1 folds and scores the held-out fold; the summary is mean ± std per metric.
import type { Dataset } from '../data/dataset.js';
import { stratifiedKFold, subset } from '../data/split.js';
import { crossValidationSummary, type CrossValidationSummary } from '../metrics/cross-validation.js';
import type { ModelSpec } from '../models/recipe.js';
import type { ProgressMode } from '../train/progress.js';
import { scoreModel, trainSpec, type Scores } from './run-spec.js';

/** Options of `crossValidate`. */
export interface CrossValidationOptions {
  folds: number;
  /** Seeds the fold assignment and every fold's weights and shuffling (default 0). */
  seed?: number;
  progress?: ProgressMode;
  /** Called after each fold with its scores (for one printed line per fold). */
  onFold?: (fold: FoldResult, folds: number) => void;
  log?: (line: string) => void;
}

/** One fold's held-out scores. */
export interface FoldResult extends Scores {
  /** 1-based fold number. */
  fold: number;
  trainCount: number;
  validationCount: number;
  epochs: number;
  seconds: number;
}

/** What `crossValidate` returns. */
export interface CrossValidationResult {
  folds: FoldResult[];
  /** accuracy, loss and macro_f1 as mean ± sample std over folds. */
  summary: CrossValidationSummary;
  seconds: number;
}

/** Runs stratified k-fold cross-validation of `spec` on `train` (never touches a test split). */
export async function crossValidate(spec: ModelSpec, train: Dataset, options: CrossValidationOptions): Promise<CrossValidationResult> {
  const seed = options.seed ?? 0;
  const splits = stratifiedKFold(train.labels, options.folds, seed);
  const started = performance.now();
  const folds: FoldResult[] = [];
  for (const [f, split] of splits.entries()) {
    const foldStarted = performance.now();
    const { model, history } = await trainSpec(spec, subset(train, split.train), { seed, progress: options.progress ?? 'none', log: options.log });
    const scores = scoreModel(model, train, split.validation);
    const fold: FoldResult = {
      fold: f + 1, ...scores, trainCount: split.train.length, validationCount: split.validation.length,
      epochs: history.history.length, seconds: (performance.now() - foldStarted) / 1000,
    };
    folds.push(fold);
    options.onFold?.(fold, splits.length);
  }
  const summary = crossValidationSummary(folds.map(({ accuracy, loss, macro_f1 }) => ({ accuracy, loss, macro_f1 })));
  return { folds, summary, seconds: (performance.now() - started) / 1000 };
}

/** `0.9712 ± 0.0021` style text of a metric's mean and std. */
export function meanStd(summary: CrossValidationSummary, metric: string, digits = 4): string {
  const m = summary.metrics[metric];
  return `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;
}
