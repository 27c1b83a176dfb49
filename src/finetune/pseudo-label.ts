// Pseudo-labelling for self-training: from a model's class probabilities on unlabeled examples,
// keep the confident ones (threshold), optionally capped per class (the most confident first) or
// balanced across classes, and measure the chosen labels against the truth when it is known.
import { UsageError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

export interface PseudoLabelOptions {
  /** Keep an example when its top probability is at least this. Default 0.95. */
  threshold?: number;
  /** At most this many examples per class (the most confident). Default: no cap. */
  maxPerClass?: number;
  /** Cap every class at the count of the class with the fewest confident examples. Default false. */
  balance?: boolean;
  /** Example indices never selected (e.g. the labeled ones). */
  exclude?: ArrayLike<number>;
}

export interface PseudoLabelSelection {
  /** Selected example indices, ascending. */
  indices: Int32Array;
  /** The predicted class of each selected example. */
  labels: Int32Array;
  /** The top probability of each selected example. */
  confidences: Float32Array;
  /** Selected examples per class. */
  perClass: number[];
  /** Examples above the threshold before any per-class cap. */
  confident: number;
}

/**
 * Picks pseudo-labels from `probabilities`, (N, classes) row-major probabilities (a tensor or
 * array). Ties in confidence keep the lower index. Throws on values outside [0, 1] (logits?).
 */
export function selectPseudoLabels(probabilities: Tensor | ArrayLike<number>, classes: number, options: PseudoLabelOptions = {}): PseudoLabelSelection {
  const values = isTensor(probabilities) ? probabilities.values() : probabilities;
  if (!Number.isInteger(classes) || classes < 2) throw new UsageError(`pseudo-labels: classes must be an integer >= 2, got ${classes}`);
  if (values.length % classes !== 0) throw new UsageError(`pseudo-labels: ${values.length} probabilities do not form rows of ${classes} classes`);
  const threshold = options.threshold ?? 0.95;
  if (!(threshold >= 0 && threshold <= 1)) throw new UsageError(`pseudo-labels: threshold must be in [0, 1], got ${threshold}`);
  const maxPerClass = options.maxPerClass ?? Infinity;
  if (!(maxPerClass >= 0) || (Number.isFinite(maxPerClass) && !Number.isInteger(maxPerClass))) {
    throw new UsageError(`pseudo-labels: maxPerClass must be a non-negative integer, got ${maxPerClass}`);
  }
  const count = values.length / classes;
  const excluded = new Uint8Array(count);
  for (const index of Array.from(options.exclude ?? [])) {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new UsageError(`pseudo-labels: excluded index ${index} is outside 0..${count - 1}`);
    excluded[index] = 1;
  }

  // Confident candidates per class: [index, confidence].
  const byClass: [number, number][][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const p = values[i * classes + c];
      if (!(p >= 0 && p <= 1 + 1e-6)) throw new UsageError(`pseudo-labels: row ${i} has value ${p} outside [0, 1]; pass probabilities (softmax of the logits)`);
      if (p > values[i * classes + best]) best = c;
    }
    const confidence = values[i * classes + best];
    if (!excluded[i] && confidence >= threshold) byClass[best].push([i, confidence]);
  }
  const confident = byClass.reduce((p, list) => p + list.length, 0);
  const cap = Math.min(maxPerClass, options.balance ? Math.min(...byClass.map((list) => list.length)) : Infinity);

  const chosen: [number, number, number][] = []; // [index, class, confidence]
  byClass.forEach((list, c) => {
    list.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [index, confidence] of list.slice(0, cap)) chosen.push([index, c, confidence]);
  });
  chosen.sort((a, b) => a[0] - b[0]);
  return {
    indices: Int32Array.from(chosen, ([i]) => i),
    labels: Int32Array.from(chosen, ([, c]) => c),
    confidences: Float32Array.from(chosen, ([, , p]) => p),
    perClass: byClass.map((list) => Math.min(list.length, cap)),
    confident,
  };
}

/** How many selected pseudo-labels equal the true labels (indexed like the unlabeled examples). */
export function pseudoLabelAccuracy(selection: PseudoLabelSelection, trueLabels: ArrayLike<number>): { correct: number; total: number; accuracy: number } {
  let correct = 0;
  selection.indices.forEach((index, k) => {
    if (index >= trueLabels.length) throw new UsageError(`pseudo-labels: index ${index} is outside the ${trueLabels.length} true labels`);
    if (trueLabels[index] === selection.labels[k]) correct++;
  });
  const total = selection.indices.length;
  return { correct, total, accuracy: total === 0 ? Number.NaN : correct / total };
}

function isTensor(value: Tensor | ArrayLike<number>): value is Tensor {
  return typeof (value as Tensor).values === 'function' && Array.isArray((value as Tensor).shape);
}
