// Matrix products: matmul for (…, m, k) @ (…, k, n) with broadcast batch axes, and its gradients,
// expressed with the kernel's transpose flags so no transposed copy is ever made.
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { noGrad } from '../tensor/engine.js';
import { broadcastShapes, formatShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './create.js';
import { expand, reshape } from './movement.js';
import { sumTo } from './reduce.js';

interface Product {
  transA: boolean;
  transB: boolean;
  accumulate?: boolean;
}

/** Raw batched product of 3-D operands with batch broadcast (batch of 1 = stride 0). */
function product(a: Tensor, b: Tensor, { transA, transB }: Product): Tensor {
  const [batchA, rowsA, colsA] = a.shape;
  const [batchB, rowsB, colsB] = b.shape;
  const m = transA ? colsA : rowsA;
  const k = transA ? rowsA : colsA;
  const n = transB ? rowsB : colsB;
  const batch = Math.max(batchA, batchB);
  const out = empty([batch, m, n], 'float32', a.backend);
  a.backend.matmul(a.buffer, b.buffer, out.buffer, {
    batch, m, n, k, transA, transB,
    aBatchStride: batchA === 1 ? 0 : rowsA * colsA,
    bBatchStride: batchB === 1 ? 0 : rowsB * colsB,
    accumulate: false,
  });
  return out;
}

/** a @ b for a (m, k) and b (k, n), or batched (…, m, k) @ (…, k, n) with broadcast batch axes. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new ShapeError(`matmul: expected float32 tensors, got ${a.dtype} and ${b.dtype}`);
  if (a.rank === 0 || b.rank === 0) throw new ShapeError(`matmul: scalars cannot be multiplied as matrices (${formatShape(a.shape)} @ ${formatShape(b.shape)})`);
  if (a.rank === 1) return reshape(matmul(reshape(a, [1, a.size]), b), b.rank === 1 ? [] : [...b.shape.slice(0, -2), b.shape[b.rank - 1]]);
  if (b.rank === 1) return reshape(matmul(a, reshape(b, [b.size, 1])), a.shape.slice(0, -1));
  const k = a.shape[a.rank - 1];
  if (b.shape[b.rank - 2] !== k) {
    throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)} (${k} vs ${b.shape[b.rank - 2]})`);
  }
  const m = a.shape[a.rank - 2];
  const n = b.shape[b.rank - 1];
  if (b.rank === 2) {
    // Shared weight: fold a's batch axes into rows, one product. (B, T, k) @ (k, n) -> (B*T, k) @ (k, n)
    const rows = sizeOf(a.shape.slice(0, -1));
    const out = noGrad(() => reshape(product(reshape(a, [1, rows, k]), reshape(b, [1, k, n]), { transA: false, transB: false }), [...a.shape.slice(0, -1), n]));
    return record(out, 'matmul', [a, b], (dy) => {
      const dy3 = reshape(dy, [1, rows, n]);
      const da = a.requiresGrad ? reshape(product(dy3, reshape(b, [1, k, n]), { transA: false, transB: true }), a.shape) : null;
      const db = b.requiresGrad ? reshape(product(reshape(a, [1, rows, k]), dy3, { transA: true, transB: false }), b.shape) : null;
      return [da, db];
    });
  }
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const batch = sizeOf(batchShape);
  const aBatch = sizeOf(a.shape.slice(0, -2));
  const bBatch = sizeOf(b.shape.slice(0, -2));
  const [a3, b3, out] = noGrad(() => {
    const aFull = aBatch === batch || aBatch === 1 ? a : expand(a, [...batchShape, m, k]);
    const bFull = bBatch === batch || bBatch === 1 ? b : expand(b, [...batchShape, k, n]);
    const a3d = reshape(aFull, [aFull === a ? aBatch : batch, m, k]);
    const b3d = reshape(bFull, [bFull === b ? bBatch : batch, k, n]);
    return [a3d, b3d, reshape(product(a3d, b3d, { transA: false, transB: false }), [...batchShape, m, n])];
  });
  return record(out, 'matmul', [a, b], (dy) => {
    const dy3 = reshape(dy, [batch, m, n]);
    const da = a.requiresGrad
      ? sumTo(reshape(product(dy3, b3, { transA: false, transB: true }), [...batchShape, m, k]), a.shape)
      : null;
    const db = b.requiresGrad
      ? sumTo(reshape(product(a3, dy3, { transA: true, transB: false }), [...batchShape, k, n]), b.shape)
      : null;
    return [da, db];
  });
}
