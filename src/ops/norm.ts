// Normalisation: batch norm (training statistics with running averages, or inference with the running ones) as
// one fused backend kernel each way (optionally with the ReLU after it fused in), and layer norm composed from differentiable primitives.
import type { BatchNormGeometry } from '../backend/backend.js';
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { isGradEnabled, noGrad } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './create.js';
import { add, addScalar, affine, mul, rsqrt, sub } from './elementwise.js';
import { assign, clone, reshape } from './movement.js';
import { mean, variance } from './reduce.js';

export interface BatchNormOptions {
  training: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's momentum), default 0.1. */
  momentum?: number;
  eps?: number;
  /** Apply ReLU to the output in the same pass, and its backward in batch norm's (one pass each way instead of two). */
  relu?: boolean;
}

/**
 * Batch normalisation over (N, C) or (N, C, H, W), per channel C: one fused kernel forward and one backward
 * (gradients to x, weight and bias). In training mode the batch statistics are used and the running ones updated
 * in place (unbiased variance, as PyTorch).
 */
export function batchNorm(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor, runningVar: Tensor, options: BatchNormOptions,
): Tensor {
  if (x.rank !== 2 && x.rank !== 4) throw new ShapeError(`batchNorm: expected (N, C) or (N, C, H, W), got ${formatShape(x.shape)}`);
  const channels = x.shape[1];
  if (runningMean.size !== channels || runningVar.size !== channels) {
    throw new ShapeError(`batchNorm: running statistics have ${runningMean.size} entries, input has ${channels} channels`);
  }
  for (const [name, param] of [['weight', weight], ['bias', bias]] as const) {
    if (param && param.size !== channels) throw new ShapeError(`batchNorm: ${name} has ${param.size} entries, input has ${channels} channels`);
  }
  const eps = options.eps ?? 1e-5;
  const { training } = options;
  const relu = options.relu ?? false;
  const geometry: BatchNormGeometry = { batch: x.shape[0], channels, spatial: x.rank === 4 ? x.shape[2] * x.shape[3] : 1 };
  const count = geometry.batch * geometry.spatial;
  if (training && count < 2) throw new ShapeError(`batchNorm: training needs more than one value per channel, got input ${formatShape(x.shape)}`);
  const backend = x.backend;
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  // Training: batch statistics are written here; inference: the running ones are read.
  const channelMean = training ? empty([channels], 'float32', backend) : runningMean;
  const channelVar = training ? empty([channels], 'float32', backend) : runningVar;
  const invStd = empty([channels], 'float32', backend);
  const y = empty(x.shape, 'float32', backend);
  backend.batchNormForward(x.buffer, weight?.buffer ?? null, bias?.buffer ?? null, channelMean.buffer, channelVar.buffer, invStd.buffer,
    y.buffer, geometry, training, eps, relu);
  if (training) {
    const momentum = options.momentum ?? 0.1;
    noGrad(() => {
      const newMean = add(affine(runningMean, 1 - momentum, 0), affine(reshape(channelMean, runningMean.shape), momentum, 0));
      const unbiased = affine(reshape(channelVar, runningVar.shape), count / (count - 1), 0);
      const newVar = add(affine(runningVar, 1 - momentum, 0), affine(unbiased, momentum, 0));
      assign(runningMean, newMean);
      assign(runningVar, newVar);
    });
  }
  // Inference reads the running mean again in backward: keep a copy, as a training step in between updates it in place.
  const backwardMean = !training && isGradEnabled() && inputs.some((t) => t.requiresGrad) ? clone(runningMean) : channelMean;
  return record(y, relu ? 'batchNorm+relu' : 'batchNorm', inputs, (dy) => {
    const dx = x.requiresGrad ? empty(x.shape, 'float32', backend) : null;
    const dweight = weight?.requiresGrad ? empty(weight.shape, 'float32', backend) : null;
    const dbias = bias?.requiresGrad ? empty(bias.shape, 'float32', backend) : null;
    backend.batchNormBackward(x.buffer, dy.buffer, backwardMean.buffer, invStd.buffer, weight?.buffer ?? null,
      dx?.buffer ?? null, dweight?.buffer ?? null, dbias?.buffer ?? null, geometry, training, relu ? y.buffer : null);
    return [dx, ...(weight ? [dweight] : []), ...(bias ? [dbias] : [])];
  });
}

/** Layer normalisation over the last `normalizedAxes` axes (default 1), with optional affine. */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5, normalizedAxes = 1): Tensor {
  if (normalizedAxes < 1 || normalizedAxes > x.rank) throw new ShapeError(`layerNorm: cannot normalise the last ${normalizedAxes} axes of ${formatShape(x.shape)}`);
  const axes = Array.from({ length: normalizedAxes }, (_, i) => x.rank - normalizedAxes + i);
  const centered = sub(x, mean(x, axes, { keepDims: true }));
  const inverseStd = rsqrt(addScalar(variance(x, axes, { keepDims: true }), eps));
  let y = mul(centered, inverseStd);
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}
