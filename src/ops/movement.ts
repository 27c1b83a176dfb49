// Moving data without arithmetic: reshape (a view), expand, permute/transpose, slice, concat,
// pad and gather, all through the backend's strided copy, with their adjoints as gradients.
import type { StridedCopy } from '../backend/backend.js';
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { broadcastStrides, formatShape, mergeAxes, normalizeAxis, resolveReshape, sameShape, sizeOf, stridesOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, zeros } from './create.js';
import { sumTo } from './reduce.js';
import { bumpVersion } from './versions.js';

function copyPlan(shape: Shape, srcStrides: readonly number[], srcOffset: number, dstStrides: readonly number[], dstOffset: number, accumulate = false): StridedCopy {
  const merged = mergeAxes(shape, [srcStrides, dstStrides]);
  return { shape: merged.shape, srcStrides: merged.strides[0], srcOffset, dstStrides: merged.strides[1], dstOffset, accumulate };
}

/** A copy of `x` with its own memory (differentiable). */
export function clone(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype, x.backend);
  if (x.size > 0) x.backend.stridedCopy(x.buffer, out.buffer, { shape: [x.size], srcStrides: [1], srcOffset: 0, dstStrides: [1], dstOffset: 0, accumulate: false });
  return record(out, 'clone', [x], (dy) => [dy]);
}

/** The same values cut off from the graph (shares memory). */
export function detach(x: Tensor): Tensor {
  return new Tensor(x.storage.retain(), x.shape, x.dtype);
}

