// BYOL (Grill et al., 2020): an online network (backbone, projector, predictor) predicts a target
// network's projection of the other augmented view; the target (a copy of backbone and projector)
// gets no gradient and follows the online weights by an exponential moving average after every step,
// with momentum rising from `momentum` to 1 on a cosine. The target lives in the objective's head,
// so checkpoints hold it and a resumed run continues exactly.
import { Augmenter, type AugmentOptions } from '../data/augment.js';
import { UsageError } from '../errors.js';
import { Backbone } from '../nn/layers/backbone.js';
import { Activation } from '../nn/layers/basic.js';
import { Dense } from '../nn/layers/dense.js';
import { BatchNorm } from '../nn/layers/norm.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { layerFromConfig } from '../nn/registry.js';
import { add, addScalar, mulScalar } from '../ops/elementwise.js';
import { assign } from '../ops/movement.js';
import { noGrad, scope } from '../tensor/engine.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { CONTRASTIVE_AUGMENT, twoViews } from './contrastive.js';
import type { PretrainBatch, PretrainObjective } from './objectives.js';
import { simSiamLoss } from './simsiam.js';

export interface ByolOptions {
  /** Width of the projection (and of the predictor's output). Default 128. */
  projectionDim?: number;
  /** Hidden width of the projector and the predictor. Default: the backbone's feature width, at least 256. */
  hiddenDim?: number;
  /** Starting EMA momentum of the target, in [0, 1); it rises to 1 on a cosine over the run. Default 0.99. */
  momentum?: number;
  /** Distortions of each view. Default: the contrastive objective's. */
  augment?: AugmentOptions;
  /** Seed of the view distortions. Default 0. */
  seed?: number;
}

/** Dense-BN-ReLU-Dense: (N, inputs) -> (N, outputs). */
function mlp(inputs: number, hidden: number, outputs: number): Sequential {
  return new Sequential([
    new Dense({ units: hidden, inputDim: inputs }), new BatchNorm({ channels: hidden }), new Activation('relu'),
    new Dense({ units: outputs, inputDim: hidden }),
  ]);
}

/** A fresh module with `source`'s architecture and tensors. */
function copyOf<T extends Module>(source: T): T {
  const copy = layerFromConfig(source.config()) as T;
  copy.loadStateDict(source.stateDict());
  return copy;
}

export class ByolObjective implements PretrainObjective {
  readonly name = 'byol';
  /** Children: 0 projector, 1 predictor, 2 target (0 target backbone, 1 target projector). */
  readonly head: Sequential;
  readonly projector: Sequential;
  readonly predictor: Sequential;
  readonly targetBackbone: Backbone;
  readonly targetProjector: Sequential;
  readonly options: Readonly<{ projectionDim: number; hiddenDim: number; momentum: number; augment: AugmentOptions; seed: number }>;
  /** Generator of the view distortions (checkpoint its state to resume exactly). */
  readonly rng: Random;
  private readonly augmenter: Augmenter;
  private readonly online: Backbone;

  constructor(backbone: Backbone, options: ByolOptions = {}) {
    const o = { projectionDim: 128, hiddenDim: Math.max(backbone.featureDim, 256), momentum: 0.99, augment: CONTRASTIVE_AUGMENT, seed: 0, ...options };
    for (const key of ['projectionDim', 'hiddenDim'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) throw new UsageError(`byol: ${key} must be a positive integer, got ${o[key]}`);
    }
    if (!(o.momentum >= 0 && o.momentum < 1)) throw new UsageError(`byol: momentum must be in [0, 1), got ${o.momentum}`);
    this.options = Object.freeze(o);
    this.rng = new Random(o.seed);
    this.augmenter = new Augmenter(o.augment, this.rng);
    this.online = backbone;
    this.projector = mlp(backbone.featureDim, o.hiddenDim, o.projectionDim);
    this.predictor = mlp(o.projectionDim, o.hiddenDim, o.projectionDim);
    const targetBackbone = copyOf(backbone);
    if (!(targetBackbone instanceof Backbone)) throw new UsageError(`byol: cannot copy the backbone ${backbone.constructor.name} from its config`);
    this.targetBackbone = targetBackbone;
    this.targetProjector = copyOf(this.projector);
    const target = new Sequential([this.targetBackbone, this.targetProjector]);
    target.freeze();
    this.head = new Sequential([this.projector, this.predictor, target]);
  }

  config(): Record<string, unknown> {
    return { objective: 'byol', ...this.options };
  }

  // images (B, 1, H, W) -> scalar in [0, 4]: mean over the 2B views of 2 - 2 cos(prediction, target projection of the other view)
  loss(backbone: Backbone, batch: PretrainBatch): Tensor {
    if (backbone !== this.online) throw new UsageError('byol: the loss must be computed for the backbone the objective was built for (its target copies it)');
    if (batch.images.shape[0] < 2) throw new UsageError('byol: needs at least 2 images per batch (batch norm in the heads)');
    const views = twoViews(this.augmenter, batch.images, 'byol'); // (2B, 1, H, W)
    const predictions = this.predictor.forward(this.projector.forward(backbone.features(views))); // (2B, P)
    const targets = noGrad(() => this.targetProjector.forward(this.targetBackbone.features(views))); // (2B, P), no gradient
    return addScalar(mulScalar(simSiamLoss(predictions, targets), 2), 2);
  }

  /** The target's momentum after `step` of `totalSteps` steps: momentum at the start, 1 at the end. */
  momentumAt(step: number, totalSteps: number): number {
    const progress = totalSteps > 0 ? Math.min(1, step / totalSteps) : 1;
    return 1 - ((1 - this.options.momentum) * (Math.cos(Math.PI * progress) + 1)) / 2;
  }

  /** target <- m target + (1 - m) online for the backbone's and the projector's parameters, after step `step`. */
  afterStep(step: number, totalSteps: number): void {
    const m = this.momentumAt(step, totalSteps);
    const pairs: [Module, Module][] = [[this.online, this.targetBackbone], [this.projector, this.targetProjector]];
    scope(() => noGrad(() => {
      for (const [online, target] of pairs) {
        const onlineParams = online.parameters();
        target.parameters().forEach((t, i) => assign(t, add(mulScalar(t, m), mulScalar(onlineParams[i], 1 - m))));
      }
    }));
  }
}
