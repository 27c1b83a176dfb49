// Shape and regularisation layers without weights: Flatten, Reshape, Dropout, Activation.
import { ShapeError } from '../../errors.js';
import { dropout } from '../../ops/dropout.js';
import { reshape } from '../../ops/movement.js';
import { resolveReshape, sizeOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationName } from '../activations.js';
import { Module, type LayerConfig, type Shape } from '../module.js';

/** (N, d1, d2, …) -> (N, d1*d2*…). */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], x.size / Math.max(1, x.shape[0])]);
  }

  outputShape(inputShape: Shape): number[] {
    return [sizeOf(inputShape)];
  }

  config(): LayerConfig {
    return { type: 'Flatten' };
  }
}

/** (N, …) -> (N, ...targetShape); one -1 allowed. */
export class Reshape extends Module {
  constructor(readonly targetShape: readonly number[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], ...this.targetShape]);
  }

  outputShape(inputShape: Shape): number[] {
    return resolveReshape(inputShape, this.targetShape);
  }

  config(): LayerConfig {
    return { type: 'Reshape', targetShape: [...this.targetShape] };
  }
}

/** Inverted dropout in training, identity in inference. */
export class Dropout extends Module {
  constructor(readonly rate: number) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new ShapeError(`Dropout: rate must be in [0, 1), got ${rate}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.rate, this.training);
  }

  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  config(): LayerConfig {
    return { type: 'Dropout', rate: this.rate };
  }
}

/** A named activation as its own layer (ReLU, Sigmoid, Tanh, Softmax, GELU…). */
export class Activation extends Module {
  readonly activation: ActivationName;

  constructor(activation: ActivationName) {
    super();
    this.activation = checkActivation(activation, 'Activation');
  }

  forward(x: Tensor): Tensor {
    return applyActivation(this.activation, x);
  }

  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  config(): LayerConfig {
    return { type: 'Activation', activation: this.activation };
  }
}
