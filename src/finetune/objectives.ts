// Pretraining objectives as (backbone, batch) -> scalar loss, for use inside a training step:
// supervised classification, MAE masked-patch reconstruction (mae.ts), SimCLR's NT-Xent
// contrastive loss on two augmented views (contrastive.ts), SimSiam's stop-gradient prediction
// loss on two views (simsiam.ts) and BYOL's prediction of a moving-average target (byol.ts).
// createObjective picks one by name.
import { UsageError } from '../errors.js';
import type { Backbone } from '../nn/layers/backbone.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { formatShape } from '../tensor/shape.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { ByolObjective, type ByolOptions } from './byol.js';
import { ContrastiveObjective, type ContrastiveOptions } from './contrastive.js';
import { MaeObjective, type MaeOptions } from './mae.js';
import { SimSiamObjective, type SimSiamOptions } from './simsiam.js';

export type ObjectiveName = 'mae' | 'contrastive' | 'supervised' | 'simsiam' | 'byol';
export const OBJECTIVES: readonly ObjectiveName[] = ['mae', 'contrastive', 'supervised', 'simsiam', 'byol'];

export interface PretrainBatch {
  /** (B, C, H, W) images (or flat (B, C*H*W)). */
  images: Tensor;
  /** (B) int32 class indices; only the supervised objective needs them. */
  labels?: Tensor;
}

export interface PretrainObjective {
  readonly name: ObjectiveName;
  /**
   * The objective's own trainable module (MAE decoder, contrastive projection head) or null.
   * Optimise its parameters with the backbone's and checkpoint its state dict to resume.
   */
  readonly head: Module | null;
  /** The objective's own random generator (masks, views), if any: checkpoint its state to resume exactly. */
  readonly rng?: Random;
  /** The objective's options as JSON (for run records). */
  config(): Record<string, unknown>;
  /** Scalar loss for one batch, differentiable with respect to the backbone's and head's parameters. */
  loss(backbone: Backbone, batch: PretrainBatch): Tensor;
  /** Runs after each optimizer step (`step` of `totalSteps`, 1-based), e.g. BYOL's moving-average target update. */
  afterStep?(step: number, totalSteps: number): void;
}

/** Plain classification with the backbone's own head (e.g. pretraining on Fashion-MNIST). */
export class SupervisedObjective implements PretrainObjective {
  readonly name = 'supervised';
  readonly head = null;

  config(): Record<string, unknown> {
    return { objective: 'supervised' };
  }

  // images (B, C, H, W), labels (B) -> scalar
  loss(backbone: Backbone, batch: PretrainBatch): Tensor {
    if (!batch.labels) throw new UsageError('supervised objective: the batch has no labels');
    if (batch.labels.dtype !== 'int32' || batch.labels.rank !== 1 || batch.labels.shape[0] !== batch.images.shape[0]) {
      throw new UsageError(`supervised objective: labels must be (${batch.images.shape[0]}) int32 class indices, got ${batch.labels.dtype} ${formatShape(batch.labels.shape)}`);
    }
    return crossEntropy(backbone.forward(batch.images), batch.labels);
  }
}

export interface ObjectiveOptions {
  mae?: MaeOptions;
  contrastive?: ContrastiveOptions;
  simsiam?: SimSiamOptions;
  byol?: ByolOptions;
}

/** The objective called `name`, with its head sized for `backbone`. */
export function createObjective(name: ObjectiveName, backbone: Backbone, options: ObjectiveOptions = {}): PretrainObjective {
  switch (name) {
    case 'mae': return new MaeObjective(backbone, options.mae);
    case 'contrastive': return new ContrastiveObjective(backbone, options.contrastive);
    case 'simsiam': return new SimSiamObjective(backbone, options.simsiam);
    case 'byol': return new ByolObjective(backbone, options.byol);
    case 'supervised': return new SupervisedObjective();
    default: throw new UsageError(`unknown pretraining objective '${String(name)}'; expected one of ${OBJECTIVES.join(', ')}`);
  }
}
