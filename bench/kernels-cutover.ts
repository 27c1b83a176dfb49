// Measures where splitting a kernel across threads starts to pay: one call on the calling thread vs the same
// call forced to split over all threads, at growing sizes. Feeds the thresholds in src/backend/wasm/thresholds.ts.
import { UnaryOp, BinaryOp, ReduceOp } from '../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { time } from './timing.js';

export interface Cutover {
  kernel: string;
  summary: string;
  points: Array<{ work: number; singleUs: number; splitUs: number }>;
}

type Setup = (be: WasmBackend, size: number) => () => void;

function buffers(be: WasmBackend, count: number, len: number): ReturnType<WasmBackend['alloc']>[] {
  return Array.from({ length: count }, () => {
    const b = be.alloc(len, 'float32');
    be.write(b, Float32Array.from({ length: len }, () => Math.random() + 0.5));
    return b;
  });
}

const cases: Array<{ kernel: string; unit: string; sizes: number[]; work: (size: number) => number; setup: Setup }> = [
  {
    kernel: 'dispatch (fill of 64 floats)', unit: 'elements', sizes: [64], work: (s) => s,
    setup: (be, s) => { const [o] = buffers(be, 1, s); return () => be.fill(o, 1); },
  },
  {
    kernel: 'binary add (elementwise)', unit: 'elements', sizes: [4096, 16384, 65536, 131072, 262144, 1 << 20], work: (s) => s,
    setup: (be, s) => {
      const [a, b, o] = buffers(be, 3, s);
      const plan = { shape: [s], aStrides: [1], bStrides: [1] };
      return () => be.binary(BinaryOp.Add, a, b, o, plan);
    },
  },
  {
    kernel: 'unary exp (transcendental)', unit: 'elements', sizes: [1024, 4096, 8192, 16384, 65536], work: (s) => s,
    setup: (be, s) => { const [x, o] = buffers(be, 2, s); return () => be.unary(UnaryOp.Exp, x, o, 0); },
  },
  {
    kernel: 'reduce sum over rows of 256 (reduction)', unit: 'elements', sizes: [4096, 16384, 65536, 262144, 1 << 20], work: (s) => s,
    setup: (be, s) => { const [x, o] = buffers(be, 2, s); return () => be.reduce(ReduceOp.Sum, x, o, s / 256, 256, 1); },
  },
  {
    kernel: 'softmax rows of 10 (transcendental)', unit: 'elements', sizes: [640, 2560, 10240, 40960], work: (s) => s,
    setup: (be, s) => { const [x, o] = buffers(be, 2, s); return () => be.softmax(x, o, s / 10, 10, false); },
  },
  {
    kernel: 'adam (optimizer)', unit: 'elements', sizes: [4096, 16384, 32768, 65536, 262144], work: (s) => s,
    setup: (be, s) => {
      const [p, g, m, v] = buffers(be, 4, s);
      const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: 0, step: 1 };
      return () => be.adamStep(p, g, m, v, h);
    },
  },
  {
    kernel: 'im2col 32ch 13x13 3x3 (window)', unit: 'output elements', sizes: [1, 4, 16, 64], work: (s) => s * 121 * 288,
    setup: (be, s) => {
      const [x] = buffers(be, 1, s * 32 * 169);
      const [cols] = buffers(be, 1, s * 121 * 288);
      const g = { batch: s, channels: 32, height: 13, width: 13, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 0, outH: 11, outW: 11 };
      return () => be.im2col(x, cols, g);
    },
  },
  {
    kernel: 'matmul square', unit: 'multiply-adds', sizes: [16, 32, 48, 64, 96, 128], work: (s) => s ** 3,
    setup: (be, s) => {
      const [a, b, c] = buffers(be, 3, s * s);
      const p = { batch: 1, m: s, n: s, k: s, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: false };
      return () => be.matmul(a, b, c, p);
    },
  },
];

export async function measureCutovers(threads: number, quick: boolean): Promise<Cutover[]> {
  const never = Number.POSITIVE_INFINITY;
  const single = await createWasmBackend({
    threads, thresholds: { elementwise: never, transcendental: never, reduction: never, window: never, optimizer: never, matmul: never },
  });
  const split = await createWasmBackend({
    threads, thresholds: { elementwise: 1, transcendental: 1, reduction: 1, window: 1, optimizer: 1, matmul: 1 },
  });
  const out: Cutover[] = [];
  for (const c of cases) {
    const points = c.sizes.map((size) => {
      const run1 = c.setup(single, size);
      const run2 = c.setup(split, size);
      const sample = quick ? 0.02 : 0.05;
      return { work: c.work(size), singleUs: time(run1, sample, 5).best * 1e6, splitUs: time(run2, sample, 5).best * 1e6 };
    });
    const first = points.find((p) => p.splitUs < p.singleUs * 0.9);
    const table = points.map((p) => `${p.work}: ${p.singleUs.toFixed(1)} / ${p.splitUs.toFixed(1)} µs`).join('; ');
    const verdict = c.sizes.length === 1
      ? `round trip costs ${(points[0].splitUs - points[0].singleUs).toFixed(1)} µs over an inline call`
      : first ? `split wins from ~${first.work} ${c.unit} (${Math.round(first.work / threads)} per thread)` : 'split never won in this range';
    out.push({ kernel: c.kernel, summary: `${verdict}. 1 thread / split: ${table}`, points });
  }
  single.dispose();
  split.dispose();
  return out;
}
