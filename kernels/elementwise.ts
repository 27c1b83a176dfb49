// Element-wise kernels over a range [start, end) of flat indices: fill, unary (+ backward), affine, cast.
// Op codes match src/backend/wasm/op-codes.ts. The vector body handles 4 lanes, the tail goes through the same code on a splat.
import { expV, logV, normalCdfV, normalPdfV, sigmoidV, tanhV } from './math';

export const enum Unary {
  Neg = 0, Exp, Log, Sqrt, Rsqrt, Abs, Square, Reciprocal, PowScalar, Relu, LeakyRelu, Sigmoid, Tanh, Gelu, GeluTanh,
}

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

@inline function powLanes(x: v128, alpha: f64): v128 {
  let y = x;
  y = f32x4.replace_lane(y, 0, <f32>Math.pow(<f64>f32x4.extract_lane(x, 0), alpha));
  y = f32x4.replace_lane(y, 1, <f32>Math.pow(<f64>f32x4.extract_lane(x, 1), alpha));
  y = f32x4.replace_lane(y, 2, <f32>Math.pow(<f64>f32x4.extract_lane(x, 2), alpha));
  y = f32x4.replace_lane(y, 3, <f32>Math.pow(<f64>f32x4.extract_lane(x, 3), alpha));
  return y;
}

@inline function geluTanhInner(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_CUBIC), x3)));
}

@inline function unaryV(op: i32, x: v128, alpha: f32): v128 {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0);
  switch (op) {
    case Unary.Neg: return f32x4.neg(x);
    case Unary.Exp: return expV(x);
    case Unary.Log: return logV(x);
    case Unary.Sqrt: return f32x4.sqrt(x);
    case Unary.Rsqrt: return f32x4.div(one, f32x4.sqrt(x));
    case Unary.Abs: return f32x4.abs(x);
    case Unary.Square: return f32x4.mul(x, x);
    case Unary.Reciprocal: return f32x4.div(one, x);
    case Unary.PowScalar: return powLanes(x, <f64>alpha);
    case Unary.Relu: return v128.and(x, f32x4.gt(x, zero));
    case Unary.LeakyRelu: return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.gt(x, zero));
    case Unary.Sigmoid: return sigmoidV(x);
    case Unary.Tanh: return tanhV(x);
    case Unary.Gelu: return f32x4.mul(x, normalCdfV(x));
    case Unary.GeluTanh: return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, tanhV(geluTanhInner(x))));
    default: return x;
  }
}

/** d f / dx from x and y = f(x). */
@inline function derivativeV(op: i32, x: v128, y: v128, alpha: f32): v128 {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0);
  switch (op) {
    case Unary.Neg: return f32x4.splat(-1.0);
    case Unary.Exp: return y;
    case Unary.Log: return f32x4.div(one, x);
    case Unary.Sqrt: return f32x4.div(f32x4.splat(0.5), y);
    case Unary.Rsqrt: return f32x4.mul(f32x4.splat(-0.5), f32x4.mul(f32x4.mul(y, y), y));
    case Unary.Abs: {
      const pos = v128.and(f32x4.gt(x, zero), one);
      const neg = v128.and(f32x4.lt(x, zero), one);
      return f32x4.sub(pos, neg);
    }
    case Unary.Square: return f32x4.add(x, x);
    case Unary.Reciprocal: return f32x4.neg(f32x4.mul(y, y));
    case Unary.PowScalar: return f32x4.mul(f32x4.splat(alpha), powLanes(x, <f64>alpha - 1.0));
    case Unary.Relu: return v128.and(f32x4.gt(x, zero), one);
    case Unary.LeakyRelu: return v128.bitselect(one, f32x4.splat(alpha), f32x4.gt(x, zero));
    case Unary.Sigmoid: return f32x4.mul(y, f32x4.sub(one, y));
    case Unary.Tanh: return f32x4.sub(one, f32x4.mul(y, y));
    case Unary.Gelu: return f32x4.add(normalCdfV(x), f32x4.mul(x, normalPdfV(x)));
    case Unary.GeluTanh: {
      const t = tanhV(geluTanhInner(x));
      const dInner = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI),
        f32x4.add(one, f32x4.mul(f32x4.splat(3.0 * GELU_CUBIC), f32x4.mul(x, x))));
      const half = f32x4.splat(0.5);
      return f32x4.add(f32x4.mul(half, f32x4.add(one, t)),
        f32x4.mul(f32x4.mul(f32x4.mul(half, x), f32x4.sub(one, f32x4.mul(t, t))), dInner));
    }
    default: return one;
  }
}

export function fill(out: usize, start: i32, end: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), value);
}

