// One model spec trained and scored: the step that cross-validation, search and the experiments
// repeat. Builds the spec's model with a seeded init, runs fit() with its recipe, scores a split.
import type { Dataset } from '../data/dataset.js';
import { classificationReport } from '../metrics/classification.js';
import { buildModel } from '../models/build.js';
import { createOptimizer, type ModelSpec } from '../models/recipe.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { manualSeed } from '../tensor/engine.js';
import { evaluate } from '../train/evaluate.js';
import { fit, type History } from '../train/fit.js';
import type { ProgressMode } from '../train/progress.js';
import type { Callback } from '../train/types.js';

/** Options of `trainSpec`. */
export interface TrainSpecOptions {
  /** Seeds the weights (manualSeed), shuffling, augmentation and validation split. */
  seed: number;
  /** Per-epoch validation data (e.g. a held-out fold); overrides the recipe's validationSplit. */
  validationData?: Dataset | null;
  callbacks?: Callback[];
  progress?: ProgressMode;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** A trained model and its history. */
export interface SpecRun {
  model: Sequential;
  history: History;
}

/** Builds `spec`'s model (weights seeded by `seed`) and trains it on `train` with the spec's recipe. */
export async function trainSpec(spec: ModelSpec, train: Dataset, options: TrainSpecOptions): Promise<SpecRun> {
  const { recipe } = spec;
  manualSeed(options.seed);
  const model = buildModel(spec.architecture, `model ${spec.name}`);
  const optimizer = createOptimizer(recipe, model.parameters());
  const history = await fit(model, train, {
    epochs: recipe.epochs, batchSize: recipe.batchSize, optimizer, seed: options.seed,
    ...(options.validationData ? { validationData: options.validationData } : { validationSplit: recipe.validationSplit }),
    augment: recipe.augment ?? null, schedule: recipe.schedule, clipNorm: recipe.clipNorm,
    callbacks: options.callbacks ?? [], progress: options.progress ?? 'none', log: options.log, signal: options.signal,
  });
  return { model, history };
}

/** The scalar scores of a model on a split: what folds and trials are compared by. */
export interface Scores {
  accuracy: number;
  loss: number;
  macro_f1: number;
}

/** Accuracy, mean cross-entropy and macro F1 of `model` on `data` (or the examples at `indices`). */
export function scoreModel(model: Sequential, data: Dataset, indices?: Int32Array): Scores {
  const result = evaluate(model, data, { batchSize: 256, ...(indices ? { indices } : {}) });
  const report = classificationReport(result.labels, result.predictions, data.classNames.length);
  return { accuracy: result.accuracy, loss: result.loss, macro_f1: report.macro.f1 };
}
