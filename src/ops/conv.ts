// 2-D convolution and pooling on NCHW tensors (batch, channels, height, width).
// conv2d is im2col + one GEMM: cols (N*OH*OW, C*KH*KW) @ W^T (C*KH*KW, O) -> (N*OH*OW, O), then one
// epilogue pass to (N, O, OH, OW) with the bias and an optional fused ReLU. Weights are (O, C, KH, KW) as in PyTorch.
// 3x3 stride-1 convolutions use Winograd F(2x2, 3x3) instead: without gradients over 8+ channels (winogradConv), and in
// training where it wins (usesWinogradTraining; winogradTrainingConv: forward, input and weight gradients all by Winograd);
// stride-1 layers over at most 4 input channels (a first layer) use the backend's direct kernels when it has them (conv2dDirect).
import type { DataBuffer, WindowGeometry } from '../backend/backend.js';
import { winogradTileStride } from '../backend/winograd-layout.js';
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { isGradEnabled } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './create.js';
import { sum } from './reduce.js';
import { versionOf } from './versions.js';

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  /** Apply ReLU to the output in the same pass as the bias (what `Conv2D({ activation: 'relu' })` does). */
  relu?: boolean;
  /**
   * Compute only the first (rows, cols) of the output (default: all of it). A floor-mode pooling layer after the
   * convolution may never read the last rows and columns (11 -> 5 with 2x2 windows reads 10): Sequential asks for
   * just the part it reads, and the gradient of the rest is zero anyway.
   */
  outputSize?: readonly [number, number];
}

function pair(value: Pair | undefined, fallback: number): [number, number] {
  if (value === undefined) return [fallback, fallback];
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** Output geometry of a window of `kernel` over NCHW `shape`, validated. */
export function windowGeometry(op: string, shape: readonly number[], kernel: [number, number], stride: [number, number], padding: [number, number]): WindowGeometry {
  if (shape.length !== 4) throw new ShapeError(`${op}: expected an NCHW input (batch, channels, height, width), got shape ${formatShape(shape)}`);
  const [batch, channels, height, width] = shape;
  const [kernelH, kernelW] = kernel;
  const [strideH, strideW] = stride;
  const [padH, padW] = padding;
  if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0) throw new ShapeError(`${op}: stride must be >= 1 and padding >= 0, got stride ${stride} padding ${padding}`);
  const outH = Math.floor((height + 2 * padH - kernelH) / strideH) + 1;
  const outW = Math.floor((width + 2 * padW - kernelW) / strideW) + 1;
  if (outH < 1 || outW < 1) {
    throw new ShapeError(`${op}: a ${kernelH}x${kernelW} window does not fit input ${formatShape(shape)} with padding ${padH},${padW}`);
  }
  return { batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW };
}

/**
 * Fewest input channels for the Winograd path: with fewer, its batched GEMM is too thin (a first layer on 1-channel
 * images stays on im2col + GEMM).
 */
export const WINOGRAD_MIN_CHANNELS = 8;

/** Transformed 3x3 weights (16, O, C), cached per weight buffer until that buffer is written in place (versions.ts). */
const winogradCache = new WeakMap<DataBuffer, { version: number; u: Tensor }>();

function winogradWeights(weight: Tensor): Tensor {
  const version = versionOf(weight.buffer);
  const cached = winogradCache.get(weight.buffer);
  if (cached && cached.version === version && cached.u.backend === weight.backend) return cached.u;
  const [outChannels, inChannels] = weight.shape;
  const u = empty([16, outChannels, inChannels], 'float32', weight.backend).keep(); // freed by GC with the entry
  weight.backend.winogradWeights(weight.buffer, u.buffer, outChannels, inChannels);
  winogradCache.set(weight.buffer, { version, u });
  return u;
}

/** The geometry computing only the first (rows, cols) outputs; im2col and col2im index the input by output position. */
function cropOutput(g: WindowGeometry, [rows, cols]: readonly [number, number]): WindowGeometry {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows > g.outH || cols > g.outW) {
    throw new ShapeError(`conv2d: outputSize must be whole numbers from 1 to the full ${g.outH}x${g.outW} output, got ${rows}x${cols}`);
  }
  return { ...g, outH: rows, outW: cols };
}

