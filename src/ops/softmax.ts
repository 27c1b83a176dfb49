// Softmax and log-softmax along an axis (fused kernels over the last axis; other axes are
// moved last and back), and one-hot encoding.
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Backend } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, tensor } from './create.js';
import { transpose } from './movement.js';

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const out = empty(x.shape, 'float32', x.backend);
  x.backend.softmax(x.buffer, out.buffer, rows, cols, log);
  return record(out, log ? 'logSoftmax' : 'softmax', [x], (dy) => {
    const dx = empty(x.shape, 'float32', x.backend);
    x.backend.softmaxBackward(out.buffer, dy.buffer, dx.buffer, rows, cols, log);
    return [dx];
  });
}

function alongAxis(x: Tensor, axis: number, log: boolean, op: string): Tensor {
  if (x.rank === 0) throw new ShapeError(`${op}: needs at least one axis, got a scalar`);
  const a = normalizeAxis(axis, x.rank, op);
  if (a === x.rank - 1) return softmaxLast(x, log);
  return transpose(softmaxLast(transpose(x, a, -1), log), a, -1);
}

/** exp(x) / sum(exp(x)) along `axis` (last by default). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongAxis(x, axis, false, 'softmax');
}

/** x - log(sum(exp(x))) along `axis`, computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongAxis(x, axis, true, 'logSoftmax');
}

/**
 * (N) int32 class indices -> (N, classes) float32 one-hot rows. Throws on out-of-range labels.
 * Host arrays go to `backend` (default: the active one); tensors stay on their own backend.
 */
export function oneHot(labels: Tensor | ArrayLike<number>, classes: number, backend?: Backend): Tensor {
  const isTensor = labels instanceof Tensor;
  const values = isTensor ? labels.values() : labels;
  const out = new Float32Array(values.length * classes);
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ShapeError(`oneHot: label ${label} at index ${i} is outside 0..${classes - 1}`);
    }
    out[i * classes + label] = 1;
  }
  return tensor(out, { shape: [values.length, classes], backend: isTensor ? labels.backend : backend });
}
