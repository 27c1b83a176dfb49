// Residual CNN backbone: a 3x3 stem, stages of basic residual blocks (conv-BN-ReLU-conv-BN plus a
// shortcut, 1x1 conv + BN when the shape changes), global average pooling and a linear head.
import { ShapeError } from '../../errors.js';
import { add, relu } from '../../ops/elementwise.js';
import { reshape } from '../../ops/movement.js';
import { mean } from '../../ops/reduce.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type LayerConfig, type Shape } from '../module.js';
import { childNamed } from './attention.js';
import { Backbone } from './backbone.js';
import { Conv2D } from './conv.js';
import { Dense } from './dense.js';
import { BatchNorm } from './norm.js';
import { Sequential } from './sequential.js';

export interface ResidualBlockOptions {
  inChannels: number;
  outChannels: number;
  /** Stride of the first conv (2 halves the resolution). Default 1. */
  stride?: number;
}

/** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)): (B, Cin, H, W) -> (B, Cout, H/stride, W/stride). */
export class ResidualBlock extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;

  constructor(options: ResidualBlockOptions) {
    super();
    const { inChannels, outChannels } = options;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.stride = options.stride ?? 1;
    const conv = (name: string, inC: number, kernelSize: number, stride: number) =>
      this.addChild(name, new Conv2D({ filters: outChannels, kernelSize, stride, padding: kernelSize === 3 ? 1 : 0, useBias: false, inChannels: inC, kernelInitializer: 'heNormal' }));
    conv('conv1', inChannels, 3, this.stride);
    this.addChild('bn1', new BatchNorm({ channels: outChannels }));
    conv('conv2', outChannels, 3, 1);
    this.addChild('bn2', new BatchNorm({ channels: outChannels }));
    if (this.hasProjection) {
      conv('shortcutConv', inChannels, 1, this.stride);
      this.addChild('shortcutBn', new BatchNorm({ channels: outChannels }));
    }
  }

  get hasProjection(): boolean {
    return this.stride !== 1 || this.inChannels !== this.outChannels;
  }

  forward(x: Tensor): Tensor {
    const at = (name: string, t: Tensor) => childNamed(this, name).forward(t);
    const h = at('bn2', at('conv2', relu(at('bn1', at('conv1', x)))));
    const shortcut = this.hasProjection ? at('shortcutBn', at('shortcutConv', x)) : x;
    return relu(add(h, shortcut));
  }

  outputShape(inputShape: Shape): number[] {
    const side = (n: number) => Math.floor((n - 1) / this.stride) + 1;
    return [this.outChannels, side(inputShape[1]), side(inputShape[2])];
  }

  config(): LayerConfig {
    return { type: 'ResidualBlock', inChannels: this.inChannels, outChannels: this.outChannels, stride: this.stride };
  }
}

// ---------------------------------------------------------------------------------------------

export interface ResNetOptions {
  /** Input channels. Default 1. */
  channels?: number;
  /** Square input side (only checked). Default 28. */
  imageSize?: number;
  /** Channels of each stage; every stage after the first halves the resolution. Default [32, 64, 128]. */
  widths?: number[];
  /** Residual blocks per stage. Default 2. */
  blocksPerStage?: number;
  /** Outputs of the classification head. Default 10. */
  numClasses?: number;
}

export const RESNET_DEFAULTS: Readonly<Required<ResNetOptions>> = Object.freeze({
  channels: 1, imageSize: 28, widths: [32, 64, 128], blocksPerStage: 2, numClasses: 10,
});

/** Children: stem, stemBn, stages.{i}.{j} (ResidualBlock), head. (B, C, H, W) -> features (B, widths[-1]). */
export class ResNet extends Backbone {
  readonly options: Readonly<Required<ResNetOptions>>;
  readonly featureDim: number;
  head: Dense;

  constructor(options: ResNetOptions = {}) {
    super();
    const o = { ...RESNET_DEFAULTS, ...options, widths: [...(options.widths ?? RESNET_DEFAULTS.widths)] };
    if (o.widths.length === 0 || o.widths.some((w) => !Number.isInteger(w) || w < 1)) throw new ShapeError(`ResNet: widths must be positive integers, got ${JSON.stringify(o.widths)}`);
    if (!Number.isInteger(o.blocksPerStage) || o.blocksPerStage < 1) throw new ShapeError(`ResNet: blocksPerStage must be a positive integer, got ${o.blocksPerStage}`);
    this.options = Object.freeze(o);
    this.featureDim = o.widths[o.widths.length - 1];
    this.addChild('stem', new Conv2D({ filters: o.widths[0], kernelSize: 3, padding: 1, useBias: false, inChannels: o.channels, kernelInitializer: 'heNormal' }));
    this.addChild('stemBn', new BatchNorm({ channels: o.widths[0] }));
    let inChannels = o.widths[0];
    const stages = o.widths.map((width, i) => new Sequential(Array.from({ length: o.blocksPerStage }, (_, j) => {
      const block = new ResidualBlock({ inChannels, outChannels: width, stride: i > 0 && j === 0 ? 2 : 1 });
      inChannels = width;
      return block;
    })));
    this.addChild('stages', new Sequential(stages));
    this.head = this.addChild('head', new Dense({ units: o.numClasses, inputDim: this.featureDim }));
  }

  // (B, C, H, W) -> (B, widths[-1])
  features(x: Tensor): Tensor {
    const { channels, imageSize } = this.options;
    let images = x;
    if (x.rank === 2 && x.shape[1] === channels * imageSize * imageSize) images = reshape(x, [x.shape[0], channels, imageSize, imageSize]);
    if (images.rank !== 4 || images.shape[1] !== channels) throw new ShapeError(`ResNet: expects images (batch, ${channels}, height, width), got ${formatShape(x.shape)}`);
    const h = relu(childNamed(this, 'stemBn').forward(childNamed(this, 'stem').forward(images))); // (B, w0, H, W)
    return mean(childNamed(this, 'stages').forward(h), [2, 3]); // (B, wLast, H', W') -> (B, wLast)
  }

  config(): LayerConfig {
    return { type: 'ResNet', ...this.options, widths: [...this.options.widths], numClasses: this.numClasses };
  }
}
