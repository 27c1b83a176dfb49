// SimCLR-style contrastive pretraining (Chen et al., 2020): two seeded random distortions of each
// image (src/data's Augmenter), backbone features through a small projection head, and the NT-Xent
// loss, which pulls the two views of an image together and pushes the other 2B - 2 apart.
import { Augmenter, type AugmentOptions } from '../data/augment.js';
import { UsageError } from '../errors.js';
import type { Backbone } from '../nn/layers/backbone.js';
import { Dense } from '../nn/layers/dense.js';
import { Sequential } from '../nn/layers/sequential.js';
import { tensor } from '../ops/create.js';
import { add, addScalar, div, mulScalar, sqrt, square } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { crossEntropy } from '../ops/loss.js';
import { reshape, transpose } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { formatShape } from '../tensor/shape.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PretrainBatch, PretrainObjective } from './objectives.js';

export interface ContrastiveOptions {
  /** Softmax temperature of the similarities. Default 0.2. */
  temperature?: number;
  /** Width of the projection the loss is computed on. Default 64. */
  projectionDim?: number;
  /** Hidden width of the projection head. Default: the backbone's feature width. */
  hiddenDim?: number;
  /** Distortions of each view. Default: translate 3, rotate 15, scale 0.15, shear 10, elastic 1. */
  augment?: AugmentOptions;
  /** Seed of the view distortions. Default 0. */
  seed?: number;
}

export const CONTRASTIVE_AUGMENT: Readonly<AugmentOptions> = Object.freeze({ translate: 3, rotate: 15, scale: 0.15, shear: 10, elastic: 1 });

/**
 * NT-Xent over 2B projections where rows i and i + B are the two views of one image:
 * mean over rows of -log softmax(cos(z_i, z_j) / t) at the partner j, self-similarity excluded.
 */
export function ntXent(projections: Tensor, temperature: number): Tensor {
  const rows = projections.shape[0];
  if (projections.rank !== 2 || rows % 2 !== 0 || rows < 4) {
    throw new UsageError(`ntXent: expects (2B, dim) projections with B >= 2, got ${formatShape(projections.shape)}`);
  }
  const half = rows / 2;
  const unit = div(projections, sqrt(addScalar(sum(square(projections), -1, { keepDims: true }), 1e-12))); // (2B, P)
  const similarity = mulScalar(matmul(unit, transpose(unit)), 1 / temperature); // (2B, 2B)
  const selfMask = new Float32Array(rows * rows);
  for (let i = 0; i < rows; i++) selfMask[i * rows + i] = -1e9;
  const logits = add(similarity, tensor(selfMask, { shape: [rows, rows] }));
  const partners = Int32Array.from({ length: rows }, (_, i) => (i < half ? i + half : i - half));
  return crossEntropy(logits, tensor(partners, { dtype: 'int32' }));
}

/**
 * Two distorted copies of single-channel images (flat (B, H*W) square ones too), stacked: (B, 1, H, W)
 * -> (2B, 1, H, W); rows i and i + B are the two views of image i. `objective` names the caller in errors.
 */
export function twoViews(augmenter: Augmenter, batch: Tensor, objective: string): Tensor {
  let images = batch;
  if (images.rank === 2) {
    const side = Math.round(Math.sqrt(images.shape[1]));
    images = reshape(images, [images.shape[0], 1, side, side]);
  }
  if (images.rank !== 4 || images.shape[1] !== 1) throw new UsageError(`${objective}: expects single-channel images (batch, 1, height, width), got ${formatShape(batch.shape)}`);
  const [count, , rows, cols] = images.shape;
  const source = images.data() as Float32Array;
  let background = Infinity; // the darkest value: 0 for [0, 1] pixels, negative once standardised
  for (let i = 0; i < source.length; i++) if (source[i] < background) background = source[i];
  const both = new Float32Array(2 * source.length);
  augmenter.apply(source, both.subarray(0, source.length), count, rows, cols, background);
  augmenter.apply(source, both.subarray(source.length), count, rows, cols, background);
  return tensor(both, { shape: [2 * count, 1, rows, cols], backend: images.backend });
}

export class ContrastiveObjective implements PretrainObjective {
  readonly name = 'contrastive';
  /** Projection head: Dense featureDim -> hidden (ReLU), Dense hidden -> projectionDim. */
  readonly head: Sequential;
  readonly options: Readonly<{ temperature: number; projectionDim: number; hiddenDim: number; augment: AugmentOptions; seed: number }>;
  /** Generator of the view distortions (checkpoint its state to resume exactly). */
  readonly rng: Random;
  private readonly augmenter: Augmenter;

  constructor(backbone: Backbone, options: ContrastiveOptions = {}) {
    const o = { temperature: 0.2, projectionDim: 64, hiddenDim: backbone.featureDim, augment: CONTRASTIVE_AUGMENT, seed: 0, ...options };
    if (!(o.temperature > 0)) throw new UsageError(`contrastive: temperature must be positive, got ${o.temperature}`);
    this.options = Object.freeze(o);
    this.rng = new Random(o.seed);
    this.augmenter = new Augmenter(o.augment, this.rng);
    this.head = new Sequential([
      new Dense({ units: o.hiddenDim, activation: 'relu', inputDim: backbone.featureDim }),
      new Dense({ units: o.projectionDim, inputDim: o.hiddenDim }),
    ]);
  }

  config(): Record<string, unknown> {
    return { objective: 'contrastive', ...this.options };
  }

  /** Two distorted copies of single-channel images, stacked: (B, 1, H, W) -> (2B, 1, H, W). */
  views(images: Tensor): Tensor {
    return twoViews(this.augmenter, images, 'contrastive');
  }

  // images (B, 1, H, W) -> scalar NT-Xent over the 2B views
  loss(backbone: Backbone, batch: PretrainBatch): Tensor {
    const projections = this.head.forward(backbone.features(this.views(batch.images))); // (2B, projectionDim)
    return ntXent(projections, this.options.temperature);
  }
}

