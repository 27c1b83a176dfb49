// Hyper-parameter search: every candidate is scored by stratified k-fold cross-validation on the
// training set (never the test set) and the trials are ranked by mean held-out accuracy.
import type { Dataset } from '../data/dataset.js';
import type { CrossValidationSummary } from '../metrics/cross-validation.js';
import type { ModelSpec } from '../models/recipe.js';
import { crossValidate } from './cross-validate.js';
import { applyCandidate, type Candidate } from './search-space.js';

/** One scored candidate. */
export interface TrialResult {
  /** 1-based, in the order the trials ran. */
  trial: number;
  candidate: Candidate;
  summary: CrossValidationSummary;
  seconds: number;
}

/** Options of `runSearch`. */
export interface SearchOptions {
  candidates: readonly Candidate[];
  folds: number;
  seed: number;
  /** Called after each trial (for a printed line). */
  onTrial?: (result: TrialResult, trials: number) => void;
}

/** Cross-validates `spec` with each candidate applied; resolves to the trials, best first. */
export async function runSearch(spec: ModelSpec, train: Dataset, options: SearchOptions): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const [i, candidate] of options.candidates.entries()) {
    const cv = await crossValidate(applyCandidate(spec, candidate), train, { folds: options.folds, seed: options.seed });
    const result: TrialResult = { trial: i + 1, candidate, summary: cv.summary, seconds: cv.seconds };
    results.push(result);
    options.onTrial?.(result, options.candidates.length);
  }
  return rankTrials(results);
}

/** Trials sorted by mean accuracy (higher first), then mean loss (lower first), then trial number. */
export function rankTrials(results: readonly TrialResult[]): TrialResult[] {
  const mean = (r: TrialResult, metric: string): number => r.summary.metrics[metric].mean;
  return [...results].sort((a, b) => mean(b, 'accuracy') - mean(a, 'accuracy') || mean(a, 'loss') - mean(b, 'loss') || a.trial - b.trial);
}

/**
 * The best trial's spec, named `<name>-tuned`, with a description of where it came from;
 * `epochs` (default: the spec's) replaces a shorter budget the search may have scored with.
 */
export function bestSpec(spec: ModelSpec, best: TrialResult, folds: number, epochs = spec.recipe.epochs): ModelSpec {
  const tuned = applyCandidate(spec, best.candidate);
  const accuracy = best.summary.metrics.accuracy;
  tuned.name = `${spec.name}-tuned`;
  tuned.description = `${spec.name} tuned by zerograd tune: ${folds}-fold CV accuracy ${accuracy.mean.toFixed(4)} ± ${accuracy.std.toFixed(4)} with ${spec.recipe.epochs} epoch${spec.recipe.epochs === 1 ? '' : 's'} per fold (trial ${best.trial})`;
  tuned.recipe.epochs = epochs;
  return tuned;
}
