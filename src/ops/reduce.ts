// Reductions along axes (sum, mean, max, min, argmax, variance) and sumTo, the adjoint of broadcasting.
import { ReduceOp } from '../backend/backend.js';
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { formatShape, normalizeAxes, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './create.js';
import { binary, mulScalar } from './elementwise.js';
import { BinaryOp } from '../backend/backend.js';
import { expand, rawCopy, reshape } from './movement.js';

export interface ReduceOptions {
  keepDims?: boolean;
}

/** Groups sorted axes into runs of neighbours, so (N,C,H,W) over [0,2,3] reduces as [0] and [2..3]. */
function axisRuns(axes: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  return runs;
}

/** Raw reduction without autograd: the output keeps reduced axes as size 1. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  let current = x;
  let shape = [...x.shape];
  const runs = axisRuns(axes).reverse();
  for (const [first, last] of runs) {
    const outer = sizeOf(shape.slice(0, first));
    const size = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    const nextShape = shape.map((d, i) => (i >= first && i <= last ? 1 : d));
    const out = empty(nextShape, x.dtype, x.backend);
    x.backend.reduce(op, current.buffer, out.buffer, outer, size, inner);
    if (current !== x) current.dispose();
    current = out;
    shape = nextShape;
  }
  return current === x ? rawCopy(x) : current;
}

function finish(out: Tensor, x: Tensor, axes: number[], keepDims: boolean): Tensor {
  if (keepDims) return out;
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  return reshape(out, shape);
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const list = normalizeAxes(axes, x.rank, 'sum');
  const kept = reduceRaw(ReduceOp.Sum, x, list);
  const out = finish(kept, x, list, options.keepDims ?? false);
  return record(out, 'sum', [x], (dy) => [expand(reshape(dy, kept.shape), x.shape)]);
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const list = normalizeAxes(axes, x.rank, 'mean');
  const count = list.reduce((p, a) => p * x.shape[a], 1);
  return mulScalar(sum(x, list, options), 1 / count);
}

function extreme(op: ReduceOp, name: string, x: Tensor, axes: number | readonly number[] | undefined, options: ReduceOptions): Tensor {
  const list = normalizeAxes(axes, x.rank, name);
  const kept = reduceRaw(op, x, list);
  const out = finish(kept, x, list, options.keepDims ?? false);
  return record(out, name, [x], (dy) => {
    // Gradient flows to the positions equal to the extreme, split evenly between ties.
    const mask = binary(BinaryOp.Equal, x, kept);
    const ties = reduceRaw(ReduceOp.Sum, mask, list);
    const share = binary(BinaryOp.Div, reshape(dy, kept.shape), ties);
    return [binary(BinaryOp.Mul, mask, share)];
  });
}

export function max(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return extreme(ReduceOp.Max, 'max', x, axes, options);
}

export function min(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return extreme(ReduceOp.Min, 'min', x, axes, options);
}

/** Index of the maximum along `axis` (int32, no gradient). */
export function argmax(x: Tensor, axis = -1, options: ReduceOptions = {}): Tensor {
  const [a] = normalizeAxes(axis, x.rank, 'argmax');
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const keptShape = x.shape.map((d, i) => (i === a ? 1 : d));
  const out = empty(keptShape, 'int32', x.backend);
  x.backend.argmax(x.buffer, out.buffer, outer, x.shape[a], inner);
  return options.keepDims ? out : reshape(out, x.shape.filter((_, i) => i !== a));
}

/** Variance over `axes`; `unbiased` divides by n-1. */
export function variance(x: Tensor, axes?: number | readonly number[], options: ReduceOptions & { unbiased?: boolean } = {}): Tensor {
  const list = normalizeAxes(axes, x.rank, 'variance');
  const count = list.reduce((p, a) => p * x.shape[a], 1);
  const centered = binary(BinaryOp.Sub, x, mean(x, list, { keepDims: true }));
  const squares = binary(BinaryOp.Mul, centered, centered);
  return mulScalar(sum(squares, list, options), 1 / (options.unbiased ? count - 1 : count));
}

/** Sums `x` down to `shape` (the adjoint of broadcasting `shape` to x.shape). */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const offset = x.rank - shape.length;
  if (offset < 0) throw new ShapeError(`sumTo: cannot sum ${formatShape(x.shape)} to the larger rank ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    if (i < offset || (shape[i - offset] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length === 0 ? x : sum(x, axes, { keepDims: true });
  return reshape(reduced, shape);
}
