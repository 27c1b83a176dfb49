// Parity of the wasm element-wise, reduction and movement kernels with the float64 reference backend,
// on odd sizes (1, 3, 17, 31, 257, ...), with one thread, all threads, and every call forced to split.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BinaryOp, ReduceOp, UnaryOp, type BroadcastPlan } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

const sizes = [1, 3, 17, 31, 257, 4099];

/** Inputs inside each op's domain. */
function domain(op: UnaryOp): [number, number] {
  switch (op) {
    case UnaryOp.Log: case UnaryOp.Sqrt: case UnaryOp.Rsqrt: case UnaryOp.PowScalar: return [0.01, 10];
    case UnaryOp.Exp: return [-80, 80];
    case UnaryOp.Sigmoid: case UnaryOp.Tanh: case UnaryOp.Gelu: case UnaryOp.GeluTanh: return [-12, 12];
    default: return [-5, 5];
  }
}

/** Broadcast plan of two shapes (right-aligned). */
function broadcast(a: number[], b: number[]): BroadcastPlan {
  const rank = Math.max(a.length, b.length);
  const pad = (s: number[]): number[] => [...Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(a), pad(b)];
  const strides = (s: number[]): number[] => {
    const out = new Array<number>(rank).fill(0);
    let step = 1;
    for (let i = rank - 1; i >= 0; i--) { out[i] = s[i] === 1 ? 0 : step; step *= s[i]; }
    return out;
  };
  return { shape: pa.map((d, i) => Math.max(d, pb[i])), aStrides: strides(pa), bStrides: strides(pb) };
}

