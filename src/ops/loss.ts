// Loss functions: fused softmax cross-entropy from logits (sparse or one-hot/probability
// targets) and mean squared error.
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './create.js';
import { mean, sum } from './reduce.js';
import { binary, square, sub } from './elementwise.js';
import { BinaryOp } from '../backend/backend.js';
import { oneHot } from './softmax.js';
import { reshape } from './movement.js';

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy of softmax(logits) against `target`: int32 class indices (N) — sparse — or
 * float32 rows of probabilities (N, C) such as one-hot codes. One fused kernel forward; the
 * gradient is (softmax - target) / N. Returns the mean over rows by default.
 */
export function crossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: logits must be (batch, classes), got ${formatShape(logits.shape)}`);
  const [rows, cols] = logits.shape;
  const sparse = target.dtype === 'int32';
  if (sparse && (target.rank !== 1 || target.shape[0] !== rows)) {
    throw new ShapeError(`crossEntropy: sparse targets must be (batch) = (${rows}) int32 class indices, got ${formatShape(target.shape)}`);
  }
  if (!sparse && !sameShape(target.shape, logits.shape)) {
    throw new ShapeError(`crossEntropy: one-hot/probability targets must match logits ${formatShape(logits.shape)}, got ${formatShape(target.shape)}`);
  }
  // Sparse labels are read to the host once: for the range check here and the one-hot rows of the gradient.
  const labels = sparse ? target.values() : null;
  if (labels) {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= cols) throw new ShapeError(`crossEntropy: target ${labels[i]} at row ${i} is outside 0..${cols - 1}`);
    }
  }
  const backend = logits.backend;
  const losses = empty([rows], 'float32', backend);
  const probs = empty([rows, cols], 'float32', backend);
  backend.softmaxCrossEntropy(logits.buffer, target.buffer, sparse, losses.buffer, probs.buffer, rows, cols);
  const perRow = record(losses, 'crossEntropy', [logits], (dy) => {
    const dense = labels ? oneHot(labels, cols, backend) : target;
    const diff = binary(BinaryOp.Sub, probs, dense); // (N, C)
    return [binary(BinaryOp.Mul, diff, reshape(dy, [rows, 1]))];
  });
  if (reduction === 'none') return perRow;
  return reduction === 'sum' ? sum(perRow) : mean(perRow);
}

/** Mean squared error between same-shape tensors. */
export function mse(prediction: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (!sameShape(prediction.shape, target.shape)) {
    throw new ShapeError(`mse: prediction ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape`);
  }
  const squares = square(sub(prediction, target));
  if (reduction === 'none') return squares;
  return reduction === 'sum' ? sum(squares) : mean(squares);
}

