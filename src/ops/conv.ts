// 2-D convolution and pooling on NCHW tensors (batch, channels, height, width).
// conv2d is im2col + one GEMM: cols (N*OH*OW, C*KH*KW) @ W^T (C*KH*KW, O) -> (N*OH*OW, O), then one
// epilogue pass to (N, O, OH, OW) with the bias and an optional fused ReLU. Weights are (O, C, KH, KW) as in PyTorch.
// Without gradients, 3x3 stride-1 convolutions over 8+ channels use Winograd F(2x2, 3x3) instead.
import type { DataBuffer, WindowGeometry } from '../backend/backend.js';
import { record } from '../autograd/graph.js';
import { ShapeError } from '../errors.js';
import { isGradEnabled } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './create.js';
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
