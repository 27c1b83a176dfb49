// The overfitting experiment (`zerograd experiment overfitting`): the seed MLP on a small training
// subset (1,000 images) for many epochs, with no regularization, dropout, weight decay, early
// stopping, augmentation, or all of them; curves, train/test gap and a written conclusion.
import { loadavg } from 'node:os';
import { DEFAULT_AUGMENT } from '../data/augment.js';
import type { Dataset } from '../data/dataset.js';
import { shuffledIndices, subset } from '../data/split.js';
import { UsageError } from '../errors.js';
import { crossValidationSummary, type MetricSummary } from '../metrics/cross-validation.js';
import { preset } from '../models/presets.js';
import type { ModelSpec } from '../models/recipe.js';
import { EarlyStopping } from '../train/callbacks.js';
import type { EpochLogs } from '../train/types.js';
import { scoreModel, trainSpec, type Scores } from './run-spec.js';
import { applyCandidate } from './search-space.js';

/** The regularization methods compared. */
export type OverfitArm = 'none' | 'dropout' | 'weight-decay' | 'early-stopping' | 'augmentation' | 'combined';
export const OVERFIT_ARMS: readonly OverfitArm[] = ['none', 'dropout', 'weight-decay', 'early-stopping', 'augmentation', 'combined'];

/** How strong each method is (the defaults are common textbook values, not tuned on test). */
export interface RegularizationStrengths {
  /** Dropout rate after the hidden layer. */
  dropout: number;
  /** L2 weight decay added to the gradients (Adam). */
  weightDecay: number;
  /** Epochs without a lower validation loss before early stopping (best weights restored). */
  patience: number;
}

export const DEFAULT_STRENGTHS: Readonly<RegularizationStrengths> = { dropout: 0.5, weightDecay: 0.001, patience: 10 };

/** Settings of the overfitting experiment. */
export interface OverfitSettings {
  arms: OverfitArm[];
  seeds: number[];
  trainSize: number;
  validationSize: number;
  epochs: number;
  strengths: RegularizationStrengths;
}

/** One trained model. */
export interface OverfitRun {
  arm: OverfitArm;
  seed: number;
  history: EpochLogs[];
  /** Accuracy on the training subset in inference mode (no dropout, no augmentation), after training. */
  train: Scores;
  test: Scores;
  seconds: number;
  loadavg: number;
}

/** The seed MLP with `arm`'s regularization; also the early-stopping flag. */
export function overfitSpec(arm: OverfitArm, epochs: number, strengths: RegularizationStrengths): { spec: ModelSpec; earlyStopping: boolean } {
  if (!OVERFIT_ARMS.includes(arm)) throw new UsageError(`unknown method '${arm}'; expected ${OVERFIT_ARMS.join(', ')}`);
  let spec = preset('mlp');
  spec.recipe.epochs = epochs;
  const uses = (method: OverfitArm): boolean => arm === method || arm === 'combined';
  if (uses('dropout')) spec = applyCandidate(spec, { dropout: strengths.dropout });
  if (uses('weight-decay')) spec.recipe.weightDecay = strengths.weightDecay;
  if (uses('augmentation')) spec.recipe.augment = { ...DEFAULT_AUGMENT };
  spec.name = `mlp-${arm}`;
  return { spec, earlyStopping: uses('early-stopping') };
}

/** A fixed random training subset and a disjoint validation subset of `train` (data seed 0 for every model seed). */
export function smallSplits(train: Dataset, trainSize: number, validationSize: number): { train: Dataset; validation: Dataset } {
  if (trainSize + validationSize > train.count) {
    throw new UsageError(`--train-size ${trainSize} + --val-size ${validationSize} is more than the ${train.count} training examples`);
  }
  const order = shuffledIndices(train.count, 0);
  return { train: subset(train, order.subarray(0, trainSize)), validation: subset(train, order.subarray(trainSize, trainSize + validationSize)) };
}

/** Trains every method with every seed on the small subset; `onRun` sees each run as it ends. */
export async function runOverfitting(small: { train: Dataset; validation: Dataset }, test: Dataset, settings: OverfitSettings, onRun?: (run: OverfitRun) => void): Promise<OverfitRun[]> {
  const runs: OverfitRun[] = [];
  for (const arm of settings.arms) {
    for (const seed of settings.seeds) {
      const { spec, earlyStopping } = overfitSpec(arm, settings.epochs, settings.strengths);
      const callbacks = earlyStopping ? [new EarlyStopping({ monitor: 'val_loss', patience: settings.strengths.patience, restoreBestWeights: true })] : [];
      const started = performance.now();
      const { model, history } = await trainSpec(spec, small.train, { seed, validationData: small.validation, callbacks, log: () => {} });
      const run: OverfitRun = {
        arm, seed, history: history.history, train: scoreModel(model, small.train), test: scoreModel(model, test),
        seconds: (performance.now() - started) / 1000, loadavg: loadavg()[0],
      };
      runs.push(run);
      onRun?.(run);
    }
  }
  return runs;
}