/** Cross-correlation of x (N, C, H, W) with weight (O, C, KH, KW), plus optional bias (O). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (weight.rank !== 4) throw new ShapeError(`conv2d: weight must be (out, in, kH, kW), got ${formatShape(weight.shape)}`);
  const [outChannels, inChannels, kernelH, kernelW] = weight.shape;
  if (x.rank !== 4 || x.shape[1] !== inChannels) {
    throw new ShapeError(`conv2d: input ${formatShape(x.shape)} does not match weight ${formatShape(weight.shape)} (expected (N, ${inChannels}, H, W))`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outChannels)) {
    throw new ShapeError(`conv2d: bias ${formatShape(bias.shape)} does not match ${outChannels} output channels`);
  }
  const full = windowGeometry('conv2d', x.shape, [kernelH, kernelW], pair(options.stride, 1), pair(options.padding, 0));
  const g = options.outputSize ? cropOutput(full, options.outputSize) : full;
  const rows = g.batch * g.outH * g.outW;
  const patch = inChannels * kernelH * kernelW;
  const backend = x.backend;
  const relu = options.relu ?? false;
  const needsGrad = isGradEnabled() && (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false));
  if (!needsGrad && kernelH === 3 && kernelW === 3 && g.strideH === 1 && g.strideW === 1 && inChannels >= WINOGRAD_MIN_CHANNELS) {
    // Inference: Winograd F(2x2, 3x3), 16 multiplies per 2x2 output tile and channel pair instead of 36.
    const out = empty([g.batch, outChannels, g.outH, g.outW], 'float32', backend);
    backend.winogradConv(x.buffer, winogradWeights(weight).buffer, bias ? bias.buffer : null, out.buffer, g, outChannels, relu);
    return out;
  }
  if (directConvApplies(x, g, needsGrad)) return conv2dDirect(x, weight, bias ?? null, g, outChannels, relu);
  if (needsGrad && usesWinogradTraining(g, outChannels)) return winogradTrainingConv(x, weight, bias ?? null, g, relu);
  const cols = empty([rows, patch], 'float32', backend);
  backend.im2col(x.buffer, cols.buffer, g);
  const flat = empty([rows, outChannels], 'float32', backend); // (N*OH*OW, O)
  backend.matmul(cols.buffer, weight.buffer, flat.buffer, {
    batch: 1, m: rows, n: outChannels, k: patch, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0, accumulate: false,
  });
  const output = { batch: g.batch, channels: outChannels, spatial: g.outH * g.outW };
  const out = empty([g.batch, outChannels, g.outH, g.outW], 'float32', backend);
  backend.convEpilogue(flat.buffer, bias ? bias.buffer : null, out.buffer, output, relu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, relu ? 'conv2d+relu' : 'conv2d', inputs, (dy) => {
    const dyFlat = empty([rows, outChannels], 'float32', backend); // (N*OH*OW, O), masked by the fused ReLU
    const db = bias && bias.requiresGrad ? empty([outChannels], 'float32', backend) : null; // column sums of dyFlat, same pass
    backend.convEpilogueBackward(dy.buffer, relu ? out.buffer : null, dyFlat.buffer, output, db ? db.buffer : null);
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const dcols = empty([rows, patch], 'float32', backend);
      backend.matmul(dyFlat.buffer, weight.buffer, dcols.buffer, {
        batch: 1, m: rows, n: patch, k: outChannels, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: false,
      });
      dx = empty(x.shape, 'float32', backend);
      backend.col2im(dcols.buffer, dx.buffer, g);
    }
    let dw: Tensor | null = null;
    if (weight.requiresGrad) {
      dw = empty(weight.shape, 'float32', backend); // (O, C*KH*KW) = dy^T @ cols
      backend.matmul(dyFlat.buffer, cols.buffer, dw.buffer, {
        batch: 1, m: outChannels, n: patch, k: rows, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: false,
      });
    }
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

/**
 * Most input channels for the direct path. `npm run bench -- conv-direct` (Node 26, relaxed SIMD, 2 threads, busy 2-vCPU
 * VM; forward + filter gradient against im2col + GEMM + epilogue + epilogue backward + dW GEMM + bias sum): 64x1x28x28
 * -> 32 3x3 1.4-2.0x faster, 1 -> 16 5x5 1.35-1.8x, 2-4 channels 1.2-2.1x, 8 channels 1.2-1.5x. Layers past 4 channels
 * are rarely first layers (they need dx, which the direct path lacks), so they stay on im2col.
 */
