// Residual CNN backbone: a stem (3x3 conv, or torchvision's 7x7/2 conv plus 3x3/2 max pool), stages of basic
// (conv-BN-ReLU-conv-BN) or bottleneck (1x1, 3x3, 1x1) residual blocks with a shortcut (1x1 conv + BN when the
// shape changes), global average pooling and a linear head. The 'imagenet' layout is torchvision 0.14's ResNet.
import { ShapeError } from '../../errors.js';
import { add, relu } from '../../ops/elementwise.js';
import { reshape } from '../../ops/movement.js';
import { mean } from '../../ops/reduce.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type LayerConfig, type Shape } from '../module.js';
import { childNamed } from './attention.js';
import { Backbone } from './backbone.js';
import { Conv2D, MaxPool2D } from './conv.js';
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
    this.addChild('bn1', new BatchNorm({ channels: outChannels, activation: 'relu' })); // the ReLU fused into batch norm's kernels
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
    const h = at('bn2', at('conv2', at('bn1', at('conv1', x)))); // bn1 applies the ReLU
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

export interface BottleneckBlockOptions {
  inChannels: number;
  /** Channels of the 1x1 and 3x3 convs; the block outputs 4 * width. */
  width: number;
  /** Stride of the 3x3 conv (as torchvision puts it: "ResNet v1.5"). Default 1. */
  stride?: number;
}

/**
 * relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)) with 1x1, 3x3 (strided), 1x1 convs:
 * (B, Cin, H, W) -> (B, 4 * width, H/stride, W/stride). Children as torchvision's Bottleneck, shortcut as ResidualBlock's.
 */
export class BottleneckBlock extends Module {
  static readonly expansion = 4;
  readonly inChannels: number;
  readonly width: number;
  readonly outChannels: number;
  readonly stride: number;

  constructor(options: BottleneckBlockOptions) {
    super();
    const { inChannels, width } = options;
    this.inChannels = inChannels;
    this.width = width;
    this.outChannels = width * BottleneckBlock.expansion;
    this.stride = options.stride ?? 1;
    const conv = (name: string, inC: number, outC: number, kernelSize: number, stride: number) =>
      this.addChild(name, new Conv2D({ filters: outC, kernelSize, stride, padding: kernelSize === 3 ? 1 : 0, useBias: false, inChannels: inC, kernelInitializer: 'heNormal' }));
    conv('conv1', inChannels, width, 1, 1);
    this.addChild('bn1', new BatchNorm({ channels: width, activation: 'relu' })); // ReLUs fused into batch norm's kernels
    conv('conv2', width, width, 3, this.stride);
    this.addChild('bn2', new BatchNorm({ channels: width, activation: 'relu' }));
    conv('conv3', width, this.outChannels, 1, 1);
    this.addChild('bn3', new BatchNorm({ channels: this.outChannels }));
    if (this.hasProjection) {
      conv('shortcutConv', inChannels, this.outChannels, 1, this.stride);
      this.addChild('shortcutBn', new BatchNorm({ channels: this.outChannels }));
    }
  }

  get hasProjection(): boolean {
    return this.stride !== 1 || this.inChannels !== this.outChannels;
  }

  forward(x: Tensor): Tensor {
    const at = (name: string, t: Tensor) => childNamed(this, name).forward(t);
    const h1 = at('bn1', at('conv1', x)); // (B, width, H, W), after bn1's ReLU
    const h2 = at('bn2', at('conv2', h1)); // (B, width, H/stride, W/stride), after bn2's ReLU
    const h = at('bn3', at('conv3', h2)); // (B, 4 * width, H/stride, W/stride)
    const shortcut = this.hasProjection ? at('shortcutBn', at('shortcutConv', x)) : x;
    return relu(add(h, shortcut));
  }

  outputShape(inputShape: Shape): number[] {
    const side = (n: number) => Math.floor((n - 1) / this.stride) + 1;
    return [this.outChannels, side(inputShape[1]), side(inputShape[2])];
  }

  config(): LayerConfig {
    return { type: 'BottleneckBlock', inChannels: this.inChannels, width: this.width, stride: this.stride };
  }
}

// ---------------------------------------------------------------------------------------------

export interface ResNetOptions {
  /** Input channels. Default 1. */
  channels?: number;
  /** Square input side (only checked). Default 28. */
  imageSize?: number;
  /** Channels of each stage (a bottleneck stage outputs 4x); every stage after the first halves the resolution. Default [32, 64, 128]. */
  widths?: number[];
  /** Residual blocks per stage: one count for all, or one per stage (resnet50: [3, 4, 6, 3]). Default 2. */
  blocksPerStage?: number | number[];
  /** Outputs of the classification head. Default 10. */
  numClasses?: number;
  /** 'cifar': 3x3 conv, stride 1; 'imagenet': 7x7 conv, stride 2, then 3x3 max pool, stride 2 (torchvision). Default 'cifar'. */
  stem?: 'cifar' | 'imagenet';
  /** 'basic' (two 3x3 convs) or 'bottleneck' (1x1, 3x3, 1x1, 4x wider out). Default 'basic'. */
  block?: 'basic' | 'bottleneck';
}

