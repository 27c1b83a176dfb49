// In-place parameter updates with fused kernels (used by optimizers): no graph, no temporaries.
import type { AdamParams, SgdParams } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { bumpVersion } from './versions.js';

function check(op: string, param: Tensor, ...others: Tensor[]): void {
  for (const t of others) {
    if (!sameShape(t.shape, param.shape)) throw new ShapeError(`${op}: ${formatShape(t.shape)} does not match parameter ${formatShape(param.shape)}`);
  }
}

/** One Adam/AdamW step on `param` from `grad`, updating the moment tensors m and v in place. */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: AdamParams): void {
  check('adamUpdate', param, grad, m, v);
  param.backend.adamStep(param.buffer, grad.buffer, m.buffer, v.buffer, hyper);
  bumpVersion(param.buffer);
}

/** A parameter with its gradient and Adam moments, for adamUpdateMany. */
export interface AdamTensors {
  param: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
}

/**
 * One Adam/AdamW step on each entry: a single backend call (adamStepMany) where every parameter lives on one backend
 * that has it, else adamUpdate on each. The results are the same either way.
 */
export function adamUpdateMany(entries: readonly AdamTensors[], hyper: AdamParams): void {
  if (entries.length === 0) return;
  const backend = entries[0].param.backend;
  if (backend.adamStepMany === undefined || entries.some((e) => e.param.backend !== backend)) {
    for (const e of entries) adamUpdate(e.param, e.grad, e.m, e.v, hyper);
    return;
  }
  for (const e of entries) check('adamUpdateMany', e.param, e.grad, e.m, e.v);
  backend.adamStepMany(entries.map((e) => ({ param: e.param.buffer, grad: e.grad.buffer, m: e.m.buffer, v: e.v.buffer })), hyper);
  for (const e of entries) bumpVersion(e.param.buffer);
}

/** One SGD step on `param` from `grad` (velocity updated in place when momentum > 0). */
export function sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor, hyper: SgdParams): void {
  check('sgdUpdate', param, grad, velocity);
  param.backend.sgdStep(param.buffer, grad.buffer, velocity.buffer, hyper);
  bumpVersion(param.buffer);
}
