// Activation functions by name, as layers take them ({ activation: 'relu' }).
import { ZerogradError } from '../errors.js';
import { gelu, leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';

export type ActivationName = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'gelu' | 'softmax';

export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax'];

export function checkActivation(name: string, where: string): ActivationName {
  if (!(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new ZerogradError(`${where}: unknown activation '${name}'; expected one of ${ACTIVATIONS.join(', ')}`);
  }
  return name as ActivationName;
}

export function applyActivation(name: ActivationName, x: Tensor): Tensor {
  switch (name) {
    case 'linear': return x;
    case 'relu': return relu(x);
    case 'leakyRelu': return leakyRelu(x, 0.01);
    case 'sigmoid': return sigmoid(x);
    case 'tanh': return tanh(x);
    case 'gelu': return gelu(x);
    case 'softmax': return softmax(x, -1);
  }
}
