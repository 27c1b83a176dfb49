// Conv2d layers of the MNIST CNN through the wasm kernels (im2col + GEMM, NCHW), timed pass by pass.
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { time } from './timing.js';

export interface ConvLayer {
  name: string;
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
  kernel: number;
}

export const convLayers: ConvLayer[] = [
  { name: 'conv1 1->32 3x3 on 28x28', batch: 64, inChannels: 1, outChannels: 32, size: 28, kernel: 3 },
  { name: 'conv2 32->64 3x3 on 13x13', batch: 64, inChannels: 32, outChannels: 64, size: 13, kernel: 3 },
];

/** GFLOP/s of each pass (2 * N*P * OC * C*k*k flops per pass). */
export interface ConvResult {
  forward: number;
  forwardGemm: number;
  backwardInput: number;
  backwardFilter: number;
}

export function measureConv(be: WasmBackend, layer: ConvLayer): ConvResult {
  const { batch: n, inChannels: c, outChannels: oc, size, kernel: k } = layer;
  const out = size - k + 1;
  const p = out * out;
  const patch = c * k * k;
  const g = {
    batch: n, channels: c, height: size, width: size, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padH: 0, padW: 0,
    outH: out, outW: out,
  };
  const alloc = (len: number): ReturnType<WasmBackend['alloc']> => {
    const b = be.alloc(len, 'float32');
    be.write(b, Float32Array.from({ length: len }, () => Math.random() - 0.5));
    return b;
  };
  const x = alloc(n * c * size * size);
  const w = alloc(oc * patch);
  const cols = alloc(n * p * patch);
  const rows = alloc(n * p * oc);
  const y = alloc(n * oc * p);
  const dCols = alloc(n * p * patch);
  const dW = alloc(oc * patch);
  const base = { batch: 1, aBatchStride: 0, bBatchStride: 0, accumulate: false };
  // (N*P, C*k*k) @ (OC, C*k*k)^T -> (N*P, OC)
  const forwardProduct = { ...base, m: n * p, k: patch, n: oc, transA: false, transB: true };
  const toNchw = { shape: [n, oc, p], srcOffset: 0, srcStrides: [p * oc, 1, oc], dstOffset: 0, dstStrides: [oc * p, p, 1], accumulate: false };
  const toRows = { shape: [n, p, oc], srcOffset: 0, srcStrides: [oc * p, 1, p], dstOffset: 0, dstStrides: [p * oc, oc, 1], accumulate: false };
  const flops = 2 * n * p * oc * patch;
  const forward = time(() => {
    be.im2col(x, cols, g);
    be.matmul(cols, w, rows, forwardProduct);
    be.stridedCopy(rows, y, toNchw);
  }).best;
  const forwardGemm = time(() => be.matmul(cols, w, rows, forwardProduct)).best;
  // dCols (N*P, C*k*k) = dyRows (N*P, OC) @ W (OC, C*k*k); dx = col2im(dCols)
  const backwardInput = time(() => {
    be.stridedCopy(y, rows, toRows);
    be.matmul(rows, w, dCols, { ...base, m: n * p, k: oc, n: patch, transA: false, transB: false });
    be.col2im(dCols, x, g);
  }).best;
  // dW (OC, C*k*k) = dyRows^T @ cols
  const backwardFilter = time(() => {
    be.stridedCopy(y, rows, toRows);
    be.matmul(rows, cols, dW, { ...base, m: oc, k: n * p, n: patch, transA: true, transB: false });
  }).best;
  for (const b of [x, w, cols, rows, y, dCols, dW]) be.free(b);
  const rate = (seconds: number): number => flops / seconds / 1e9;
  return { forward: rate(forward), forwardGemm: rate(forwardGemm), backwardInput: rate(backwardInput), backwardFilter: rate(backwardFilter) };
}
