// Creating tensors: from nested arrays or typed arrays, constants, ranges and seeded random fills.
import type { Backend, DType } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { getBackend, globalRandom } from '../tensor/engine.js';
import type { Random } from '../tensor/random.js';
import { formatShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Storage, Tensor, type NestedArray } from '../tensor/tensor.js';

export interface TensorOptions {
  shape?: Shape;
  dtype?: DType;
  requiresGrad?: boolean;
  backend?: Backend;
}

/** An uninitialised tensor (used by ops; contents are whatever the allocator returns). */
export function empty(shape: Shape, dtype: DType = 'float32', backend: Backend = getBackend()): Tensor {
  return new Tensor(new Storage(backend, backend.alloc(sizeOf(shape), dtype)), shape, dtype);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], axis: number, out: number[]): void {
  if (axis === shape.length) {
    if (typeof data !== 'number') throw new ShapeError(`tensor: ragged nested array (expected a number at depth ${axis})`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[axis]) {
    throw new ShapeError(`tensor: ragged nested array (expected ${shape[axis]} items at depth ${axis}, inferred shape ${formatShape(shape)})`);
  }
  for (const item of data) flatten(item, shape, axis + 1, out);
}

type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array | number[];

/** Makes a tensor from a number, nested arrays or a typed array (with `shape`). */
export function tensor(data: NestedArray | NumericArray, options: TensorOptions = {}): Tensor {
  let values: ArrayLike<number>;
  let shape: number[];
  if (ArrayBuffer.isView(data) || (Array.isArray(data) && options.shape !== undefined)) {
    values = data as ArrayLike<number>;
    shape = options.shape ? [...options.shape] : [values.length];
  } else {
    shape = inferShape(data as NestedArray);
    const flat: number[] = [];
    flatten(data as NestedArray, shape, 0, flat);
    values = flat;
    if (options.shape) {
      if (sizeOf(options.shape) !== flat.length) {
        throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${formatShape(options.shape)}`);
      }
      shape = [...options.shape];
    }
  }
  if (sizeOf(shape) !== values.length) {
    throw new ShapeError(`tensor: ${values.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const dtype = options.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  const out = empty(shape, dtype, options.backend);
  out.backend.write(out.buffer, values);
  if (options.requiresGrad) out.requiresGrad = true;
  return out;
}

export function full(shape: Shape, value: number, dtype: DType = 'float32', backend?: Backend): Tensor {
  const out = empty(shape, dtype, backend);
  out.backend.fill(out.buffer, value);
  return out;
}

export function zeros(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
  return full(shape, 0, dtype, backend);
}

export function ones(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
  return full(shape, 1, dtype, backend);
}

export function scalar(value: number, dtype: DType = 'float32', backend?: Backend): Tensor {
  return full([], value, dtype, backend);
}

export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype, t.backend);
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t.dtype, t.backend);
}

/** 0, 1, ..., n-1 (or start..end by step). */
export function arange(start: number, end?: number, step = 1, dtype: DType = 'float32'): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const count = Math.max(0, Math.ceil((to - from) / step));
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = from + i * step;
  return tensor(values, { shape: [count], dtype });
}

/** Uniform [low, high) values from the seeded generator (global unless `rng` is given). */
export function rand(shape: Shape, low = 0, high = 1, rng: Random = globalRandom()): Tensor {
  const values = new Float64Array(sizeOf(shape));
  rng.fillUniform(values, low, high);
  return tensor(values, { shape });
}

/** Normal(mean, std) values from the seeded generator (global unless `rng` is given). */
export function randn(shape: Shape, mean = 0, std = 1, rng: Random = globalRandom()): Tensor {
  const values = new Float64Array(sizeOf(shape));
  rng.fillNormal(values, mean, std);
  return tensor(values, { shape });
}