export const DIRECT_MAX_CHANNELS = 4;
/** Largest kernel area for the direct path: 7x7 still won (1 -> 32: 1.4x, 3 -> 32: 1.2x); larger is unmeasured. */
export const DIRECT_MAX_TAPS = 49;

/**
 * Whether conv2d takes the direct path: the backend has the kernels, stride 1, few input channels, a small kernel and
 * no gradient for x (the direct path has none: a first layer's input needs none; otherwise im2col + GEMM runs).
 */
function directConvApplies(x: Tensor, g: WindowGeometry, needsGrad: boolean): boolean {
  const backend = x.backend;
  return backend.convDirect !== undefined && backend.convDirectBackwardFilter !== undefined
    && g.strideH === 1 && g.strideW === 1 && g.channels <= DIRECT_MAX_CHANNELS && g.kernelH * g.kernelW <= DIRECT_MAX_TAPS
    && !(needsGrad && x.requiresGrad);
}

/**
 * conv2d by the backend's direct kernels: out (N, O, outH, outW) straight from x with the bias and ReLU fused, and a
 * backward that computes the weight and bias gradients in one pass over x and dy (masked by out > 0 for the ReLU).
 */
function conv2dDirect(x: Tensor, weight: Tensor, bias: Tensor | null, g: WindowGeometry, outChannels: number, relu: boolean): Tensor {
  const backend = x.backend;
  const forward = backend.convDirect;
  const backwardFilter = backend.convDirectBackwardFilter;
  if (!forward || !backwardFilter) throw new Error(`conv2d: backend ${backend.name} has no direct convolution kernels`);
  const out = empty([g.batch, outChannels, g.outH, g.outW], 'float32', backend);
  forward.call(backend, x.buffer, weight.buffer, bias ? bias.buffer : null, out.buffer, g, outChannels, relu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, relu ? 'conv2d+relu' : 'conv2d', inputs, (dy) => {
    const dw = weight.requiresGrad ? empty(weight.shape, 'float32', backend) : null;
    const db = bias && bias.requiresGrad ? empty(bias.shape, 'float32', backend) : null;
    backwardFilter.call(backend, x.buffer, dy.buffer, relu ? out.buffer : null, dw ? dw.buffer : null, db ? db.buffer : null, g, outChannels);
    return bias ? [null, dw, db] : [null, dw];
  });
}

/**
 * Whether a convolution that needs gradients runs as Winograd F(2x2, 3x3) (forward, input and weight gradients) instead
 * of im2col + GEMM: 3x3, stride 1, and enough channels and tiles that the 16 batched GEMMs are not too thin.
 */
export function usesWinogradTraining(g: WindowGeometry, outChannels: number): boolean {
  const { minChannels, minTiles } = winogradTraining;
  const tiles = g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
  return g.kernelH === 3 && g.kernelW === 3 && g.strideH === 1 && g.strideW === 1
    && g.channels >= minChannels && outChannels >= minChannels && tiles >= minTiles;
}

/**
 * When the Winograd training path is taken (`npm run bench -- conv-training`, Node 26, 1 and 2 threads, both kernel
 * builds; table in docs/engine.md): with 4+ input and output channels it beat im2col + GEMM by 1.1-2.1x on every
 * layer with 72+ tiles (2x2 output tiles over the batch); 2 -> 32 channels ran at 0.7-0.85x, a 1-channel first layer at
 * 0.6x, and batch 1 (36 tiles for 11x11) at 0.5-0.96x. minChannels Infinity: always im2col + GEMM (the reference).
 */
