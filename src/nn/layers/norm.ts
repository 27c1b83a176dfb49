// BatchNorm (per channel of (N, C) or (N, C, H, W)) and LayerNorm (over the last axis).
import { ShapeError } from '../../errors.js';
import { ones, zeros } from '../../ops/create.js';
import { batchNorm, layerNorm } from '../../ops/norm.js';
import { formatShape } from '../../tensor/shape.js';
import { applyActivation, checkActivation, type ActivationName } from '../activations.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type LayerConfig, type Shape } from '../module.js';

export interface BatchNormLayerOptions {
  momentum?: number;
  eps?: number;
  channels?: number;
  /** Applied to the output (default 'linear'); 'relu' is fused into batch norm's kernels, one pass each way. */
  activation?: ActivationName;
}

export class BatchNorm extends Module {
  readonly momentum: number;
  readonly eps: number;
  readonly activation: ActivationName;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  runningMean: Tensor | null = null;
  runningVar: Tensor | null = null;

  constructor(options: BatchNormLayerOptions = {}) {
    super();
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    this.activation = checkActivation(options.activation ?? 'linear', 'BatchNorm');
    if (options.channels !== undefined) this.build(options.channels);
  }

  build(channels: number): void {
    if (this.weight) {
      if (this.weight.size !== channels) throw new ShapeError(`BatchNorm: built for ${this.weight.size} channels, got ${channels}`);
      return;
    }
    this.weight = this.addParameter('weight', ones([channels]));
    this.bias = this.addParameter('bias', zeros([channels]));
    this.runningMean = this.addBuffer('runningMean', zeros([channels]));
    this.runningVar = this.addBuffer('runningVar', ones([channels]));
  }

  outputShape(inputShape: Shape): number[] {
    this.build(inputShape[0]);
    return [...inputShape];
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 && x.rank !== 4) throw new ShapeError(`BatchNorm: expects (N, C) or (N, C, H, W), got ${formatShape(x.shape)}`);
    this.build(x.shape[1]);
    const relu = this.activation === 'relu';
    const y = batchNorm(x, this.weight, this.bias, this.runningMean as Tensor, this.runningVar as Tensor, {
      training: this.training, momentum: this.momentum, eps: this.eps, relu,
    });
    return relu ? y : applyActivation(this.activation, y);
  }

  config(): LayerConfig {
    return {
      type: 'BatchNorm', momentum: this.momentum, eps: this.eps, ...(this.activation !== 'linear' ? { activation: this.activation } : {}),
      ...(this.weight ? { channels: this.weight.size } : {}),
    };
  }
}

export class LayerNorm extends Module {
  readonly eps: number;
  weight: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(options: { eps?: number; features?: number } = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    if (options.features !== undefined) this.build(options.features);
  }

  build(features: number): void {
    if (this.weight) {
      if (this.weight.size !== features) throw new ShapeError(`LayerNorm: built for ${this.weight.size} features, got ${features}`);
      return;
    }
    this.weight = this.addParameter('weight', ones([features]));
    this.bias = this.addParameter('bias', zeros([features]));
  }

  outputShape(inputShape: Shape): number[] {
    this.build(inputShape[inputShape.length - 1]);
    return [...inputShape];
  }

  forward(x: Tensor): Tensor {
    this.build(x.shape[x.rank - 1]);
    return layerNorm(x, this.weight, this.bias, this.eps);
  }

  config(): LayerConfig {
    return { type: 'LayerNorm', eps: this.eps, ...(this.weight ? { features: this.weight.size } : {}) };
  }
}