describe.each(threadSettings)('wasm element-wise kernels, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  it('fill, affine and cast', () => {
    for (const n of sizes) {
      const [xw, xc] = pair(wasm, random(n, n, -100, 100));
      const [ow, oc] = [wasm.alloc(n, 'float32'), cpu.alloc(n, 'float32')];
      wasm.fill(ow, 0.5); cpu.fill(oc, 0.5);
      expectClose(wasm.read(ow), cpu.read(oc), `fill n=${n}`);
      wasm.affine(xw, ow, 1.5, -0.25); cpu.affine(xc, oc, 1.5, -0.25);
      expectClose(wasm.read(ow), cpu.read(oc), `affine n=${n}`);
      wasm.affine(xw, xw, 2, 1); cpu.affine(xc, xc, 2, 1);
      expectClose(wasm.read(xw), cpu.read(xc), `affine in place n=${n}`);
      const [iw, ic] = [wasm.alloc(n, 'int32'), cpu.alloc(n, 'int32')];
      wasm.cast(xw, iw); cpu.cast(xc, ic);
      expectClose(wasm.read(iw), cpu.read(ic), `cast to int32 n=${n}`, 0, 0);
      wasm.cast(iw, ow); cpu.cast(ic, oc);
      expectClose(wasm.read(ow), cpu.read(oc), `cast to float32 n=${n}`, 0, 0);
    }
  });

  it.each(Object.values(UnaryOp))('unary %s and its backward', (op) => {
    const [lo, hi] = domain(op);
    const alpha = op === UnaryOp.PowScalar ? 1.7 : 0.1;
    for (const n of sizes) {
      const [xw, xc] = pair(wasm, random(n, n + 7, lo, hi));
      const [yw, yc] = [wasm.alloc(n, 'float32'), cpu.alloc(n, 'float32')];
      wasm.unary(op, xw, yw, alpha); cpu.unary(op, xc, yc, alpha);
      expectClose(wasm.read(yw), cpu.read(yc), `${op} n=${n}`, 4e-6, 1e-6);
      // Backward: the same y on both sides, so only the derivative kernel is compared.
      const y = wasm.read(yw);
      const [y2w, y2c] = pair(wasm, y);
      const [dyw, dyc] = pair(wasm, random(n, n + 11));
      const [dxw, dxc] = [wasm.alloc(n, 'float32'), cpu.alloc(n, 'float32')];
      wasm.unaryBackward(op, xw, y2w, dyw, dxw, alpha); cpu.unaryBackward(op, xc, y2c, dyc, dxc, alpha);
      expectClose(wasm.read(dxw), cpu.read(dxc), `${op} backward n=${n}`, 1e-5, 1e-6);
    }
  });

  it('unary handles infinities, zeros and NaN like the reference', () => {
    const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 100, -100, 89, -88];
    for (const op of [UnaryOp.Exp, UnaryOp.Log, UnaryOp.Tanh, UnaryOp.Sigmoid, UnaryOp.Relu, UnaryOp.Abs, UnaryOp.Sqrt]) {
      const [xw, xc] = pair(wasm, special);
      const [yw, yc] = [wasm.alloc(special.length, 'float32'), cpu.alloc(special.length, 'float32')];
      wasm.unary(op, xw, yw, 0); cpu.unary(op, xc, yc, 0);
      const expected = Float32Array.from(cpu.read(yc));
      // Results below the smallest normal float32 (exp(-88)) are flushed to 0, hence the tiny atol.
      expectClose(wasm.read(yw), expected, `${op} on special values`, 4e-6, 1.2e-38);
    }
  });

  it.each(Object.values(BinaryOp))('binary %s under broadcasting', (op) => {
    const cases: Array<[number[], number[]]> = [
      [[257], [257]], [[1], [31]], [[31], [1]], [[17, 31], [31]], [[17, 31], [17, 1]], [[3, 1, 5], [1, 4, 1]],
      [[2, 3, 4, 5], [2, 1, 4, 1]], [[5, 9, 3], [5, 9, 3]],
    ];
    for (const [sa, sb] of cases) {
      const plan = broadcast(sa, sb);
      const n = plan.shape.reduce((p, d) => p * d, 1);
      const positive = op === BinaryOp.Pow;
      const a = random(sa.reduce((p, d) => p * d, 1), n, positive ? 0.1 : -3, 3);
      const b = random(sb.reduce((p, d) => p * d, 1), n + 1, -3, 3);
      if (op === BinaryOp.Equal) for (let i = 0; i < Math.min(a.length, b.length); i += 2) a[i] = b[i];
      const [aw, ac] = pair(wasm, a);
      const [bw, bc] = pair(wasm, b);
      const [ow, oc] = [wasm.alloc(n, 'float32'), cpu.alloc(n, 'float32')];
      wasm.binary(op, aw, bw, ow, plan); cpu.binary(op, ac, bc, oc, plan);
      expectClose(wasm.read(ow), Float32Array.from(cpu.read(oc)), `${op} ${sa} by ${sb}`, 2e-6, 1e-6);
    }
  });

  it.each(Object.values(ReduceOp))('reduce %s over the middle axis, and argmax', (op) => {
    const shapes: Array<[number, number, number]> = [
      [1, 1, 1], [1, 257, 1], [3, 17, 1], [1, 31, 17], [17, 3, 31], [5, 257, 9], [2, 1, 4099], [64, 10, 1], [1, 100000, 1],
    ];
    for (const [outer, size, inner] of shapes) {
      const [xw, xc] = pair(wasm, random(outer * size * inner, outer + size + inner, -10, 10));
      const [ow, oc] = [wasm.alloc(outer * inner, 'float32'), cpu.alloc(outer * inner, 'float32')];
      wasm.reduce(op, xw, ow, outer, size, inner); cpu.reduce(op, xc, oc, outer, size, inner);
      expectClose(wasm.read(ow), cpu.read(oc), `${op} (${outer},${size},${inner})`, 1e-6, 1e-5);
      const [iw, ic] = [wasm.alloc(outer * inner, 'int32'), cpu.alloc(outer * inner, 'int32')];
      wasm.argmax(xw, iw, outer, size, inner); cpu.argmax(xc, ic, outer, size, inner);
      expectClose(wasm.read(iw), cpu.read(ic), `argmax (${outer},${size},${inner})`, 0, 0);
    }
  });

  it('strided copies: transpose, slice into an offset, accumulate, scalar', () => {
    const plans = [
      { shape: [17, 31], srcOffset: 0, srcStrides: [1, 17], dstOffset: 0, dstStrides: [31, 1], accumulate: false },
      { shape: [3, 5, 7], srcOffset: 0, srcStrides: [35, 1, 5], dstOffset: 0, dstStrides: [35, 7, 1], accumulate: false },
      // (N, P, O) rows -> (N, O, P), as conv2d's output permute, with offsets; and a rank-4 slab transpose.
      { shape: [4, 8, 13], srcOffset: 5, srcStrides: [104, 1, 8], dstOffset: 7, dstStrides: [104, 13, 1], accumulate: false },
      { shape: [2, 3, 6, 5], srcOffset: 0, srcStrides: [90, 30, 1, 6], dstOffset: 11, dstStrides: [90, 30, 5, 1], accumulate: false },
      { shape: [3, 4, 9], srcOffset: 0, srcStrides: [36, 1, 4], dstOffset: 0, dstStrides: [36, 9, 1], accumulate: true },
      { shape: [4, 9], srcOffset: 10, srcStrides: [20, 1], dstOffset: 3, dstStrides: [12, 1], accumulate: true },
      { shape: [257], srcOffset: 1, srcStrides: [1], dstOffset: 0, dstStrides: [1], accumulate: false },
      { shape: [6, 5], srcOffset: 0, srcStrides: [0, 1], dstOffset: 0, dstStrides: [5, 1], accumulate: true },
      { shape: [], srcOffset: 2, srcStrides: [], dstOffset: 1, dstStrides: [], accumulate: false },
    ];
    for (const plan of plans) {
      const [sw, sc] = pair(wasm, random(600, 3));
      const [dw, dc] = pair(wasm, random(600, 4));
      wasm.stridedCopy(sw, dw, plan); cpu.stridedCopy(sc, dc, plan);
      expectClose(wasm.read(dw), cpu.read(dc), `stridedCopy ${JSON.stringify(plan.shape)}`, 1e-7, 0);
    }
  });

  it('gather and scatterAdd with repeated indices', () => {
    for (const [outer, axisSize, inner] of [[1, 10, 1], [3, 17, 31], [2, 257, 5], [5, 7, 1]] as const) {
      const indices = [0, axisSize - 1, 2 % axisSize, 0, 1 % axisSize, axisSize - 1, 3 % axisSize];
      const [xw, xc] = pair(wasm, random(outer * axisSize * inner, 5));
      const [iw, ic] = pair(wasm, indices, 'int32');
      const n = outer * indices.length * inner;
      const [ow, oc] = [wasm.alloc(n, 'float32'), cpu.alloc(n, 'float32')];
      wasm.gather(xw, iw, ow, outer, axisSize, inner); cpu.gather(xc, ic, oc, outer, axisSize, inner);
      expectClose(wasm.read(ow), cpu.read(oc), `gather (${outer},${axisSize},${inner})`, 0, 0);
      const [dyw, dyc] = pair(wasm, random(n, 6));
      const [dxw, dxc] = pair(wasm, random(outer * axisSize * inner, 7));
      wasm.scatterAdd(dyw, iw, dxw, outer, axisSize, inner); cpu.scatterAdd(dyc, ic, dxc, outer, axisSize, inner);
      expectClose(wasm.read(dxw), cpu.read(dxc), `scatterAdd (${outer},${axisSize},${inner})`, 1e-6, 1e-6);
    }
  });
});