export const winogradTraining = { minChannels: 4, minTiles: 64 };

/**
 * The training path of a Winograd convolution: the forward pass keeps its transformed input tiles V (16, C, T) when the
 * weight needs a gradient; backward transforms dy once into dM (16, O, T) and gets dx and dw from two batched GEMMs
 * with the same U and V (winogradConvBackward), the bias gradient from dy's plane sums.
 */
function winogradTrainingConv(x: Tensor, weight: Tensor, bias: Tensor | null, g: WindowGeometry, relu: boolean): Tensor {
  const backend = x.backend;
  const outChannels = weight.shape[0];
  // A trained weight changes every step: a fresh transform owned by this step's scope (caching it would keep a stale
  // one alive per step until GC); a frozen one keeps its cached transform.
  const u = weight.requiresGrad ? empty([16, outChannels, g.channels], 'float32', backend) : winogradWeights(weight);
  if (weight.requiresGrad) backend.winogradWeights(weight.buffer, u.buffer, outChannels, g.channels);
  const tiles = winogradTileStride(g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2), g.channels, outChannels);
  const inputTiles = weight.requiresGrad ? empty([16, g.channels, tiles], 'float32', backend) : null;
  const out = empty([g.batch, outChannels, g.outH, g.outW], 'float32', backend);
  backend.winogradConv(x.buffer, u.buffer, bias ? bias.buffer : null, out.buffer, g, outChannels, relu, inputTiles?.buffer);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, relu ? 'conv2d+relu' : 'conv2d', inputs, (dy) => {
    const dx = x.requiresGrad ? empty(x.shape, 'float32', backend) : null;
    const dw = weight.requiresGrad ? empty(weight.shape, 'float32', backend) : null;
    const planeSums = bias && bias.requiresGrad ? empty([g.batch, outChannels], 'float32', backend) : null;
    backend.winogradConvBackward(dy.buffer, relu ? out.buffer : null, u.buffer, inputTiles ? inputTiles.buffer : null,
      dx ? dx.buffer : null, dw ? dw.buffer : null, planeSums ? planeSums.buffer : null, g, outChannels);
    const db = planeSums ? sum(planeSums, 0) : null;
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
}

/** Max pooling over kernel windows (stride defaults to the kernel size). */
export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  const k = pair(kernel, 2);
  const g = windowGeometry('maxPool2d', x.shape, k, pair(options.stride ?? kernel, 2), pair(options.padding, 0));
  if (g.padH * 2 > g.kernelH || g.padW * 2 > g.kernelW) throw new ShapeError(`maxPool2d: padding ${g.padH},${g.padW} must be at most half the kernel ${g.kernelH}x${g.kernelW}`);
  const out = empty([g.batch, g.channels, g.outH, g.outW], 'float32', x.backend);
  const argmax = empty(out.shape, 'int32', x.backend);
  x.backend.maxPool(x.buffer, out.buffer, argmax.buffer, g);
  return record(out, 'maxPool2d', [x], (dy) => {
    const dx = empty(x.shape, 'float32', x.backend);
    x.backend.maxPoolBackward(dy.buffer, argmax.buffer, dx.buffer, g);
    return [dx];
  });
}

/** Average pooling over kernel windows (padding counts as zeros). */
export function avgPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  const k = pair(kernel, 2);
  const g = windowGeometry('avgPool2d', x.shape, k, pair(options.stride ?? kernel, 2), pair(options.padding, 0));
  const out = empty([g.batch, g.channels, g.outH, g.outW], 'float32', x.backend);
  x.backend.avgPool(x.buffer, out.buffer, g);
  return record(out, 'avgPool2d', [x], (dy) => {
    const dx = empty(x.shape, 'float32', x.backend);
    x.backend.avgPoolBackward(dy.buffer, dx.buffer, g);
    return [dx];
  });
}
