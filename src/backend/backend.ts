// The one narrow interface between the tensor engine and the machines that do arithmetic.
// A backend owns memory (alloc / free / read / write) and runs a fixed set of kernels on
// contiguous row-major buffers. It knows nothing about tensors, shapes beyond what a kernel
// needs, or autograd. `cpu` is the float64 reference (the oracle in tests); `wasm` is fast.

/** Element types a buffer can hold. Labels and indices are int32; everything else is float32. */
export type DType = 'float32' | 'int32';

/** An opaque handle to memory owned by a backend. Only the backend that made it may use it. */
export interface DataBuffer {
  /** Number of elements (not bytes). */
  readonly length: number;
  readonly dtype: DType;
}

/** Element-wise functions of one input. `alpha` is the slope of LeakyRelu, the exponent of PowScalar. */
export enum UnaryOp {
  Neg = 'neg',
  Exp = 'exp',
  Log = 'log',
  Sqrt = 'sqrt',
  Rsqrt = 'rsqrt',
  Abs = 'abs',
  Square = 'square',
  Reciprocal = 'reciprocal',
  PowScalar = 'powScalar',
  Relu = 'relu',
  LeakyRelu = 'leakyRelu',
  Sigmoid = 'sigmoid',
  Tanh = 'tanh',
  /** Exact GELU: x * Phi(x), Phi the standard normal CDF. */
  Gelu = 'gelu',
  /** GELU with the tanh approximation. */
  GeluTanh = 'geluTanh',
}

/** Element-wise functions of two broadcast inputs. Comparisons produce 1 or 0. */
export enum BinaryOp {
  Add = 'add',
  Sub = 'sub',
  Mul = 'mul',
  Div = 'div',
  Pow = 'pow',
  Maximum = 'maximum',
  Minimum = 'minimum',
  Greater = 'greater',
  Equal = 'equal',
}

/** Reductions along one axis. */
export enum ReduceOp {
  Sum = 'sum',
  Max = 'max',
  Min = 'min',
}

/**
 * How two inputs broadcast to an output: `shape` is the output shape (rank <= 6 after the
 * engine merged contiguous axes), `aStrides`/`bStrides` are element strides of each input in
 * that shape, 0 on broadcast axes.
 */
export interface BroadcastPlan {
  readonly shape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/**
 * A strided copy: for every index i of `shape`,
 * dst[dstOffset + sum(i*dstStrides)] (=|+=) src[srcOffset + sum(i*srcStrides)].
 * Covers permute/transpose, slice, pad, concat and broadcast-expand. Rank <= 6.
 */
export interface StridedCopy {
  readonly shape: readonly number[];
  readonly srcOffset: number;
  readonly srcStrides: readonly number[];
  readonly dstOffset: number;
  readonly dstStrides: readonly number[];
  /** Add into dst instead of overwriting it (used by backward passes). */
  readonly accumulate: boolean;
}

/**
 * out[b] (=|+=) op(a[b]) @ op(b[b]) for b < batch, op = transpose when the flag is set.
 * op(a) is (m, k), op(b) is (k, n), out is (m, n), all row-major and contiguous per batch.
 * Stored a is (m, k) or, when transA, (k, m); stored b is (k, n) or, when transB, (n, k).
 * A batch stride of 0 broadcasts that operand over the batch.
 */
export interface MatmulParams {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly aBatchStride: number;
  readonly bBatchStride: number;
  /** Add into out instead of overwriting it. */
  readonly accumulate: boolean;
}

/**
 * Geometry of a 2-D convolution or pooling window over NCHW input (batch, channels, height, width).
 * Output height = floor((height + 2*padH - kernelH) / strideH) + 1, and the same for width.
 */
export interface WindowGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly outH: number;
  readonly outW: number;
}

/** Hyper-parameters of one fused Adam / AdamW step (bias correction folded into lr and eps by the caller is NOT done: the kernel does it from `step`). */
/** One parameter's buffers in a multi-tensor optimizer step (adamStepMany). */
export interface AdamSlots {
  readonly param: DataBuffer;
  readonly grad: DataBuffer;
  readonly m: DataBuffer;
  readonly v: DataBuffer;
}