// The op switch sits outside the loops: each case inlines a loop specialised to one op.
export function unary(op: i32, x: usize, out: usize, start: i32, end: i32, alpha: f32): void {
  switch (op) {
    case Unary.Neg: unaryLoop(Unary.Neg, x, out, start, end, alpha); return;
    case Unary.Exp: unaryLoop(Unary.Exp, x, out, start, end, alpha); return;
    case Unary.Log: unaryLoop(Unary.Log, x, out, start, end, alpha); return;
    case Unary.Sqrt: unaryLoop(Unary.Sqrt, x, out, start, end, alpha); return;
    case Unary.Rsqrt: unaryLoop(Unary.Rsqrt, x, out, start, end, alpha); return;
    case Unary.Abs: unaryLoop(Unary.Abs, x, out, start, end, alpha); return;
    case Unary.Square: unaryLoop(Unary.Square, x, out, start, end, alpha); return;
    case Unary.Reciprocal: unaryLoop(Unary.Reciprocal, x, out, start, end, alpha); return;
    case Unary.PowScalar: unaryLoop(Unary.PowScalar, x, out, start, end, alpha); return;
    case Unary.Relu: unaryLoop(Unary.Relu, x, out, start, end, alpha); return;
    case Unary.LeakyRelu: unaryLoop(Unary.LeakyRelu, x, out, start, end, alpha); return;
    case Unary.Sigmoid: unaryLoop(Unary.Sigmoid, x, out, start, end, alpha); return;
    case Unary.Tanh: unaryLoop(Unary.Tanh, x, out, start, end, alpha); return;
    case Unary.Gelu: unaryLoop(Unary.Gelu, x, out, start, end, alpha); return;
    case Unary.GeluTanh: unaryLoop(Unary.GeluTanh, x, out, start, end, alpha); return;
    default: unaryLoop(-1, x, out, start, end, alpha);
  }
}

@inline function unaryLoop(op: i32, x: usize, out: usize, start: i32, end: i32, alpha: f32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unaryV(op, v128.load(x + o), alpha));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(unaryV(op, v128.load32_splat(x + o), alpha), 0));
  }
}

export function unaryBackward(op: i32, x: usize, y: usize, dy: usize, dx: usize, start: i32, end: i32, alpha: f32): void {
  switch (op) {
    case Unary.Neg: unaryBackwardLoop(Unary.Neg, x, y, dy, dx, start, end, alpha); return;
    case Unary.Exp: unaryBackwardLoop(Unary.Exp, x, y, dy, dx, start, end, alpha); return;
    case Unary.Log: unaryBackwardLoop(Unary.Log, x, y, dy, dx, start, end, alpha); return;
    case Unary.Sqrt: unaryBackwardLoop(Unary.Sqrt, x, y, dy, dx, start, end, alpha); return;
    case Unary.Rsqrt: unaryBackwardLoop(Unary.Rsqrt, x, y, dy, dx, start, end, alpha); return;
    case Unary.Abs: unaryBackwardLoop(Unary.Abs, x, y, dy, dx, start, end, alpha); return;
    case Unary.Square: unaryBackwardLoop(Unary.Square, x, y, dy, dx, start, end, alpha); return;
    case Unary.Reciprocal: unaryBackwardLoop(Unary.Reciprocal, x, y, dy, dx, start, end, alpha); return;
    case Unary.PowScalar: unaryBackwardLoop(Unary.PowScalar, x, y, dy, dx, start, end, alpha); return;
    case Unary.Relu: unaryBackwardLoop(Unary.Relu, x, y, dy, dx, start, end, alpha); return;
    case Unary.LeakyRelu: unaryBackwardLoop(Unary.LeakyRelu, x, y, dy, dx, start, end, alpha); return;
    case Unary.Sigmoid: unaryBackwardLoop(Unary.Sigmoid, x, y, dy, dx, start, end, alpha); return;
    case Unary.Tanh: unaryBackwardLoop(Unary.Tanh, x, y, dy, dx, start, end, alpha); return;
    case Unary.Gelu: unaryBackwardLoop(Unary.Gelu, x, y, dy, dx, start, end, alpha); return;
    case Unary.GeluTanh: unaryBackwardLoop(Unary.GeluTanh, x, y, dy, dx, start, end, alpha); return;
    default: unaryBackwardLoop(-1, x, y, dy, dx, start, end, alpha);
  }
}

@inline function unaryBackwardLoop(op: i32, x: usize, y: usize, dy: usize, dx: usize, start: i32, end: i32, alpha: f32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const d = derivativeV(op, v128.load(x + o), v128.load(y + o), alpha);
    v128.store(dx + o, f32x4.mul(d, v128.load(dy + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const d = derivativeV(op, v128.load32_splat(x + o), v128.load32_splat(y + o), alpha);
    store<f32>(dx + o, f32x4.extract_lane(d, 0) * load<f32>(dy + o));
  }
}

export function affine(x: usize, out: usize, start: i32, end: i32, scale: f32, shift: f32): void {
  const s = f32x4.splat(scale);
  const t = f32x4.splat(shift);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(f32x4.mul(v128.load(x + o), s), t));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * scale + shift);
  }
}

/** toInt: float32 -> int32 truncating toward zero; else int32 -> float32. Same-type casts are plain copies. */
export function cast(x: usize, out: usize, start: i32, end: i32, mode: i32): void {
  let i = start;
  if (mode == 1) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), i32x4.trunc_sat_f32x4_s(v128.load(x + (<usize>i << 2))));
    for (; i < end; i++) store<i32>(out + (<usize>i << 2), i32x4.extract_lane(i32x4.trunc_sat_f32x4_s(v128.load32_splat(x + (<usize>i << 2))), 0));
  } else if (mode == 2) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), f32x4.convert_i32x4_s(v128.load(x + (<usize>i << 2))));
    for (; i < end; i++) store<f32>(out + (<usize>i << 2), <f32>load<i32>(x + (<usize>i << 2)));
  } else {
    memory.copy(out + (<usize>start << 2), x + (<usize>start << 2), <usize>(end - start) << 2);
  }
}
