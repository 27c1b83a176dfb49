// Inference over a data set in batches: evaluate() (loss, accuracy, predictions, probabilities)
// and predict() (probabilities and predicted classes only). One scope per batch, no gradients.
import { batches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { ShapeError } from '../errors.js';
import { tensor } from '../ops/create.js';
import '../ops/methods.js'; // Tensor methods used here: crossEntropy, softmax, backward
import { noGrad, scope } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ClassifierModule } from './types.js';

/**
 * What evaluate() returns. The per-example arrays are non-enumerable, so `console.log(evaluate(...))` prints
 * `{ loss, accuracy, count }`; they are still there to read (`result.predictions`).
 */
export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  count: number;
  /** (N) predicted class per example. */
  predictions: Int32Array;
  /** (N, classes) softmax probabilities, row-major. */
  probabilities: Float32Array;
  /** (N) true labels, in the same order. */
  labels: Int32Array;
}

export interface EvaluateOptions {
  /** Default 256. */
  batchSize?: number;
  /** Evaluate only these examples (e.g. a validation split). */
  indices?: Int32Array;
}

/** The model's class scores for a batch: forwardLogits where it has one (the scores before a final softmax), else forward. */
export function logitsOf(model: ClassifierModule, x: Tensor): Tensor {
  return model.forwardLogits ? model.forwardLogits(x) : model.forward(x);
}

/** The model's input shape (without the batch axis), checked against the data set's features. */
export function inputShapeFor(model: ClassifierModule, data: Dataset): number[] {
  const features = data.rows * data.cols;
  const shape = model.inputShape ?? data.shape.slice(1);
  const size = shape.reduce((p, d) => p * d, 1);
  if (size !== features) {
    throw new ShapeError(`${data.name}: examples have ${data.rows}x${data.cols} = ${features} features, the model expects input (${shape.join(', ')}) = ${size}`);
  }
  return [...shape];
}

/** A batch of features as a tensor of (size, ...inputShape). */
export function batchTensor(x: Float32Array, size: number, inputShape: readonly number[]): Tensor {
  return tensor(x, { shape: [size, ...inputShape] });
}

/** The class (row-wise arg-max) of each of `rows` rows of `cols` scores, written into `out`. */
export function classesOf(scores: ArrayLike<number>, rows: number, cols: number, out = new Int32Array(rows)): Int32Array {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (scores[r * cols + c] > scores[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Loss, accuracy, predictions and probabilities of `model` on `data` (inference mode, restored after). */
export function evaluate(model: ClassifierModule, data: Dataset, options: EvaluateOptions = {}): Evaluation {
  const inputShape = inputShapeFor(model, data);
  const count = options.indices ? options.indices.length : data.count;
  const wasTraining = model.training;
  model.eval();
  let classes = 0;
  let probabilities = new Float32Array(0);
  const predictions = new Int32Array(count);
  const labels = new Int32Array(count);
  let lossSum = 0;
  let correct = 0;
  let offset = 0;
  try {
    for (const batch of batches(data, { batchSize: options.batchSize ?? 256, indices: options.indices })) {
      const { loss, probs } = noGrad(() => scope(() => {
        const logits = logitsOf(model, batchTensor(batch.x, batch.size, inputShape)); // (B, C)
        const y = tensor(batch.y, { shape: [batch.size], dtype: 'int32' });
        return { loss: logits.crossEntropy(y, 'sum').item(), probs: logits.softmax(1).data() as Float32Array };
      }));
      if (classes === 0) {
        classes = probs.length / batch.size;
        probabilities = new Float32Array(count * classes);
      }
      probabilities.set(probs, offset * classes);
      classesOf(probs, batch.size, classes, predictions.subarray(offset, offset + batch.size));
      for (let b = 0; b < batch.size; b++) {
        labels[offset + b] = batch.y[b];
        if (predictions[offset + b] === batch.y[b]) correct++;
      }
      lossSum += loss;
      offset += batch.size;
    }
  } finally {
    model.train(wasTraining);
  }
  return evaluation({ loss: count > 0 ? lossSum / count : NaN, accuracy: count > 0 ? correct / count : NaN, count }, { predictions, probabilities, labels });
}

/** The summary numbers as enumerable fields, the arrays beside them as non-enumerable ones. */
function evaluation(summary: Pick<Evaluation, 'loss' | 'accuracy' | 'count'>, arrays: Pick<Evaluation, 'predictions' | 'probabilities' | 'labels'>): Evaluation {
  const result = { ...summary } as Evaluation;
  for (const [key, value] of Object.entries(arrays)) Object.defineProperty(result, key, { value, writable: true, enumerable: false, configurable: true });
  return result;
}

/** Class probabilities and predicted classes for (N, features) inputs, without labels. */
export function predict(model: ClassifierModule, images: Float32Array, options: { batchSize?: number } = {}): { probabilities: Float32Array; predictions: Int32Array } {
  const inputShape = model.inputShape;
  if (!inputShape) throw new ShapeError('predict: the model has no input shape; build it first (or use evaluate() on a Dataset, whose shape it takes)');
  const features = inputShape.reduce((p, d) => p * d, 1);
  if (images.length % features !== 0) throw new ShapeError(`predict: ${images.length} values is not a whole number of (${inputShape.join(', ')}) inputs`);
  const count = images.length / features;
  const batchSize = options.batchSize ?? 256;
  const wasTraining = model.training;
  model.eval();
  const parts: Float32Array[] = [];
  try {
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const x = images.subarray(start * features, (start + size) * features);
      parts.push(noGrad(() => scope(() => logitsOf(model, batchTensor(x, size, inputShape)).softmax(1).data() as Float32Array)));
    }
  } finally {
    model.train(wasTraining);
  }
  const classes = count > 0 ? parts[0].length / Math.min(batchSize, count) : 0;
  const probabilities = new Float32Array(count * classes);
  let offset = 0;
  for (const part of parts) {
    probabilities.set(part, offset);
    offset += part.length;
  }
  return { probabilities, predictions: classesOf(probabilities, count, classes) };
}
