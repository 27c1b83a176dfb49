// Element-wise ops: unary functions and broadcasting binary arithmetic, each with its chain rule.
import { BinaryOp, UnaryOp, type BroadcastPlan } from '../backend/backend.js';
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, broadcastStrides, formatShape, mergeAxes, sameShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, scalar } from './create.js';
import { sumTo } from './reduce.js';

function assertFloat(x: Tensor, op: string): void {
  if (x.dtype !== 'float32') throw new ShapeError(`${op}: expected a float32 tensor, got ${x.dtype} ${formatShape(x.shape)}`);
}

/** y = f(x) for one of the element-wise functions, differentiable. */
export function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  assertFloat(x, op);
  const out = empty(x.shape, 'float32', x.backend);
  x.backend.unary(op, x.buffer, out.buffer, alpha);
  return record(out, op, [x], (dy) => {
    const dx = empty(x.shape, 'float32', x.backend);
    x.backend.unaryBackward(op, x.buffer, out.buffer, dy.buffer, dx.buffer, alpha);
    return [dx];
  });
}

/** y = x * scale + shift, differentiable. */
export function affine(x: Tensor, scale: number, shift: number): Tensor {
  assertFloat(x, 'affine');
  const out = empty(x.shape, 'float32', x.backend);
  x.backend.affine(x.buffer, out.buffer, scale, shift);
  return record(out, 'affine', [x], (dy) => [scale === 1 ? dy : affine(dy, scale, 0)]);
}

export function addScalar(x: Tensor, value: number): Tensor {
  return affine(x, 1, value);
}

export function mulScalar(x: Tensor, value: number): Tensor {
  return affine(x, value, 0);
}

const planCache = new Map<string, BroadcastPlan>();

function planFor(a: Tensor, b: Tensor, op: string): BroadcastPlan {
  if (sameShape(a.shape, b.shape)) {
    const n = a.size;
    return { shape: [n], aStrides: [1], bStrides: [1] };
  }
  const key = `${a.shape.join(',')}|${b.shape.join(',')}`;
  const cached = planCache.get(key);
  if (cached !== undefined) return cached;
  const shape = broadcastShapes(a.shape, b.shape, op);
  const merged = mergeAxes(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  const plan = { shape: merged.shape, aStrides: merged.strides[0], bStrides: merged.strides[1] };
  if (planCache.size > 1000) planCache.clear();
  planCache.set(key, plan);
  return plan;
}

function outputShape(a: Tensor, b: Tensor, op: string): readonly number[] {
  return sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, op);
}

/** Raw broadcast binary op without autograd. */
function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) {
    throw new ShapeError(`${op}: dtypes differ (${a.dtype} ${formatShape(a.shape)} vs ${b.dtype} ${formatShape(b.shape)})`);
  }
  if (a.backend !== b.backend) throw new ShapeError(`${op}: tensors live on different backends (${a.backend.name} and ${b.backend.name})`);
  const shape = outputShape(a, b, op);
  const out = empty(shape, a.dtype, a.backend);
  if (sizeOf(shape) > 0) a.backend.binary(op, a.buffer, b.buffer, out.buffer, planFor(a, b, op));
  return out;
}

/** out = a op b with NumPy broadcasting; differentiable for arithmetic, not for comparisons. */
export function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw(op, a, b);
  if (op === BinaryOp.Greater || op === BinaryOp.Equal) return out;
  return record(out, op, [a, b], (dy) => binaryGradients(op, a, b, out, dy));
}