export const RESNET_DEFAULTS: Readonly<Required<ResNetOptions>> = Object.freeze({
  channels: 1, imageSize: 28, widths: [32, 64, 128], blocksPerStage: 2, numClasses: 10, stem: 'cifar', block: 'basic',
});

/** Blocks in each stage of `options` (a single count repeated, or the list itself). */
export function stageDepths(options: Readonly<Required<ResNetOptions>>): number[] {
  const { widths, blocksPerStage } = options;
  return Array.isArray(blocksPerStage) ? [...blocksPerStage] : widths.map(() => blocksPerStage);
}

/**
 * Children: stem, stemBn, stemPool (imagenet stem only), stages.{i}.{j} (ResidualBlock or BottleneckBlock), head.
 * (B, C, H, W) -> features (B, widths[-1], or 4x with bottlenecks).
 */
export class ResNet extends Backbone {
  readonly options: Readonly<Required<ResNetOptions>>;
  readonly featureDim: number;
  head: Dense;

  constructor(options: ResNetOptions = {}) {
    super();
    const o = { ...RESNET_DEFAULTS, ...options, widths: [...(options.widths ?? RESNET_DEFAULTS.widths)] };
    if (o.widths.length === 0 || o.widths.some((w) => !Number.isInteger(w) || w < 1)) throw new ShapeError(`ResNet: widths must be positive integers, got ${JSON.stringify(o.widths)}`);
    const depths = stageDepths(o);
    if (depths.length !== o.widths.length || depths.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new ShapeError(`ResNet: blocksPerStage must be a positive integer or one per stage (${o.widths.length}), got ${JSON.stringify(o.blocksPerStage)}`);
    }
    if (o.stem !== 'cifar' && o.stem !== 'imagenet') throw new ShapeError(`ResNet: stem must be 'cifar' or 'imagenet', got ${JSON.stringify(o.stem)}`);
    if (o.block !== 'basic' && o.block !== 'bottleneck') throw new ShapeError(`ResNet: block must be 'basic' or 'bottleneck', got ${JSON.stringify(o.block)}`);
    if (Array.isArray(o.blocksPerStage)) o.blocksPerStage = [...o.blocksPerStage];
    this.options = Object.freeze(o);
    const imagenet = o.stem === 'imagenet';
    const stemKernel = imagenet ? 7 : 3;
    this.addChild('stem', new Conv2D({ filters: o.widths[0], kernelSize: stemKernel, stride: imagenet ? 2 : 1, padding: (stemKernel - 1) / 2, useBias: false, inChannels: o.channels, kernelInitializer: 'heNormal' }));
    this.addChild('stemBn', new BatchNorm({ channels: o.widths[0], activation: 'relu' })); // the stem's ReLU, fused
    if (imagenet) this.addChild('stemPool', new MaxPool2D({ poolSize: 3, stride: 2, padding: 1 }));
    let inChannels = o.widths[0];
    const stages = o.widths.map((width, i) => new Sequential(Array.from({ length: depths[i] }, (_, j) => {
      const stride = i > 0 && j === 0 ? 2 : 1;
      const block = o.block === 'bottleneck' ? new BottleneckBlock({ inChannels, width, stride }) : new ResidualBlock({ inChannels, outChannels: width, stride });
      inChannels = block.outChannels;
      return block;
    })));
    this.featureDim = inChannels;
    this.addChild('stages', new Sequential(stages));
    this.head = this.addChild('head', new Dense({ units: o.numClasses, inputDim: this.featureDim }));
  }

  // (B, C, H, W) -> (B, widths[-1])
  features(x: Tensor): Tensor {
    const { channels, imageSize } = this.options;
    let images = x;
    if (x.rank === 2 && x.shape[1] === channels * imageSize * imageSize) images = reshape(x, [x.shape[0], channels, imageSize, imageSize]);
    if (images.rank !== 4 || images.shape[1] !== channels) throw new ShapeError(`ResNet: expects images (batch, ${channels}, height, width), got ${formatShape(x.shape)}`);
    let h = childNamed(this, 'stemBn').forward(childNamed(this, 'stem').forward(images)); // (B, w0, H, W) after the ReLU, imagenet: H/2
    if (this.options.stem === 'imagenet') h = childNamed(this, 'stemPool').forward(h); // (B, w0, H/4, W/4)
    return mean(childNamed(this, 'stages').forward(h), [2, 3]); // (B, wLast, H', W') -> (B, wLast)
  }

  config(): LayerConfig {
    const { stem, block, blocksPerStage, ...rest } = this.options;
    return {
      type: 'ResNet', ...rest, widths: [...rest.widths], blocksPerStage: Array.isArray(blocksPerStage) ? [...blocksPerStage] : blocksPerStage, numClasses: this.numClasses,
      ...(stem !== 'cifar' ? { stem } : {}), ...(block !== 'basic' ? { block } : {}), // older configs stay as they were
    };
  }
}
