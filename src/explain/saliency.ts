// Saliency maps: how much each input pixel pushes the score of one class, from autograd.
// gradient × input: one backward pass (input measured from a blank image); integrated gradients (Sundararajan et al. 2017): the
// gradient averaged along the straight path from a blank image to the input, times (input - blank),
// all path steps in one batch. Browser-safe (no Node imports).
import { UsageError } from '../errors.js';
import { logitsOf } from '../train/evaluate.js';
import type { ClassifierModule } from '../train/types.js';
import { tensor } from '../ops/create.js';
import '../ops/methods.js'; // Tensor methods used here: backward
import { scope } from '../tensor/engine.js';

/** The two attribution methods. */
export type SaliencyMethod = 'gradient-input' | 'integrated-gradients';
export const SALIENCY_METHODS: readonly SaliencyMethod[] = ['gradient-input', 'integrated-gradients'];

export interface SaliencyOptions {
  method?: SaliencyMethod;
  /** Path steps of integrated gradients (default 32). */
  steps?: number;
  /** The model input of a blank image (each value), the integrated-gradients baseline. Default 0. */
  baseline?: number;
}

/**
 * Attribution of class `target` to each input value of one example: (features) model inputs
 * (already normalized) -> (features) signed scores. The model's parameters get no gradients.
 */
export function saliency(model: ClassifierModule, input: Float32Array, target: number, options: SaliencyOptions = {}): Float32Array {
  const method = options.method ?? 'integrated-gradients';
  if (!SALIENCY_METHODS.includes(method)) throw new UsageError(`unknown saliency method '${String(method)}'; expected ${SALIENCY_METHODS.join(' or ')}`);
  const inputShape = model.inputShape;
  if (!inputShape) throw new UsageError('saliency: the model has no input shape');
  const features = inputShape.reduce((p, d) => p * d, 1);
  if (input.length !== features) throw new UsageError(`saliency: expected ${features} input values, got ${input.length}`);
  const baseline = options.baseline ?? 0;
  const steps = method === 'gradient-input' ? 1 : Math.max(1, Math.floor(options.steps ?? 32));

  // (steps, features) points on the path; for gradient × input the single point is the input itself.
  const path = new Float32Array(steps * features);
  for (let s = 0; s < steps; s++) {
    const alpha = method === 'gradient-input' ? 1 : (s + 0.5) / steps; // midpoint rule
    for (let i = 0; i < features; i++) path[s * features + i] = baseline + alpha * (input[i] - baseline);
  }
  const gradients = inputGradients(model, path, steps, inputShape, target); // (steps, features)
  const out = new Float32Array(features);
  for (let i = 0; i < features; i++) {
    let sum = 0;
    for (let s = 0; s < steps; s++) sum += gradients[s * features + i];
    out[i] = (sum / steps) * (input[i] - baseline); // relative to a blank image, so the background scores 0
  }
  return out;
}

/** d(logit of `target`) / d(input) for each of `count` examples; parameters are frozen meanwhile. */
function inputGradients(model: ClassifierModule, x: Float32Array, count: number, inputShape: readonly number[], target: number): Float32Array {
  const params = model.parameters();
  const flags = params.map((p) => p.requiresGrad);
  const wasTraining = model.training;
  model.eval();
  for (const p of params) p.requiresGrad = false;
  try {
    return scope(() => {
      const input = tensor(x, { shape: [count, ...inputShape] });
      input.requiresGrad = true;
      const logits = logitsOf(model, input); // (count, classes)
      const classes = logits.shape[1];
      if (!Number.isInteger(target) || target < 0 || target >= classes) throw new UsageError(`saliency: class ${target} is not in 0..${classes - 1}`);
      const seed = new Float32Array(count * classes);
      for (let r = 0; r < count; r++) seed[r * classes + target] = 1;
      logits.backward(tensor(seed, { shape: [count, classes] }));
      const grad = input.grad;
      if (grad === null) throw new Error('saliency: no gradient reached the input');
      return Float32Array.from(grad.data());
    });
  } finally {
    params.forEach((p, i) => { p.requiresGrad = flags[i]; });
    model.train(wasTraining);
  }
}