export interface AdamParams {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** L2 penalty added to the gradient (Adam) — 0 to disable. */
  readonly weightDecay: number;
  /** Decoupled weight decay (AdamW): p -= lr * decoupledWeightDecay * p before the update. */
  readonly decoupledWeightDecay: number;
  /** 1-based step count, for bias correction. */
  readonly step: number;
}

/** Hyper-parameters of one fused SGD step (PyTorch semantics: v = momentum*v + g; p -= lr*v, or Nesterov). */
export interface SgdParams {
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
}

/**
 * Batch normalisation's view of its input: (batch, channels, spatial), NCHW with spatial = H*W or (N, C) with
 * spatial = 1. Statistics are per channel, over batch * spatial values.
 */
export interface BatchNormGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly spatial: number;
}

/** A convolution output's layout: (batch, channels, spatial) with spatial = outH * outW. */
export interface ConvOutputGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly spatial: number;
}

/**
 * What every backend implements. All buffers are contiguous and row-major; "rows x cols"
 * means the last axis is the fast one. Kernels never allocate tensors, never see autograd,
 * and may assume arguments were validated by the engine. `out` never aliases an input
 * unless a method says so.
 */
export interface Backend {
  readonly name: string;
  /** Threads the backend computes on (1 for the reference backend). */
  readonly threads: number;
  /** Which compiled kernels compute (wasm: 'simd' or 'relaxed-simd'); absent for the reference backend. */
  readonly kernelBuild?: string;

  // ---- memory ---------------------------------------------------------------------------
  /** A buffer of `length` elements; its contents are unspecified (ops that need zeros call `fill`). */
  alloc(length: number, dtype: DType): DataBuffer;
  free(buffer: DataBuffer): void;
  /** Copies `data` into the buffer starting at element `offset` (default 0). */
  write(buffer: DataBuffer, data: ArrayLike<number>, offset?: number): void;
  /** A copy of the buffer's contents (Float64Array on the reference backend). */
  read(buffer: DataBuffer): Float32Array | Float64Array | Int32Array;
  /** Bytes currently allocated to live buffers (for memory tests and benchmarks). */
  memoryInUse(): number;

