// Backbone: the contract fine-tuning relies on. A feature extractor (images -> pooled embedding)
// with a replaceable linear classification head registered as the child 'head'.
import { ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type Shape } from '../module.js';
import { Dense } from './dense.js';

export abstract class Backbone extends Module {
  /** Width of the pooled embedding that features() returns. */
  abstract readonly featureDim: number;
  /** The classification head: Dense (featureDim -> classes). */
  abstract head: Dense;

  /** The pooled embedding: (B, C, H, W) -> (B, featureDim). */
  abstract features(x: Tensor): Tensor;

  /** Class logits: (B, C, H, W) -> (B, classes). */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }

  /** Number of outputs of the current head. */
  get numClasses(): number {
    return this.head.units;
  }

  outputShape(_inputShape: Shape): number[] {
    return [this.numClasses];
  }

  /** Swaps in a freshly initialised head with `classes` outputs (trainable); returns it. */
  replaceHead(classes: number): Dense {
    if (!Number.isInteger(classes) || classes < 1) throw new ShapeError(`replaceHead: classes must be a positive integer, got ${classes}`);
    const head = new Dense({ units: classes, inputDim: this.featureDim });
    this.replaceChild('head', head);
    this.head = head;
    return head;
  }
}
