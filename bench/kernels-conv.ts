// Convolution layers of the MNIST models timed through the conv2d op on the wasm backend (whatever path the op
// picks for the shape: im2col + GEMM, Winograd, a direct kernel), the training forward and the whole backward
// (input, weight and bias gradients), as GFLOP/s of the direct convolution's 2*N*OH*OW*O*C*k*k flops per product
// (the backward has two: input and weight gradients; one for a first layer).
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { conv2d, rand, sum } from '../src/ops/index.js';
import { getBackend, scope, setBackend } from '../src/tensor/engine.js';
import { time } from './timing.js';

export interface ConvLayer {
  name: string;
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
  kernel: number;
  /** Whether the layer's input needs a gradient (not for a first layer). */
  inputGrad: boolean;
  /** Output rows/cols computed (a following 2x2 floor-mode pool reads only these); default all. */
  crop?: number;
}

export const convLayers: ConvLayer[] = [
  { name: 'cnn conv1 1->32 3x3 on 28x28, batch 64', batch: 64, inChannels: 1, outChannels: 32, size: 28, kernel: 3, inputGrad: false },
  { name: 'cnn conv2 32->64 3x3 on 13x13 (10x10 kept), batch 64', batch: 64, inChannels: 32, outChannels: 64, size: 13, kernel: 3, inputGrad: true, crop: 10 },
  { name: 'cnn-best 32->32 3x3 on 26x26, batch 128', batch: 128, inChannels: 32, outChannels: 32, size: 26, kernel: 3, inputGrad: true },
  { name: 'cnn-best 64->64 3x3 on 10x10, batch 128', batch: 128, inChannels: 64, outChannels: 64, size: 10, kernel: 3, inputGrad: true },
  { name: 'cnn-fast conv1 1->16 5x5 on 28x28, batch 64', batch: 64, inChannels: 1, outChannels: 16, size: 28, kernel: 5, inputGrad: false },
  { name: 'cnn-fast conv2 16->32 5x5 on 12x12, batch 64', batch: 64, inChannels: 16, outChannels: 32, size: 12, kernel: 5, inputGrad: true },
];

/** GFLOP/s of the training forward (bias + ReLU fused) and of the backward (all gradients) of one layer. */
export interface ConvResult {
  forward: number;
  backward: number;
}

export function measureConv(be: WasmBackend, layer: ConvLayer): ConvResult {
  const previous = getBackend();
  setBackend(be);
  try {
    const { batch: n, inChannels: c, outChannels: o, size, kernel: k } = layer;
    const out = layer.crop ?? size - k + 1;
    const x = rand([n, c, size, size]).keep();
    x.requiresGrad = layer.inputGrad;
    const w = rand([o, c, k, k]).keep();
    w.requiresGrad = true;
    const b = rand([o]).keep();
    b.requiresGrad = true;
    const options = { relu: true, ...(layer.crop ? { outputSize: [layer.crop, layer.crop] as const } : {}) };
    const forward = time(() => scope(() => { conv2d(x, w, b, options); })).best;
    const both = time(() => scope(() => {
      sum(conv2d(x, w, b, options)).backward();
      for (const t of [x, w, b]) { t.grad?.dispose(); t.grad = null; }
    })).best;
    for (const t of [x, w, b]) t.dispose();
    const flops = 2 * n * out * out * o * c * k * k;
    // Backward is two such products (input and weight gradients), one for a first layer; the loss (sum) and its
    // broadcast gradient are a few memory passes over the output, counted in it.
    const passes = layer.inputGrad ? 2 : 1;
    return { forward: flops / forward / 1e9, backward: (passes * flops) / Math.max(both - forward, 1e-9) / 1e9 };
  } finally {
    setBackend(previous);
  }
}
