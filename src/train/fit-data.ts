// fit()'s data plan: which examples train and which validate (a separate set or a seeded stratified
// split), the seeded shuffling and augmentation generators, and the number of steps per epoch.
import { Augmenter, type AugmentOptions } from '../data/augment.js';
import { batchCount } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { Random as DataRandom } from '../data/rng.js';
import { holdout } from '../data/split.js';
import { UsageError } from '../errors.js';

export interface FitDataOptions {
  validationData?: Dataset | null;
  validationSplit?: number;
  augment?: AugmentOptions | null;
  dropLast?: boolean;
}

export interface FitData {
  trainIndices: Int32Array;
  /** The validation examples: a separate set, or `indices` of the training set. */
  validation: { data: Dataset; indices?: Int32Array } | null;
  shuffleRng: DataRandom;
  augmentRng: DataRandom | null;
  augmenter: Augmenter | null;
  stepsPerEpoch: number;
}

/** The data plan of a fit() over `train`; every generator is seeded from `seed`. */
export function planFitData(train: Dataset, options: FitDataOptions, batchSize: number, seed: number): FitData {
  let trainIndices: Int32Array = Int32Array.from({ length: train.count }, (_, i) => i);
  let validation: FitData['validation'] = options.validationData ? { data: options.validationData } : null;
  if (options.validationSplit !== undefined && options.validationSplit > 0) {
    if (validation) throw new UsageError('fit: pass validationData or validationSplit, not both');
    const split = holdout(train.labels, { validationFraction: options.validationSplit, seed });
    trainIndices = split.train;
    validation = { data: train, indices: split.validation };
  }
  if (trainIndices.length === 0) throw new UsageError(`fit: no training examples in ${train.name}`);
  const shuffleRng = new DataRandom(seed);
  const augmentRng = options.augment ? new DataRandom(seed + 0x9e3779b9) : null;
  const augmenter = options.augment && augmentRng ? new Augmenter(options.augment, augmentRng) : null;
  const stepsPerEpoch = batchCount(trainIndices.length, batchSize, options.dropLast ?? false);
  if (stepsPerEpoch === 0) throw new UsageError(`fit: ${trainIndices.length} examples make no full batch of ${batchSize} with dropLast`);
  return { trainIndices, validation, shuffleRng, augmentRng, augmenter, stepsPerEpoch };
}
