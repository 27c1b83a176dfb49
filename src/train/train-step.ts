// One optimizer step of fit(), in its own memory scope: forward to logits, the loss (cross-entropy, or
// a custom objective), backward, optional gradient clipping, the update, and the batch's accuracy.
import type { Batch } from '../data/batches.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import { tensor } from '../ops/create.js';
import '../ops/methods.js'; // Tensor methods used here: crossEntropy, backward
import { scope } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchTensor, classesOf, logitsOf } from './evaluate.js';
import type { ClassifierModule } from './types.js';

export interface StepOptions {
  /** A custom loss (x, y) -> scalar instead of cross-entropy on the logits; accuracy is then NaN. */
  lossFn?: (x: Tensor, y: Tensor) => Tensor;
  clipNorm?: number;
}

/** The batch's mean loss and how many of its examples the logits classified right (NaN with a custom loss). */
export interface StepResult {
  loss: number;
  correct: number;
}

/** Runs one training step of `model` on `batch`. */
export function trainStep(model: ClassifierModule, optimizer: Optimizer, batch: Batch, inputShape: readonly number[], options: StepOptions): StepResult {
  return scope(() => {
    const x = batchTensor(batch.x, batch.size, inputShape); // (B, ...inputShape)
    const y = tensor(batch.y, { shape: [batch.size], dtype: 'int32' }); // (B)
    const logits = options.lossFn ? null : logitsOf(model, x); // (B, classes)
    const loss = logits ? logits.crossEntropy(y) : (options.lossFn as NonNullable<StepOptions['lossFn']>)(x, y);
    optimizer.zeroGrad();
    loss.backward();
    if (options.clipNorm) clipGradNorm(optimizer.parameters(), options.clipNorm);
    optimizer.step();
    if (!logits) return { loss: loss.item(), correct: Number.NaN };
    const scores = logits.data();
    const predicted = classesOf(scores, batch.size, scores.length / batch.size);
    let correct = 0;
    for (let b = 0; b < batch.size; b++) if (predicted[b] === batch.y[b]) correct++;
    return { loss: loss.item(), correct };
  });
}
