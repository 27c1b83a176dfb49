// Integer codes the AssemblyScript kernels use for the Backend's string enums (kernels/*.ts `const enum`s).
// Order must match kernels/elementwise.ts (Unary), kernels/binary.ts (Binary) and kernels/reduce.ts (Reduce).
import { BinaryOp, ReduceOp, UnaryOp } from '../backend.js';

export const unaryCode: Readonly<Record<UnaryOp, number>> = {
  [UnaryOp.Neg]: 0,
  [UnaryOp.Exp]: 1,
  [UnaryOp.Log]: 2,
  [UnaryOp.Sqrt]: 3,
  [UnaryOp.Rsqrt]: 4,
  [UnaryOp.Abs]: 5,
  [UnaryOp.Square]: 6,
  [UnaryOp.Reciprocal]: 7,
  [UnaryOp.PowScalar]: 8,
  [UnaryOp.Relu]: 9,
  [UnaryOp.LeakyRelu]: 10,
  [UnaryOp.Sigmoid]: 11,
  [UnaryOp.Tanh]: 12,
  [UnaryOp.Gelu]: 13,
  [UnaryOp.GeluTanh]: 14,
};

/** Unary ops whose kernel is a few instructions per element (the rest call exp/log/pow). */
export const cheapUnary: ReadonlySet<UnaryOp> = new Set([
  UnaryOp.Neg, UnaryOp.Abs, UnaryOp.Square, UnaryOp.Relu, UnaryOp.LeakyRelu, UnaryOp.Sqrt, UnaryOp.Rsqrt, UnaryOp.Reciprocal,
]);

export const binaryCode: Readonly<Record<BinaryOp, number>> = {
  [BinaryOp.Add]: 0,
  [BinaryOp.Sub]: 1,
  [BinaryOp.Mul]: 2,
  [BinaryOp.Div]: 3,
  [BinaryOp.Pow]: 4,
  [BinaryOp.Maximum]: 5,
  [BinaryOp.Minimum]: 6,
  [BinaryOp.Greater]: 7,
  [BinaryOp.Equal]: 8,
};

export const reduceCode: Readonly<Record<ReduceOp, number>> = {
  [ReduceOp.Sum]: 0,
  [ReduceOp.Max]: 1,
  [ReduceOp.Min]: 2,
};
