// Normalisation: batch norm (training statistics with running averages, or inference with
// the running ones) and layer norm, composed from differentiable primitives.
import { ShapeError } from '../errors.js';
import { noGrad } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, addScalar, affine, mul, rsqrt, sub } from './elementwise.js';
import { assign, reshape } from './movement.js';
import { mean, variance } from './reduce.js';

export interface BatchNormOptions {
  training: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's momentum), default 0.1. */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over (N, C) or (N, C, H, W), per channel C. In training mode the batch
 * statistics are used and the running ones updated in place (unbiased variance, as PyTorch).
 */
export function batchNorm(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor, runningVar: Tensor, options: BatchNormOptions,
): Tensor {
  if (x.rank !== 2 && x.rank !== 4) throw new ShapeError(`batchNorm: expected (N, C) or (N, C, H, W), got ${formatShape(x.shape)}`);
  const channels = x.shape[1];
  if (runningMean.size !== channels || runningVar.size !== channels) {
    throw new ShapeError(`batchNorm: running statistics have ${runningMean.size} entries, input has ${channels} channels`);
  }
  const eps = options.eps ?? 1e-5;
  const axes = x.rank === 2 ? [0] : [0, 2, 3];
  const statShape = x.rank === 2 ? [1, channels] : [1, channels, 1, 1];
  let centered: Tensor;
  let inverseStd: Tensor;
  if (options.training) {
    const count = x.size / channels;
    if (count < 2) throw new ShapeError(`batchNorm: training needs more than one value per channel, got input ${formatShape(x.shape)}`);
    const batchMean = mean(x, axes, { keepDims: true });
    centered = sub(x, batchMean);
    const batchVar = mean(mul(centered, centered), axes, { keepDims: true });
    inverseStd = rsqrt(addScalar(batchVar, eps));
    const momentum = options.momentum ?? 0.1;
    noGrad(() => {
      const newMean = add(affine(runningMean, 1 - momentum, 0), affine(reshape(batchMean, [channels]), momentum, 0));
      const unbiased = affine(reshape(batchVar, [channels]), count / (count - 1), 0);
      const newVar = add(affine(runningVar, 1 - momentum, 0), affine(unbiased, momentum, 0));
      assign(runningMean, reshape(newMean, runningMean.shape));
      assign(runningVar, reshape(newVar, runningVar.shape));
    });
  } else {
    centered = sub(x, reshape(runningMean, statShape));
    inverseStd = rsqrt(addScalar(reshape(runningVar, statShape), eps));
  }
  let y = mul(centered, inverseStd);
  if (weight) y = mul(y, reshape(weight, statShape));
  if (bias) y = add(y, reshape(bias, statShape));
  return y;
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