/** Same memory, new shape (one -1 allowed). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = shape.includes(-1) ? resolveReshape(x.shape, shape) : shape;
  if (sizeOf(target) !== x.size) {
    throw new ShapeError(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  const out = new Tensor(x.storage.retain(), target, x.dtype);
  return record(out, 'reshape', [x], (dy) => [reshape(dy, x.shape)]);
}

/** Flattens axes from `startAxis` on: (N, C, H, W) -> (N, C*H*W) by default. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  const start = normalizeAxis(startAxis, x.rank, 'flatten');
  return reshape(x, [...x.shape.slice(0, start), sizeOf(x.shape.slice(start))]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normalizeAxis(axis, x.rank, 'squeeze');
  if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${axis} of ${formatShape(x.shape)} has size ${x.shape[a]}, expected 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Broadcasts `x` to `shape` (materialised). Gradient: sum back over the broadcast axes. */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const out = empty(shape, x.dtype, x.backend);
  if (out.size > 0) x.backend.stridedCopy(x.buffer, out.buffer, copyPlan(shape, broadcastStrides(x.shape, shape), 0, stridesOf(shape), 0));
  return record(out, 'expand', [x], (dy) => [sumTo(dy, x.shape)]);
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new ShapeError(`permute: ${formatShape(perm)} is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}`);
  }
  const shape = perm.map((p) => x.shape[p]);
  const inStrides = stridesOf(x.shape);
  const out = empty(shape, x.dtype, x.backend);
  if (out.size > 0) x.backend.stridedCopy(x.buffer, out.buffer, copyPlan(shape, perm.map((p) => inStrides[p]), 0, stridesOf(shape), 0));
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => { inverse[p] = i; });
  return record(out, 'permute', [x], (dy) => [permute(dy, inverse)]);
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const a = normalizeAxis(axis0, x.rank, 'transpose');
  const b = normalizeAxis(axis1, x.rank, 'transpose');
  const perm = Array.from({ length: x.rank }, (_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/** Copies `x` into a region of a zero tensor of `shape` starting at `starts` (adjoint of slice). */
function placeInto(x: Tensor, shape: Shape, starts: readonly number[]): Tensor {
  const out = zeros(shape, x.dtype, x.backend);
  const strides = stridesOf(shape);
  const offset = starts.reduce((p, s, i) => p + s * strides[i], 0);
  if (x.size > 0) x.backend.stridedCopy(x.buffer, out.buffer, copyPlan(x.shape, stridesOf(x.shape), 0, strides, offset));
  return out;
}

/** Raw copy of the box [starts, starts + sizes) of x. */
function cutOut(x: Tensor, starts: readonly number[], sizes: readonly number[]): Tensor {
  const strides = stridesOf(x.shape);
  const offset = starts.reduce((p, s, i) => p + s * strides[i], 0);
  const out = empty(sizes, x.dtype, x.backend);
  if (out.size > 0) x.backend.stridedCopy(x.buffer, out.buffer, copyPlan(sizes, strides, offset, stridesOf(sizes), 0));
  return out;
}

/**
 * The box starting at `starts` with `sizes` (-1 = to the end) along each axis; axes not
 * listed are taken whole.
 */
export function slice(x: Tensor, starts: readonly number[], sizes?: readonly number[]): Tensor {
  const begin = x.shape.map((_, i) => starts[i] ?? 0);
  const extent = x.shape.map((d, i) => {
    const s = sizes?.[i] ?? -1;
    return s === -1 ? d - begin[i] : s;
  });
  for (let i = 0; i < x.rank; i++) {
    if (begin[i] < 0 || extent[i] < 0 || begin[i] + extent[i] > x.shape[i]) {
      throw new ShapeError(`slice: start ${formatShape(begin)} with size ${formatShape(extent)} is outside ${formatShape(x.shape)} (axis ${i})`);
    }
  }
  const out = cutOut(x, begin, extent);
  return record(out, 'slice', [x], (dy) => [placeInto(dy, x.shape, begin)]);
}

/** Joins tensors along `axis`; all other axes must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = tensors[0];
  const a = normalizeAxis(axis, first.rank, 'concat');
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside axis ${axis}`);
    }
  }
  const shape = [...first.shape];
  shape[a] = tensors.reduce((p, t) => p + t.shape[a], 0);
  const out = empty(shape, first.dtype, first.backend);
  const strides = stridesOf(shape);
  const starts: number[] = [];
  let position = 0;
  for (const t of tensors) {
    starts.push(position);
    if (t.size > 0) t.backend.stridedCopy(t.buffer, out.buffer, copyPlan(t.shape, stridesOf(t.shape), 0, strides, position * strides[a]));
    position += t.shape[a];
  }
  return record(out, 'concat', tensors, (dy) => tensors.map((t, i) => {
    const begin = shape.map((_, k) => (k === a ? starts[i] : 0));
    return cutOut(dy, begin, t.shape);
  }));
}

/** Stacks same-shape tensors along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  return concat(tensors.map((t) => unsqueeze(t, axis)), axis);
}

/** Zero padding: `padding[i] = [before, after]` for each axis (missing axes unpadded). */
export function pad(x: Tensor, padding: readonly (readonly [number, number])[]): Tensor {
  const widths = x.shape.map((_, i) => padding[i] ?? [0, 0]);
  if (widths.some(([b, e]) => b < 0 || e < 0 || !Number.isInteger(b) || !Number.isInteger(e))) {
    throw new ShapeError(`pad: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
  }
  const shape = x.shape.map((d, i) => d + widths[i][0] + widths[i][1]);
  const begin = widths.map(([b]) => b);
  const out = placeInto(x, shape, begin);
  return record(out, 'pad', [x], (dy) => [cutOut(dy, begin, x.shape)]);
}

/** Picks entries along `axis` by int32 `indices` (1-D): out.shape[axis] = indices.size. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== 'int32') throw new ShapeError(`gather: indices must be int32, got ${indices.dtype}`);
  const a = normalizeAxis(axis, x.rank, 'gather');
  const flatIndices = indices.rank === 1 ? indices : reshape(indices, [indices.size]);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  const out = empty(shape, x.dtype, x.backend);
  x.backend.gather(x.buffer, flatIndices.buffer, out.buffer, outer, x.shape[a], inner);
  return record(out, 'gather', [x], (dy) => {
    const dx = zeros(x.shape, x.dtype, x.backend);
    x.backend.scatterAdd(dy.buffer, flatIndices.buffer, dx.buffer, outer, x.shape[a], inner);
    return [dx];
  });
}

/** A copy with its own memory and no graph (used where an op must not alias its input). */
export function rawCopy(x: Tensor): Tensor {
  return cutOut(x, x.shape.map(() => 0), x.shape);
}

/** Overwrites `target`'s values with `source`'s (same shape), in place and outside the graph. */
export function assign(target: Tensor, source: Tensor): void {
  if (!sameShape(target.shape, source.shape)) {
    throw new ShapeError(`assign: source ${formatShape(source.shape)} does not match target ${formatShape(target.shape)}`);
  }
  if (target.size > 0) target.backend.stridedCopy(source.buffer, target.buffer, { shape: [target.size], srcStrides: [1], srcOffset: 0, dstStrides: [1], dstOffset: 0, accumulate: false });
  bumpVersion(target.buffer);
}