/** Mean ± std over seeds per method. */
export interface OverfitSummary {
  arm: OverfitArm;
  trainAccuracy: MetricSummary;
  testAccuracy: MetricSummary;
  /** Train accuracy minus test accuracy. */
  gap: MetricSummary;
  testLoss: MetricSummary;
  /** Epoch of the lowest validation loss. */
  bestEpoch: MetricSummary;
  epochsRun: MetricSummary;
  seconds: MetricSummary;
}

function bestValLossEpoch(history: readonly EpochLogs[]): number {
  let best = 0;
  history.forEach((h, i) => { if ((h.val_loss ?? Infinity) < (history[best].val_loss ?? Infinity)) best = i; });
  return history.length === 0 ? 0 : history[best].epoch;
}

/** Summarizes the runs per method (in the order given). */
export function summarizeOverfitting(runs: readonly OverfitRun[], arms: readonly OverfitArm[]): OverfitSummary[] {
  return arms.map((arm) => {
    const { metrics: m } = crossValidationSummary(runs.filter((r) => r.arm === arm).map((r) => ({
      trainAccuracy: r.train.accuracy, testAccuracy: r.test.accuracy, gap: r.train.accuracy - r.test.accuracy, testLoss: r.test.loss,
      bestEpoch: bestValLossEpoch(r.history), epochsRun: r.history.length, seconds: r.seconds,
    })));
    return { arm, trainAccuracy: m.trainAccuracy, testAccuracy: m.testAccuracy, gap: m.gap, testLoss: m.testLoss, bestEpoch: m.bestEpoch, epochsRun: m.epochsRun, seconds: m.seconds };
  });
}

/** A short written answer to "how to prevent overfitting", from the measured numbers. */
export function overfittingConclusion(rows: readonly OverfitSummary[], runs: readonly OverfitRun[], settings: OverfitSettings): string[] {
  const pts = (x: number): string => (100 * x).toFixed(1);
  const lines: string[] = [];
  const none = rows.find((r) => r.arm === 'none');
  const plain = runs.find((r) => r.arm === 'none');
  if (none && plain) {
    const h = plain.history;
    const bestEpoch = bestValLossEpoch(h);
    const last = h[h.length - 1];
    const bestLoss = h[bestEpoch - 1]?.val_loss ?? Number.NaN;
    lines.push(`Without regularization the MLP fits its ${settings.trainSize} training images (${pts(none.trainAccuracy.mean)}% train accuracy) but reaches ${pts(none.testAccuracy.mean)}% on the test set: a gap of ${pts(none.gap.mean)} points. Validation loss is lowest at epoch ${bestEpoch} (${bestLoss.toFixed(3)}) and ends at ${(last.val_loss ?? Number.NaN).toFixed(3)} after ${h.length} epochs while training loss falls to ${last.loss.toFixed(4)}${(last.val_loss ?? 0) > bestLoss * 1.05 ? ' — the signature of overfitting' : ' (no clear overfitting yet; train longer or on fewer images)'}.`);
    for (const r of rows.filter((row) => row.arm !== 'none')) {
      const delta = r.testAccuracy.mean - none.testAccuracy.mean;
      lines.push(`${r.arm}: test ${pts(r.testAccuracy.mean)}% (${delta >= 0 ? '+' : ''}${pts(delta)} points), test loss ${r.testLoss.mean.toFixed(3)} (vs ${none.testLoss.mean.toFixed(3)}), gap ${pts(r.gap.mean)} points${r.arm === 'early-stopping' || r.arm === 'combined' ? `, ${r.epochsRun.mean.toFixed(0)} epochs run on average` : ''}.`);
    }
  }
  const ranked = [...rows].sort((a, b) => b.testAccuracy.mean - a.testAccuracy.mean);
  lines.push(`Ranking by test accuracy: ${ranked.map((r) => `${r.arm} ${pts(r.testAccuracy.mean)}%`).join(' > ')}.`);
  const top = ranked[0];
  const early = rows.find((r) => r.arm === 'early-stopping');
  if (none && top.arm !== 'none') lines.push(`The largest gain here comes from ${top.arm} (+${pts(top.testAccuracy.mean - none.testAccuracy.mean)} points on the test set).`);
  if (none && early) {
    lines.push(`Early stopping ran ${early.epochsRun.mean.toFixed(0)} of ${settings.epochs} epochs and ${early.testLoss.mean < none.testLoss.mean ? 'lowered' : 'did not lower'} the test loss (${early.testLoss.mean.toFixed(3)} vs ${none.testLoss.mean.toFixed(3)}), with test accuracy ${early.testAccuracy.mean >= none.testAccuracy.mean ? 'as good or better' : `${pts(none.testAccuracy.mean - early.testAccuracy.mean)} points lower`}: past the validation-loss minimum the unregularized model grows over-confident (loss rises) while its accuracy still creeps up.`);
  }
  lines.push('What to do: hold out validation data and watch its loss; get more data, or make more of it with augmentation; add dropout or weight decay to narrow the train/test gap and early stopping to save epochs and keep the model calibrated; tune their strengths by validation or cross-validation (zerograd tune), never on the test set.');
  return lines;
}