  // ---- element-wise ---------------------------------------------------------------------
  fill(out: DataBuffer, value: number): void;
  /** out[i] = f(x[i]). May run in place (out === x). */
  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, alpha: number): void;
  /** dx[i] = f'(x[i]) * dy[i]; `y` = f(x) is given because some derivatives are cheaper from it. */
  unaryBackward(op: UnaryOp, x: DataBuffer, y: DataBuffer, dy: DataBuffer, dx: DataBuffer, alpha: number): void;
  /** out = a op b under `plan`. */
  binary(op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer, plan: BroadcastPlan): void;
  /** out[i] = x[i] * scale + shift. May run in place. */
  affine(x: DataBuffer, out: DataBuffer, scale: number, shift: number): void;
  /** Converts between dtypes (float32 <-> int32, truncating toward zero). */
  cast(x: DataBuffer, out: DataBuffer): void;

  // ---- reductions -----------------------------------------------------------------------
  /** x viewed as (outer, size, inner) -> out (outer, inner), reducing the middle axis. */
  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, size: number, inner: number): void;
  /** Index (int32) of the maximum along the middle axis of (outer, size, inner); first one on ties. */
  argmax(x: DataBuffer, out: DataBuffer, outer: number, size: number, inner: number): void;

  // ---- movement -------------------------------------------------------------------------
  stridedCopy(src: DataBuffer, dst: DataBuffer, plan: StridedCopy): void;
  /** x (outer, axisSize, inner), indices int32 (count) -> out (outer, count, inner). */
  gather(x: DataBuffer, indices: DataBuffer, out: DataBuffer, outer: number, axisSize: number, inner: number): void;
  /** Backward of gather: dx (outer, axisSize, inner) += dy (outer, count, inner) at indices. */
  scatterAdd(dy: DataBuffer, indices: DataBuffer, dx: DataBuffer, outer: number, axisSize: number, inner: number): void;

  // ---- linear algebra and windows -------------------------------------------------------
  matmul(a: DataBuffer, b: DataBuffer, out: DataBuffer, params: MatmulParams): void;
  /** x (N,C,H,W) -> cols (N*outH*outW, C*kernelH*kernelW); padding reads as 0. */
  im2col(x: DataBuffer, cols: DataBuffer, geometry: WindowGeometry): void;
  /** Adjoint of im2col: dx (N,C,H,W) = sum of cols back into their pixels (overwrites dx). */
  col2im(cols: DataBuffer, dx: DataBuffer, geometry: WindowGeometry): void;
  /** Max pooling (N,C,H,W) -> (N,C,outH,outW); `argmax` (int32, same size as out) records the flat input index within each (n,c) plane. Padding never wins. */
  maxPool(x: DataBuffer, out: DataBuffer, argmax: DataBuffer, geometry: WindowGeometry): void;
  /** dx (overwritten) from dy and the argmax recorded by maxPool. */
  maxPoolBackward(dy: DataBuffer, argmax: DataBuffer, dx: DataBuffer, geometry: WindowGeometry): void;
  /** Average pooling; padding counts as zeros in the average (count_include_pad). */
  avgPool(x: DataBuffer, out: DataBuffer, geometry: WindowGeometry): void;
  avgPoolBackward(dy: DataBuffer, dx: DataBuffer, geometry: WindowGeometry): void;

  // ---- fused composites (each one replaces several primitives on hot paths) --------------
  /** Softmax (or log-softmax) over the last axis of (rows, cols). */
  softmax(x: DataBuffer, out: DataBuffer, rows: number, cols: number, log: boolean): void;
  /** Backward of softmax over the last axis given its output y: dx = y*(dy - sum(dy*y)); for log-softmax dx = dy - exp(y)*sum(dy). */
  softmaxBackward(y: DataBuffer, dy: DataBuffer, dx: DataBuffer, rows: number, cols: number, log: boolean): void;
  /**
   * Softmax cross-entropy from logits (rows, cols). `target` is int32 class indices (rows)
   * when sparse, else float32 probabilities (rows, cols). Writes per-row losses (rows) and
   * the softmax probabilities (rows, cols), from which the gradient is (probs - target) / rows.
   */
  softmaxCrossEntropy(logits: DataBuffer, target: DataBuffer, sparse: boolean, losses: DataBuffer, probs: DataBuffer, rows: number, cols: number): void;
  /**
   * Batch normalisation y = (x - mean) * invStd * weight + bias per channel (weight, bias null: 1 and 0).
   * training: writes the batch mean and biased variance of x into `mean` and `variance` (each (channels));
   * otherwise reads them (the running statistics). Always writes invStd = 1 / sqrt(variance + eps). With `relu`,
   * y = max(0, .) in the same pass (NaN -> 0, as the ReLU unary op).
   */
  batchNormForward(x: DataBuffer, weight: DataBuffer | null, bias: DataBuffer | null, mean: DataBuffer, variance: DataBuffer,
    invStd: DataBuffer, y: DataBuffer, geometry: BatchNormGeometry, training: boolean, eps: number, relu?: boolean): void;
  /**
   * Backward of batchNormForward from the mean and invStd it used (xhat = (x - mean) * invStd is recomputed).
   * Overwrites dweight = sum(dy * xhat) and dbias = sum(dy) per channel, and dx: in training (statistics of x)
   * dx = weight * invStd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M) with M = batch * spatial, otherwise
   * dx = weight * invStd * dy. A null output is skipped. With reluOutput (the y of a forward with `relu`), dy is
   * first zeroed where reluOutput <= 0: the backward of the fused ReLU, in the same pass.
   */
  batchNormBackward(x: DataBuffer, dy: DataBuffer, mean: DataBuffer, invStd: DataBuffer, weight: DataBuffer | null,
    dx: DataBuffer | null, dweight: DataBuffer | null, dbias: DataBuffer | null, geometry: BatchNormGeometry, training: boolean,
    reluOutput?: DataBuffer | null): void;
  /**
   * Convolution epilogue: the GEMM's rows flat (batch * spatial, channels) -> out (batch, channels, spatial) with
   * out = flat + bias[c] (bias null: none), then max(0, .) when `relu`.
   */
  convEpilogue(flat: DataBuffer, bias: DataBuffer | null, out: DataBuffer, geometry: ConvOutputGeometry, relu: boolean): void;
  /**
   * Backward of convEpilogue: dflat (batch * spatial, channels) = dy (batch, channels, spatial), zero where y <= 0 when
   * y (the fused ReLU's output) is given; and, when dbias (channels) is given, the bias gradient in the same pass:
   * dbias[c] = sum of dflat's column c.
   */
  convEpilogueBackward(dy: DataBuffer, y: DataBuffer | null, dflat: DataBuffer, geometry: ConvOutputGeometry, dbias?: DataBuffer | null): void;
  /** Winograd F(2x2, 3x3) weight transform for winogradConv: w (O, C, 3, 3) -> u (16, O, C). */
  winogradWeights(w: DataBuffer, u: DataBuffer, outChannels: number, inChannels: number): void;
  /**
   * 3x3, stride-1 convolution by Winograd F(2x2, 3x3) (inference): out (N, O, outH, outW) = x (N, C, H, W) cross-correlated
   * with the filters u came from, plus bias (null: none), then max(0, .) when `relu`; any padding, and outH / outW may
   * be smaller than the full output (the first rows and columns only). With inputTiles, the transformed input tiles are
   * written there (16, C, T') for winogradConvBackward.
   */
  winogradConv(x: DataBuffer, u: DataBuffer, bias: DataBuffer | null, out: DataBuffer, geometry: WindowGeometry, outChannels: number, relu: boolean,
    inputTiles?: DataBuffer): void;
  /**
   * Optional. Direct stride-1 convolution for few input channels (conv2d's first-layer path, no im2col or GEMM):
   * out (N, O, outH, outW) = x (N, C, H, W) cross-correlated with weight (O, C, kernelH, kernelW), plus bias (null:
   * none), then max(0, .) when `relu`; any padding, and outH / outW may be smaller than the full output (the first
   * rows and columns only). strideH and strideW must be 1.
   */
  convDirect?(x: DataBuffer, weight: DataBuffer, bias: DataBuffer | null, out: DataBuffer, geometry: WindowGeometry,
    outChannels: number, relu: boolean): void;
  /**
   * Optional, with convDirect. Its weight and bias gradients from dy (N, O, outH, outW): overwrites
   * dweight[o, c, i, j] = sum over n, y, x of g[n, o, y, x] * x[n, c, y + i - padH, x + j - padW] (padding reads 0)
   * and dbias[o] = sum of g[n, o, :, :], where g = dy zeroed where y <= 0 when y (the fused ReLU's output) is given.
   * A null output is skipped.
   */
  convDirectBackwardFilter?(x: DataBuffer, dy: DataBuffer, y: DataBuffer | null, dweight: DataBuffer | null,
    dbias: DataBuffer | null, geometry: WindowGeometry, outChannels: number): void;
  /**
   * Backward of winogradConv for training, the exact adjoint of its transforms: the transformed input tiles it kept
   * (inputTiles, (16, C, T') with T' = winogradTileStride(N * ceil(outH / 2) * ceil(outW / 2), C, O) from
   * winograd-layout.ts) and u give, from dy (N, O, outH, outW) masked
   * where y <= 0 when y (the fused ReLU's output) is given: dx (N, C, H, W), dw (O, C, 3, 3) and planeSums (N, O), the
   * sum of each masked dy plane (the bias gradient summed over N). Each is overwritten; a null output is skipped
   * (dw needs inputTiles).
   */
  winogradConvBackward(dy: DataBuffer, y: DataBuffer | null, u: DataBuffer, inputTiles: DataBuffer | null, dx: DataBuffer | null,
    dw: DataBuffer | null, planeSums: DataBuffer | null, geometry: WindowGeometry, outChannels: number): void;
  /** In place: param, m, v updated from grad. */
  adamStep(param: DataBuffer, grad: DataBuffer, m: DataBuffer, v: DataBuffer, params: AdamParams): void;
  /**
   * Optional: adamStep on every entry of `tensors` in one call (one dispatch for a whole parameter group), with the
   * same result as adamStep on each in turn. Optimizers fall back to adamStep per tensor where a backend lacks it.
   */
  adamStepMany?(tensors: readonly AdamSlots[], params: AdamParams): void;
  /** In place: param and velocity updated from grad (velocity unused when momentum is 0). */
  sgdStep(param: DataBuffer, grad: DataBuffer, velocity: DataBuffer, params: SgdParams): void;
}