function binaryGradients(op: BinaryOp, a: Tensor, b: Tensor, out: Tensor, dy: Tensor): (Tensor | null)[] {
  const need = (t: Tensor) => t.requiresGrad;
  switch (op) {
    case BinaryOp.Add:
      return [need(a) ? sumTo(dy, a.shape) : null, need(b) ? sumTo(dy, b.shape) : null];
    case BinaryOp.Sub:
      return [need(a) ? sumTo(dy, a.shape) : null, need(b) ? sumTo(mulScalar(dy, -1), b.shape) : null];
    case BinaryOp.Mul:
      return [need(a) ? sumTo(binaryRaw(BinaryOp.Mul, dy, b), a.shape) : null, need(b) ? sumTo(binaryRaw(BinaryOp.Mul, dy, a), b.shape) : null];
    case BinaryOp.Div: {
      const da = need(a) ? sumTo(binaryRaw(BinaryOp.Div, dy, b), a.shape) : null;
      // d(a/b)/db = -(a/b)/b = -out/b
      const db = need(b) ? sumTo(mulScalar(binaryRaw(BinaryOp.Mul, dy, binaryRaw(BinaryOp.Div, out, b)), -1), b.shape) : null;
      return [da, db];
    }
    case BinaryOp.Pow: {
      // d(a^b)/da = b * a^(b-1) = b * out / a; d(a^b)/db = out * log(a)
      const da = need(a) ? sumTo(binaryRaw(BinaryOp.Mul, dy, binaryRaw(BinaryOp.Mul, b, binaryRaw(BinaryOp.Pow, a, affine(b, 1, -1)))), a.shape) : null;
      const db = need(b) ? sumTo(binaryRaw(BinaryOp.Mul, dy, binaryRaw(BinaryOp.Mul, out, unary(UnaryOp.Log, a))), b.shape) : null;
      return [da, db];
    }
    case BinaryOp.Maximum:
    case BinaryOp.Minimum: {
      // The winner takes the gradient; ties split it evenly.
      const aWins = op === BinaryOp.Maximum ? binaryRaw(BinaryOp.Greater, a, b) : binaryRaw(BinaryOp.Greater, b, a);
      const tie = binaryRaw(BinaryOp.Equal, a, b);
      const aShare = binaryRaw(BinaryOp.Add, aWins, mulScalar(tie, 0.5));
      const bShare = affine(aShare, -1, 1);
      return [need(a) ? sumTo(binaryRaw(BinaryOp.Mul, dy, aShare), a.shape) : null, need(b) ? sumTo(binaryRaw(BinaryOp.Mul, dy, bShare), b.shape) : null];
    }
    default:
      return [null, null];
  }
}

/** Accepts a number where a tensor is expected, making a scalar on the other operand's backend. */
export function asTensor(value: Tensor | number, like: Tensor): Tensor {
  return typeof value === 'number' ? scalar(value, like.dtype, like.backend) : value;
}

export function add(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? addScalar(a, b) : binary(BinaryOp.Add, a, b);
}

export function sub(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? addScalar(a, -b) : binary(BinaryOp.Sub, a, b);
}

export function mul(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? mulScalar(a, b) : binary(BinaryOp.Mul, a, b);
}

export function div(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? mulScalar(a, 1 / b) : binary(BinaryOp.Div, a, b);
}

export function pow(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number') {
    if (b === 2) return unary(UnaryOp.Square, a);
    if (b === 0.5) return unary(UnaryOp.Sqrt, a);
    return unary(UnaryOp.PowScalar, a, b);
  }
  return binary(BinaryOp.Pow, a, b);
}

export function maximum(a: Tensor, b: Tensor | number): Tensor {
  return binary(BinaryOp.Maximum, a, asTensor(b, a));
}

export function minimum(a: Tensor, b: Tensor | number): Tensor {
  return binary(BinaryOp.Minimum, a, asTensor(b, a));
}

/** 1 where a > b, else 0 (no gradient). */
export function greater(a: Tensor, b: Tensor | number): Tensor {
  return binary(BinaryOp.Greater, a, asTensor(b, a));
}

/** 1 where a == b, else 0 (no gradient). */
export function equal(a: Tensor, b: Tensor | number): Tensor {
  return binary(BinaryOp.Equal, a, asTensor(b, a));
}

export const neg = (x: Tensor): Tensor => unary(UnaryOp.Neg, x);
export const exp = (x: Tensor): Tensor => unary(UnaryOp.Exp, x);
export const log = (x: Tensor): Tensor => unary(UnaryOp.Log, x);
export const sqrt = (x: Tensor): Tensor => unary(UnaryOp.Sqrt, x);
export const rsqrt = (x: Tensor): Tensor => unary(UnaryOp.Rsqrt, x);
export const abs = (x: Tensor): Tensor => unary(UnaryOp.Abs, x);
export const square = (x: Tensor): Tensor => unary(UnaryOp.Square, x);
export const reciprocal = (x: Tensor): Tensor => unary(UnaryOp.Reciprocal, x);
export const relu = (x: Tensor): Tensor => unary(UnaryOp.Relu, x);
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => unary(UnaryOp.LeakyRelu, x, slope);
export const sigmoid = (x: Tensor): Tensor => unary(UnaryOp.Sigmoid, x);
export const tanh = (x: Tensor): Tensor => unary(UnaryOp.Tanh, x);
/** GELU; `approximate: 'tanh'` uses the tanh formula (as PyTorch's approximate='tanh'). */
export const gelu = (x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor =>
  unary(options.approximate === 'tanh' ? UnaryOp.GeluTanh : UnaryOp.Gelu, x);
