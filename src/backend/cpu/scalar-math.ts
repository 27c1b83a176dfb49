// Scalar definitions of every element-wise op and its derivative, in float64.
// The reference backend applies these; they are the ground truth for all backends.
import { BinaryOp, UnaryOp } from '../backend.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_CUBIC = 0.044715;

/** erf(x) to about 1e-15 (series near 0, continued fraction via erfc for large |x|). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz), accurate for |x| >= 2.5.
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

export function unaryScalar(op: UnaryOp, x: number, alpha: number): number {
  switch (op) {
    case UnaryOp.Neg: return -x;
    case UnaryOp.Exp: return Math.exp(x);
    case UnaryOp.Log: return Math.log(x);
    case UnaryOp.Sqrt: return Math.sqrt(x);
    case UnaryOp.Rsqrt: return 1 / Math.sqrt(x);
    case UnaryOp.Abs: return Math.abs(x);
    case UnaryOp.Square: return x * x;
    case UnaryOp.Reciprocal: return 1 / x;
    case UnaryOp.PowScalar: return Math.pow(x, alpha);
    case UnaryOp.Relu: return x > 0 ? x : 0;
    case UnaryOp.LeakyRelu: return x > 0 ? x : alpha * x;
    case UnaryOp.Sigmoid: return 1 / (1 + Math.exp(-x));
    case UnaryOp.Tanh: return Math.tanh(x);
    case UnaryOp.Gelu: return x * normalCdf(x);
    case UnaryOp.GeluTanh: return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)));
  }
}

/** d f(x) / dx, given x and y = f(x). */
export function unaryDerivative(op: UnaryOp, x: number, y: number, alpha: number): number {
  switch (op) {
    case UnaryOp.Neg: return -1;
    case UnaryOp.Exp: return y;
    case UnaryOp.Log: return 1 / x;
    case UnaryOp.Sqrt: return 0.5 / y;
    case UnaryOp.Rsqrt: return -0.5 * y * y * y;
    case UnaryOp.Abs: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case UnaryOp.Square: return 2 * x;
    case UnaryOp.Reciprocal: return -y * y;
    case UnaryOp.PowScalar: return alpha * Math.pow(x, alpha - 1);
    case UnaryOp.Relu: return x > 0 ? 1 : 0;
    case UnaryOp.LeakyRelu: return x > 0 ? 1 : alpha;
    case UnaryOp.Sigmoid: return y * (1 - y);
    case UnaryOp.Tanh: return 1 - y * y;
    case UnaryOp.Gelu: return normalCdf(x) + x * normalPdf(x);
    case UnaryOp.GeluTanh: {
      const inner = SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x);
      const t = Math.tanh(inner);
      const dInner = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_CUBIC * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner;
    }
  }
}

export function binaryScalar(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case BinaryOp.Add: return a + b;
    case BinaryOp.Sub: return a - b;
    case BinaryOp.Mul: return a * b;
    case BinaryOp.Div: return a / b;
    case BinaryOp.Pow: return Math.pow(a, b);
    case BinaryOp.Maximum: return Math.max(a, b);
    case BinaryOp.Minimum: return Math.min(a, b);
    case BinaryOp.Greater: return a > b ? 1 : 0;
    case BinaryOp.Equal: return a === b ? 1 : 0;
  }
}
