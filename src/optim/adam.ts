// Adam (with optional L2 weight decay added to the gradient) and AdamW (decoupled weight decay).
import type { AdamParams } from '../backend/backend.js';
import { adamUpdate, adamUpdateMany } from '../ops/update.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], options: AdamOptions = {}) {
    super(params, options.lr ?? 0.001);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /** The whole group in one backend call where the backend can (adamStepMany): the same result as per tensor. */
  protected override updateGroup(params: readonly Tensor[], lr: number): void {
    adamUpdateMany(params.map((param) => ({ param, grad: param.grad as Tensor, m: this.slot(param, 'm'), v: this.slot(param, 'v') })), this.hyper(lr));
  }

  protected updateParam(param: Tensor, grad: Tensor, lr: number): void {
    adamUpdate(param, grad, this.slot(param, 'm'), this.slot(param, 'v'), this.hyper(lr));
  }

  private hyper(lr: number): AdamParams {
    return {
      lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, step: this.stepCount,
      weightDecay: this.decoupled ? 0 : this.weightDecay,
      decoupledWeightDecay: this.decoupled ? this.weightDecay : 0,
    };
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); default decay 0.01 as in PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], options: AdamOptions = {}) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 0.01 });
  }
}
