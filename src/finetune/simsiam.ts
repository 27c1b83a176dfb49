// SimSiam (Chen & He, 2021): two augmented views of each image through the backbone, a projector
// (Dense-BN-ReLU, Dense-BN) and a bottleneck predictor (Dense-BN-ReLU, Dense); the loss is the negative
// cosine similarity of each view's prediction with the other view's projection, the projection behind a
// stop-gradient, symmetrised. No negatives and no momentum encoder: the stop-gradient prevents collapse.
import { Augmenter, type AugmentOptions } from '../data/augment.js';
import { UsageError } from '../errors.js';
import type { Backbone } from '../nn/layers/backbone.js';
import { Activation } from '../nn/layers/basic.js';
import { Dense } from '../nn/layers/dense.js';
import { BatchNorm } from '../nn/layers/norm.js';
import { Sequential } from '../nn/layers/sequential.js';
import { addScalar, div, mul, mulScalar, sqrt, square } from '../ops/elementwise.js';
import { concat, detach, slice } from '../ops/movement.js';
import { mean, sum } from '../ops/reduce.js';
import { formatShape } from '../tensor/shape.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { CONTRASTIVE_AUGMENT, twoViews } from './contrastive.js';
import type { PretrainBatch, PretrainObjective } from './objectives.js';

export interface SimSiamOptions {
  /** Width of the projection (and of the predictor's output). Default 128. */
  projectionDim?: number;
  /** Hidden width of the projector. Default: the backbone's feature width, at least 128. */
  hiddenDim?: number;
  /** Bottleneck width of the predictor. Default projectionDim / 4 (the paper's ratio). */
  predictorDim?: number;
  /** Distortions of each view. Default: the contrastive objective's. */
  augment?: AugmentOptions;
  /** Seed of the view distortions. Default 0. */
  seed?: number;
}

/** Rows scaled to unit length: (N, D) -> (N, D). */
function unitRows(x: Tensor): Tensor {
  return div(x, sqrt(addScalar(sum(square(x), -1, { keepDims: true }), 1e-12)));
}

/**
 * The symmetrised SimSiam loss over 2B rows where rows i and i + B are the two views of one image:
 * -mean_i cos(p_i, stopgrad(z_partner(i))), from -1 (aligned) to 1. Predictions and projections are (2B, D).
 */
export function simSiamLoss(predictions: Tensor, projections: Tensor): Tensor {
  const rows = predictions.shape[0];
  if (predictions.rank !== 2 || rows % 2 !== 0 || rows < 2 || projections.shape.join() !== predictions.shape.join()) {
    throw new UsageError(`simsiam loss: expects (2B, dim) predictions and projections of the same shape, got ${formatShape(predictions.shape)} and ${formatShape(projections.shape)}`);
  }
  const half = rows / 2;
  const partners = detach(concat([slice(projections, [half], [half]), slice(projections, [0], [half])])); // (2B, D): view 2's then view 1's
  return mulScalar(mean(sum(mul(unitRows(predictions), unitRows(partners)), -1)), -1);
}

export class SimSiamObjective implements PretrainObjective {
  readonly name = 'simsiam';
  /** Children: 0 the projector, 1 the predictor. */
  readonly head: Sequential;
  readonly projector: Sequential;
  readonly predictor: Sequential;
  readonly options: Readonly<{ projectionDim: number; hiddenDim: number; predictorDim: number; augment: AugmentOptions; seed: number }>;
  /** Generator of the view distortions (checkpoint its state to resume exactly). */
  readonly rng: Random;
  private readonly augmenter: Augmenter;

  constructor(backbone: Backbone, options: SimSiamOptions = {}) {
    const projectionDim = options.projectionDim ?? 128;
    const o = {
      projectionDim, hiddenDim: Math.max(backbone.featureDim, 128), predictorDim: Math.max(1, Math.round(projectionDim / 4)),
      augment: CONTRASTIVE_AUGMENT, seed: 0, ...options,
    };
    for (const key of ['projectionDim', 'hiddenDim', 'predictorDim'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) throw new UsageError(`simsiam: ${key} must be a positive integer, got ${o[key]}`);
    }
    this.options = Object.freeze(o);
    this.rng = new Random(o.seed);
    this.augmenter = new Augmenter(o.augment, this.rng);
    this.projector = new Sequential([
      new Dense({ units: o.hiddenDim, useBias: false, inputDim: backbone.featureDim }), new BatchNorm({ channels: o.hiddenDim }), new Activation('relu'),
      new Dense({ units: o.projectionDim, useBias: false, inputDim: o.hiddenDim }), new BatchNorm({ channels: o.projectionDim }),
    ]);
    this.predictor = new Sequential([
      new Dense({ units: o.predictorDim, useBias: false, inputDim: o.projectionDim }), new BatchNorm({ channels: o.predictorDim }), new Activation('relu'),
      new Dense({ units: o.projectionDim, inputDim: o.predictorDim }),
    ]);
    this.head = new Sequential([this.projector, this.predictor]);
  }

  config(): Record<string, unknown> {
    return { objective: 'simsiam', ...this.options };
  }

  // images (B, 1, H, W) -> scalar in [-1, 1] over the 2B views
  loss(backbone: Backbone, batch: PretrainBatch): Tensor {
    if (batch.images.shape[0] < 2) throw new UsageError('simsiam: needs at least 2 images per batch (batch norm in the heads)');
    const projections = this.projector.forward(backbone.features(twoViews(this.augmenter, batch.images, 'simsiam'))); // (2B, projectionDim)
    return simSiamLoss(this.predictor.forward(projections), projections);
  }
}
