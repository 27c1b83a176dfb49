// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay (PyTorch semantics).
import { ZerogradError } from '../errors.js';
import { sgdUpdate } from '../ops/update.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface SgdOptions {
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], options: SgdOptions = {}) {
    super(params, options.lr ?? 0.01);
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    if (this.nesterov && this.momentum <= 0) throw new ZerogradError('SGD: nesterov momentum needs momentum > 0');
  }

  protected updateParam(param: Tensor, grad: Tensor, lr: number): void {
    const velocity = this.momentum > 0 ? this.slot(param, 'velocity') : grad;
    sgdUpdate(param, grad, velocity, { lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay });
  }
}
