// The head strategy's training: the linear probe's recipe (probe.ts) on the frozen features of the
// labeled images (standardized with their own mean and std, Adam, L2, full passes), the standardization
// then folded into the Dense head's weights and bias, so that the saved model stays a plain classifier.
import type { Dataset } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import type { Backbone } from '../nn/layers/backbone.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { History } from '../train/fit.js';
import { extractFeatures, fitLinearClassifier, foldStandardization } from './probe.js';

export interface LinearHeadRecipe {
  /** Adam steps. */
  steps: number;
  /** Peak learning rate (cosine decay to 0). */
  lr: number;
  /** L2 penalty on the head's weights (of the standardized features). */
  weightDecay: number;
  batchSize: number;
  /** Order of the batches. */
  seed: number;
}

/** The head recipe's defaults (lr and L2 chosen on the epoch-4 resnet-small SimCLR backbone; docs/finetune.md). */
export const LINEAR_HEAD_DEFAULTS = Object.freeze({ steps: 300, lr: 0.01, weightDecay: 0.03 });

/**
 * Fits `backbone.head` (a Dense of featureDim -> classes) on the frozen features of `train` and
 * writes the folded weights into it; returns a History with one entry per pass over `train`.
 * `inputLayers` run before the backbone (an imported model's input adaptation), in inference mode.
 */
export function fitLinearHead(backbone: Backbone, train: Dataset, recipe: LinearHeadRecipe, inputLayers: readonly Module[] = []): History {
  const started = performance.now();
  const classes = backbone.head.units;
  if (train.classNames.length > classes) throw new UsageError(`head: the data has ${train.classNames.length} classes but the head ${classes} outputs`);
  const adapt = inputLayers.length === 0 ? undefined : (x: Tensor) => inputLayers.reduce((h, layer) => layer.forward(h), x);
  const modes = inputLayers.flatMap((layer) => layer.namedModules().map(([, m]) => [m, m.training] as const));
  for (const layer of inputLayers) layer.eval();
  let features;
  try {
    features = extractFeatures(backbone, train, 250, adapt); // (count, featureDim), inference mode, no gradients
  } finally {
    for (const [module, training] of modes) module.training = training;
  }
  const classifier = fitLinearClassifier(features, { classes, steps: recipe.steps, lr: recipe.lr, weightDecay: recipe.weightDecay, batchSize: recipe.batchSize, seed: recipe.seed });
  const { weight, bias } = foldStandardization(classifier);
  backbone.head.loadStateDict(new Map([
    ['weight', tensor(Float32Array.from(weight), { shape: [features.dim, classes] })],
    ['bias', tensor(Float32Array.from(bias), { shape: [classes] })],
  ]));
  const seconds = (performance.now() - started) / 1000;
  const lrAt = (step: number) => 0.5 * recipe.lr * (1 + Math.cos((Math.PI * step) / classifier.steps));
  const stepsPerEpoch = Math.ceil(train.count / Math.min(recipe.batchSize, train.count));
  const history = classifier.epochs.map((e, i) => ({
    epoch: i + 1, loss: e.loss, accuracy: e.accuracy, seconds: seconds / classifier.epochs.length,
    lr: lrAt(Math.min(classifier.steps, (i + 1) * stepsPerEpoch) - 1), // the pass's last step
  }));
  return { history, stopReason: 'completed', samplesPerSecond: (classifier.steps * Math.min(recipe.batchSize, train.count)) / seconds, globalStep: classifier.steps };
}
