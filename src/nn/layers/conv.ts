// Conv2D and pooling layers on NCHW images (batch, channels, height, width).
import { ShapeError } from '../../errors.js';
import { avgPool2d, conv2d, maxPool2d, windowGeometry } from '../../ops/conv.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationName } from '../activations.js';
import { initialize, type Initializer } from '../init.js';
import { Module, type LayerConfig, type Shape } from '../module.js';

export interface Conv2DOptions {
  filters: number;
  kernelSize: number;
  stride?: number;
  /** 'valid' (no padding), 'same' (output size = input size / stride) or a number of pixels. */
  padding?: 'valid' | 'same' | number;
  activation?: ActivationName;
  useBias?: boolean;
  inChannels?: number;
  kernelInitializer?: Initializer;
}

export class Conv2D extends Module {
  readonly filters: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: 'valid' | 'same' | number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  weight: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(options: Conv2DOptions) {
    super();
    if (!Number.isInteger(options.filters) || options.filters < 1) throw new ShapeError(`Conv2D: filters must be a positive integer, got ${options.filters}`);
    if (!Number.isInteger(options.kernelSize) || options.kernelSize < 1) throw new ShapeError(`Conv2D: kernelSize must be a positive integer, got ${options.kernelSize}`);
    this.filters = options.filters;
    this.kernelSize = options.kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'valid';
    this.activation = checkActivation(options.activation ?? 'linear', 'Conv2D');
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? (this.activation === 'relu' ? 'heNormal' : 'glorotUniform');
    if (options.inChannels !== undefined) this.build(options.inChannels);
  }

  protected get pad(): number {
    if (this.padding === 'valid') return 0;
    if (this.padding === 'same') {
      if (this.kernelSize % 2 === 0) throw new ShapeError(`Conv2D: padding 'same' needs an odd kernel size, got ${this.kernelSize}`);
      return (this.kernelSize - 1) / 2;
    }
    return this.padding;
  }

  build(inChannels: number): void {
    if (this.weight) {
      if (this.weight.shape[1] !== inChannels) throw new ShapeError(`Conv2D: built for ${this.weight.shape[1]} input channels, got ${inChannels}`);
      return;
    }
    const k = this.kernelSize;
    const fanIn = inChannels * k * k;
    const fanOut = this.filters * k * k;
    this.weight = this.addParameter('weight', initialize(this.kernelInitializer, [this.filters, inChannels, k, k], fanIn, fanOut));
    if (this.useBias) this.bias = this.addParameter('bias', initialize('zeros', [this.filters], fanIn, fanOut));
  }

  outputShape(inputShape: Shape): number[] {
    if (inputShape.length !== 3) throw new ShapeError(`Conv2D: expects (channels, height, width) inputs, got ${formatShape(inputShape)}`);
    this.build(inputShape[0]);
    const g = windowGeometry('Conv2D', [1, ...inputShape], [this.kernelSize, this.kernelSize], [this.stride, this.stride], [this.pad, this.pad]);
    return [this.filters, g.outH, g.outW];
  }

  /** `outputSize`: compute only the first (rows, cols) of the output (see conv2d; Sequential passes it before a pool). */
  forward(x: Tensor, outputSize?: readonly [number, number]): Tensor {
    if (x.rank !== 4) throw new ShapeError(`Conv2D: expects (batch, channels, height, width), got ${formatShape(x.shape)}`);
    this.build(x.shape[1]);
    const relu = this.activation === 'relu'; // fused into the convolution's output pass
    const y = conv2d(x, this.weight as Tensor, this.bias, { stride: this.stride, padding: this.pad, relu, outputSize });
    return relu ? y : applyActivation(this.activation, y);
  }

  config(): LayerConfig {
    return {
      type: 'Conv2D', filters: this.filters, kernelSize: this.kernelSize, stride: this.stride, padding: this.padding,
      activation: this.activation, useBias: this.useBias, kernelInitializer: this.kernelInitializer,
      ...(this.weight ? { inChannels: this.weight.shape[1] } : {}),
    };
  }
}

export interface Pool2DOptions {
  poolSize?: number;
  stride?: number;
  padding?: number;
}

export abstract class Pool2D extends Module {
  /**
   * The leading input rows and columns this pool reads from an (height, width) input: floor-mode windows without
   * padding may skip the last ones (2x2 windows over 11 rows read 10).
   */
  extentRead(height: number, width: number): [number, number] {
    if (this.padding !== 0) return [height, width];
    const read = (size: number) => size < this.poolSize ? size : (Math.floor((size - this.poolSize) / this.stride)) * this.stride + this.poolSize;
    return [read(height), read(width)];
  }

  readonly poolSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(options: Pool2DOptions = {}) {
    super();
    this.poolSize = options.poolSize ?? 2;
    this.stride = options.stride ?? this.poolSize;
    this.padding = options.padding ?? 0;
  }

  outputShape(inputShape: Shape): number[] {
    const g = windowGeometry(this.constructor.name, [1, ...inputShape], [this.poolSize, this.poolSize], [this.stride, this.stride], [this.padding, this.padding]);
    return [inputShape[0], g.outH, g.outW];
  }

  protected options(): LayerConfig {
    return { type: this.constructor.name, poolSize: this.poolSize, stride: this.stride, padding: this.padding };
  }
}

export class MaxPool2D extends Pool2D {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.poolSize, { stride: this.stride, padding: this.padding });
  }

  config(): LayerConfig {
    return { ...this.options(), type: 'MaxPool2D' };
  }
}

export class AvgPool2D extends Pool2D {
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.poolSize, { stride: this.stride, padding: this.padding });
  }

  config(): LayerConfig {
    return { ...this.options(), type: 'AvgPool2D' };
  }
}
