// LoRA for Conv2D (as loralib's ConvLoRA and PEFT do for convolutions): the kernel W (Cout, Cin, k, k)
// gets a low-rank update scale·reshape(B·A) with A (r, Cin·k·k) random, B (Cout, r) zero and
// scale = alpha / r, so an adapted layer starts as its base layer. enableLora (lora.ts) wraps layers.
import { ShapeError, UsageError } from '../errors.js';
import { rand, zeros } from '../ops/create.js';
import { conv2d } from '../ops/conv.js';
import { add, mulScalar } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { assign, reshape } from '../ops/movement.js';
import { globalRandom, noGrad } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyActivation } from './activations.js';
import { Conv2D } from './layers/conv.js';
import type { LayerConfig } from './module.js';

/** Checks that a rank-`rank` adapter fits `layer`; returns its (Cin·k·k, Cout). */
export function checkConvLoraFits(layer: Conv2D, rank: number, alpha: number, where: string): [number, number] {
  if (layer.weight === null) throw new UsageError(`LoRA: layer '${where}' has no weights yet; build the model (give it an input shape) first`);
  const [outputs, inChannels, kernelH, kernelW] = layer.weight.shape;
  const inputs = inChannels * kernelH * kernelW;
  if (!Number.isInteger(rank) || rank < 1) throw new UsageError(`LoRA: rank must be a positive integer, got ${rank}`);
  if (rank > Math.min(inputs, outputs)) {
    throw new UsageError(`LoRA: rank ${rank} is larger than layer '${where}' allows: min(in ${inChannels}x${kernelH}x${kernelW} = ${inputs}, out ${outputs}) = ${Math.min(inputs, outputs)}`);
  }
  if (!(Number.isFinite(alpha) && alpha > 0)) throw new UsageError(`LoRA: alpha must be a positive number, got ${alpha}`);
  return [inputs, outputs];
}

/** A Conv2D whose frozen kernel and bias are the base layer's own tensors, plus adapters loraA and loraB. */
export class LoraConv2D extends Conv2D {
  readonly base: Conv2D;
  readonly rank: number;
  readonly alpha: number;
  /** alpha / rank. */
  readonly scale: number;
  /** (rank, Cin·k·k). */
  readonly loraA: Tensor;
  /** (Cout, rank). */
  readonly loraB: Tensor;

  constructor(base: Conv2D, options: { rank: number; alpha?: number; rng?: Random; where?: string }) {
    super({
      filters: base.filters, kernelSize: base.kernelSize, stride: base.stride, padding: base.padding,
      activation: base.activation, useBias: base.useBias, kernelInitializer: base.kernelInitializer,
    });
    const rank = options.rank;
    const alpha = options.alpha ?? rank;
    const [inputs, outputs] = checkConvLoraFits(base, rank, alpha, options.where ?? 'LoraConv2D');
    this.base = base;
    this.rank = rank;
    this.alpha = alpha;
    this.scale = alpha / rank;
    this.weight = this.addParameter('weight', base.weight as Tensor);
    this.weight.requiresGrad = false;
    if (base.bias) {
      this.bias = this.addParameter('bias', base.bias);
      this.bias.requiresGrad = false;
    }
    // Kaiming-uniform A (bound 1/sqrt(fan in)) as for Dense; B zero.
    const bound = 1 / Math.sqrt(inputs);
    this.loraA = this.addParameter('loraA', rand([rank, inputs], -bound, bound, options.rng ?? globalRandom()));
    this.loraB = this.addParameter('loraB', zeros([outputs, rank]));
  }

  /** scale·B·A reshaped to the kernel: (Cout, r)·(r, Cin·k·k) -> (Cout, Cin, k, k). */
  delta(): Tensor {
    const weight = this.weight as Tensor;
    return mulScalar(reshape(matmul(this.loraB, this.loraA), weight.shape), this.scale);
  }

  // (B, Cin, H, W) -> (B, Cout, H', W'): conv(x, W + delta) + b
  override forward(x: Tensor, outputSize?: readonly [number, number]): Tensor {
    const weight = this.weight as Tensor;
    if (x.rank !== 4 || x.shape[1] !== weight.shape[1]) throw new ShapeError(`LoraConv2D: expects (batch, ${weight.shape[1]}, height, width), got ${formatShape(x.shape)}`);
    const relu = this.activation === 'relu';
    const y = conv2d(x, add(weight, this.delta()), this.bias, { stride: this.stride, padding: this.pad, relu, outputSize });
    return relu ? y : applyActivation(this.activation, y);
  }

  /** Writes W + scale·reshape(B·A) into the base kernel (in place) and returns the base layer. */
  merge(): Conv2D {
    noGrad(() => {
      const weight = this.weight as Tensor;
      assign(weight, add(weight, this.delta()));
    });
    return this.base;
  }

  override config(): LayerConfig {
    return { ...super.config(), type: 'LoraConv2D', rank: this.rank, alpha: this.alpha };
  }
}
