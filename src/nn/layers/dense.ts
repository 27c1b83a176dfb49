// Dense (fully connected): y = activation(x @ W + b), W (in, out). Built lazily from the input
// shape like Keras, or eagerly when `inputDim` is given.
import { ShapeError } from '../../errors.js';
import { add } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationName } from '../activations.js';
import { initialize, type Initializer } from '../init.js';
import { Module, type LayerConfig, type Shape } from '../module.js';

export interface DenseOptions {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  inputDim?: number;
  kernelInitializer?: Initializer;
}

export class Dense extends Module {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  weight: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(options: DenseOptions) {
    super();
    if (!Number.isInteger(options.units) || options.units < 1) throw new ShapeError(`Dense: units must be a positive integer, got ${options.units}`);
    this.units = options.units;
    this.activation = checkActivation(options.activation ?? 'linear', 'Dense');
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? (this.activation === 'relu' || this.activation === 'leakyRelu' || this.activation === 'gelu' ? 'heNormal' : 'glorotUniform');
    if (options.inputDim !== undefined) this.build(options.inputDim);
  }

  get inputDim(): number | null {
    return this.weight ? this.weight.shape[0] : null;
  }

  /** Creates the weights for `inputDim` input features (once). */
  build(inputDim: number): void {
    if (this.weight) {
      if (this.weight.shape[0] !== inputDim) throw new ShapeError(`Dense: built for ${this.weight.shape[0]} input features, got ${inputDim}`);
      return;
    }
    this.weight = this.addParameter('weight', initialize(this.kernelInitializer, [inputDim, this.units], inputDim, this.units));
    if (this.useBias) this.bias = this.addParameter('bias', initialize('zeros', [this.units], inputDim, this.units));
  }

  outputShape(inputShape: Shape): number[] {
    this.build(inputShape[inputShape.length - 1]);
    return [...inputShape.slice(0, -1), this.units];
  }

  /** x @ W + b before the activation: (…, in) -> (…, units). */
  preActivation(x: Tensor): Tensor {
    if (!this.weight) this.build(x.shape[x.rank - 1]);
    const weight = this.weight as Tensor;
    if (x.shape[x.rank - 1] !== weight.shape[0]) {
      throw new ShapeError(`Dense${this.name ? ` '${this.name}'` : ''}: input ${formatShape(x.shape)} has ${x.shape[x.rank - 1]} features, expected ${weight.shape[0]}`);
    }
    const y = matmul(x, weight);
    return this.bias ? add(y, this.bias) : y;
  }

  forward(x: Tensor): Tensor {
    return applyActivation(this.activation, this.preActivation(x));
  }

  config(): LayerConfig {
    return { type: 'Dense', units: this.units, activation: this.activation, useBias: this.useBias, kernelInitializer: this.kernelInitializer, ...(this.inputDim !== null ? { inputDim: this.inputDim } : {}) };
  }
}
