// The WebAssembly SIMD backend: float32 buffers in one shared WebAssembly.Memory, kernels compiled from
// kernels/*.ts, large calls split across worker threads (thread-pool.ts), small ones run inline.
// Memory layout: [AS static data | control block + params | heap managed by Allocator].
import type {
  AdamParams, AdamSlots, Backend, BatchNormGeometry, BinaryOp, ConvOutputGeometry, BroadcastPlan, DataBuffer, DType, MatmulParams, SgdParams, StridedCopy,
  UnaryOp, WindowGeometry,
} from '../backend.js';
import { winogradTileStride } from '../winograd-layout.js';
import { ReduceOp } from '../backend.js';
import { Allocator } from './allocator.js';
import { type KernelExports, type ParallelKernel, parallelKernels } from './kernels.js';
import { planMatmul, planRows, ranges } from './matmul-plan.js';
import { binaryCode, cheapUnary, reduceCode, unaryCode } from './op-codes.js';
import type { KernelBuild } from './kernel-build.js';
import type { ThreadPool } from './thread-pool.js';
import type { Thresholds } from './thresholds.js';

class WasmBuffer implements DataBuffer {
  freed = false;
  constructor(readonly length: number, readonly dtype: DType, readonly ptr: number, readonly reserved: number) {}
}

/** Bytes of the per-call parameter block (broadcast plans, copy plans, window geometry). */
export const PARAMS_BYTES = 256;
/** Entries of a matmul's A read to judge its density (see mostlyZero). */
const SPARSITY_SAMPLES = 64;
const GOLDEN = 0.6180339887498949;

export interface WasmBackendParts {
  memory: WebAssembly.Memory;
  kernels: KernelExports;
  /** Which compiled build `kernels` came from. */
  kernelBuild: KernelBuild;
  pool: ThreadPool | undefined;
  threads: number;
  paramsOffset: number;
  /** Per-thread GEMM scratch (packed panels); index 0 is the calling thread's. */
  scratch: readonly number[];
  heapStart: number;
  thresholds: Thresholds;
  zeroOnAlloc: boolean;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly threads: number;
  /** The kernel build that runs: 'simd' or 'relaxed-simd' (FMA in the GEMM; results may differ in the last bits). */
  readonly kernelBuild: KernelBuild;
  /** Tunable cut-overs (work per thread below which a call stays on one thread). */
  readonly thresholds: Thresholds;
  private readonly memory: WebAssembly.Memory;
  private readonly k: KernelExports;
  private readonly pool: ThreadPool | undefined;
  private readonly allocator: Allocator;
  private readonly paramsOffset: number;
  private readonly zeroOnAlloc: boolean;
  private readonly scratch0: number;
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);

  constructor(parts: WasmBackendParts) {
    this.memory = parts.memory;
    this.k = parts.kernels;
    this.pool = parts.pool;
    this.threads = parts.threads;
    this.kernelBuild = parts.kernelBuild;
    this.thresholds = { ...parts.thresholds };
    this.paramsOffset = parts.paramsOffset;
    this.zeroOnAlloc = parts.zeroOnAlloc;
    this.allocator = new Allocator(parts.memory, parts.heapStart, () => this.refreshViews());
    this.refreshViews();
    this.scratch0 = parts.scratch[0];
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (this.f32.buffer === buffer && this.f32.byteLength === buffer.byteLength) return;
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  /** Stops the worker threads. The backend must not be used afterwards. */
  dispose(): void {
    this.pool?.dispose();
  }

  // ---- memory ---------------------------------------------------------------------------

  alloc(length: number, dtype: DType): DataBuffer {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`wasm backend: alloc length must be a non-negative integer, got ${length}`);
    const { ptr, reused, reserved } = this.allocator.alloc(length * 4);
    if (reused && this.zeroOnAlloc) this.f32.fill(0, ptr >>> 2, (ptr >>> 2) + length);
    return new WasmBuffer(length, dtype, ptr, reserved);
  }

  free(buffer: DataBuffer): void {
    const b = buffer as WasmBuffer;
    if (b.freed) throw new Error(`wasm backend: double free of a ${b.dtype} buffer of ${b.length} elements`);
    b.freed = true;
    this.allocator.free(b.ptr, b.length * 4, b.reserved);
  }

  write(buffer: DataBuffer, data: ArrayLike<number>, offset = 0): void {
    if (offset < 0 || offset + data.length > buffer.length) {
      throw new RangeError(`wasm backend: write of ${data.length} elements at offset ${offset} overflows a buffer of ${buffer.length}`);
    }
    this.refreshViews();
    const start = (this.ptr(buffer) >>> 2) + offset;
    if (buffer.dtype === 'int32') {
      if (data instanceof Int32Array) this.i32.set(data, start);
      else for (let i = 0; i < data.length; i++) this.i32[start + i] = Math.trunc(data[i]);
    } else if (data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data)) {
      this.f32.set(data, start);
    } else {
      for (let i = 0; i < data.length; i++) this.f32[start + i] = data[i];
    }
  }

  read(buffer: DataBuffer): Float32Array | Int32Array {
    this.refreshViews();
    const start = this.ptr(buffer) >>> 2;
    return buffer.dtype === 'int32'
      ? this.i32.slice(start, start + buffer.length)
      : this.f32.slice(start, start + buffer.length);
  }

  memoryInUse(): number {
    return this.allocator.live;
  }

  /** Bytes of wasm memory handed out so far (live + free lists + scratch): the heap's footprint. */
  memoryReserved(): number {
    return this.allocator.reservedTop;
  }

  private ptr(buffer: DataBuffer): number {
    const b = buffer as WasmBuffer;
    if (!(b instanceof WasmBuffer)) throw new TypeError('wasm backend: buffer was not allocated by this backend');
    if (b.freed) throw new Error(`wasm backend: use of a freed ${b.dtype} buffer of ${b.length} elements`);
    return b.ptr;
  }

  // ---- dispatch -------------------------------------------------------------------------

  /**
   * Runs `kernel` over [0, total) on as many threads as `perThread` work allows (two chunks per thread, claimed
   * dynamically, so a late worker costs nothing); `args` maps a range to the kernel's arguments.
   */
  private split(kernel: ParallelKernel, total: number, perThread: number, align: number,
    args: (start: number, end: number) => number[]): void {
    const parts = this.pool === undefined ? 1 : Math.min(this.threads, Math.floor(total / perThread));
    if (parts <= 1) {
      (this.k[kernel] as (...a: number[]) => void)(...args(0, total), this.scratch0);
      return;
    }
    this.runParts(kernel, ranges(total, parts * 2, align).map(([s, e]) => args(s, e)));
  }

  /** Runs each call (the thread's scratch pointer is appended as the last argument). */
  private runParts(kernel: ParallelKernel, calls: number[][]): void {
    const fn = this.k[kernel] as (...a: number[]) => void;
    if (calls.length === 1 || this.pool === undefined) {
      for (const call of calls) fn(...call, this.scratch0);
      return;
    }
    this.pool.run(parallelKernels.indexOf(kernel), calls, (call) => fn(...call));
  }

  /** Writes i32 values into the shared parameter block and returns its address. */
  private params(...groups: ReadonlyArray<readonly number[]>): number {
    let at = this.paramsOffset >>> 2;
    for (const group of groups) for (const v of group) this.i32[at++] = v;
    return this.paramsOffset;
  }

  private geometry(g: WindowGeometry): number {
    return this.params([g.batch, g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW,
      g.padH, g.padW, g.outH, g.outW]);
  }

  // ---- element-wise ---------------------------------------------------------------------

  fill(out: DataBuffer, value: number): void {
    const o = this.ptr(out);
    if (out.dtype === 'int32') {
      this.i32.fill(Math.trunc(value), o >>> 2, (o >>> 2) + out.length);
      return;
    }
    this.split('fill', out.length, this.thresholds.elementwise, 4, (s, e) => [o, s, e, value]);
  }

  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, alpha: number): void {
    const code = unaryCode[op];
    const xp = this.ptr(x);
    const op2 = this.ptr(out);
    const grain = cheapUnary.has(op) ? this.thresholds.elementwise : this.thresholds.transcendental;
    this.split('unary', x.length, grain, 4, (s, e) => [code, xp, op2, s, e, alpha]);
  }

  unaryBackward(op: UnaryOp, x: DataBuffer, y: DataBuffer, dy: DataBuffer, dx: DataBuffer, alpha: number): void {
    const code = unaryCode[op];
    const [xp, yp, dyp, dxp] = [this.ptr(x), this.ptr(y), this.ptr(dy), this.ptr(dx)];
    const grain = cheapUnary.has(op) ? this.thresholds.elementwise : this.thresholds.transcendental;
    this.split('unaryBackward', x.length, grain, 4, (s, e) => [code, xp, yp, dyp, dxp, s, e, alpha]);
  }

  binary(op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer, plan: BroadcastPlan): void {
    const code = binaryCode[op];
    const scalar = plan.shape.length === 0;
    const rank = scalar ? 1 : plan.shape.length;
    const planPtr = scalar ? this.params([1], [0], [0]) : this.params(plan.shape, plan.aStrides, plan.bStrides);
    const [ap, bp, op2] = [this.ptr(a), this.ptr(b), this.ptr(out)];
    const grain = op === 'pow' ? this.thresholds.transcendental : this.thresholds.elementwise;
    this.split('binary', out.length, grain, 4, (s, e) => [code, ap, bp, op2, rank, planPtr, s, e]);
  }

  affine(x: DataBuffer, out: DataBuffer, scale: number, shift: number): void {
    const [xp, op2] = [this.ptr(x), this.ptr(out)];
    this.split('affine', x.length, this.thresholds.elementwise, 4, (s, e) => [xp, op2, s, e, scale, shift]);
  }

  cast(x: DataBuffer, out: DataBuffer): void {
    const mode = x.dtype === out.dtype ? 0 : out.dtype === 'int32' ? 1 : 2;
    const [xp, op2] = [this.ptr(x), this.ptr(out)];
    this.split('cast', x.length, this.thresholds.elementwise, 4, (s, e) => [xp, op2, s, e, mode]);
  }

  // ---- reductions -----------------------------------------------------------------------

  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, size: number, inner: number): void {
    this.splitReduction('reduce', [reduceCode[op], this.ptr(x), this.ptr(out)], outer, size, inner);
  }

  argmax(x: DataBuffer, out: DataBuffer, outer: number, size: number, inner: number): void {
    this.splitReduction('argmax', [this.ptr(x), this.ptr(out)], outer, size, inner);
  }

  /** Splits (outer, size, inner) over outer rows when there are enough, else over inner columns. */
  private splitReduction(kernel: 'reduce' | 'argmax', head: number[], outer: number, size: number, inner: number): void {
    const parts = this.pool === undefined ? 1 : Math.min(this.threads, Math.floor(outer * size * inner / this.thresholds.reduction));
    if (parts > 1 && outer >= parts) {
      this.runParts(kernel, ranges(outer, parts, 1).map(([s, e]) => [...head, size, inner, s, e, 0, inner]));
    } else if (parts > 1 && inner >= parts * 4) {
      this.runParts(kernel, ranges(inner, parts, 4).map(([s, e]) => [...head, size, inner, 0, outer, s, e]));
    } else {
      this.runParts(kernel, [[...head, size, inner, 0, outer, 0, inner]]);
    }
  }

  // ---- movement -------------------------------------------------------------------------

  stridedCopy(src: DataBuffer, dst: DataBuffer, plan: StridedCopy): void {
    const scalar = plan.shape.length === 0;
    const rank = scalar ? 1 : plan.shape.length;
    const total = plan.shape.reduce((p, d) => p * d, 1);
    if (total === 0) return;
    const planPtr = scalar ? this.params([1], [0], [0]) : this.params(plan.shape, plan.srcStrides, plan.dstStrides);
    const [sp, dp] = [this.ptr(src), this.ptr(dst)];
    const acc = plan.accumulate ? 1 : 0;
    this.split('stridedCopy', total, this.thresholds.elementwise, 4,
      (s, e) => [sp, dp, rank, planPtr, plan.srcOffset, plan.dstOffset, acc, s, e]);
  }

  gather(x: DataBuffer, indices: DataBuffer, out: DataBuffer, outer: number, axisSize: number, inner: number): void {
    const count = indices.length;
    const [xp, ip, op2] = [this.ptr(x), this.ptr(indices), this.ptr(out)];
    const rowsPerThread = Math.max(1, Math.ceil(this.thresholds.elementwise / Math.max(inner, 1)));
    this.split('gather', outer * count, rowsPerThread, 1, (s, e) => [xp, ip, op2, axisSize, inner, count, s, e]);
  }

  scatterAdd(dy: DataBuffer, indices: DataBuffer, dx: DataBuffer, outer: number, axisSize: number, inner: number): void {
    const count = indices.length;
    const [dyp, ip, dxp] = [this.ptr(dy), this.ptr(indices), this.ptr(dx)];
    const head = [dyp, ip, dxp, axisSize, inner, count];
    const parts = this.pool === undefined ? 1 : Math.min(this.threads, Math.floor(outer * count * inner / this.thresholds.elementwise));
    // Split over outer (disjoint dx slices) or inner columns; never over `count` (indices may repeat).
    if (parts > 1 && outer >= parts) {
      this.runParts('scatterAdd', ranges(outer, parts, 1).map(([s, e]) => [...head, s, e, 0, inner]));
    } else if (parts > 1 && inner >= parts * 4) {
      this.runParts('scatterAdd', ranges(inner, parts, 4).map(([s, e]) => [...head, 0, outer, s, e]));
    } else {
      this.runParts('scatterAdd', [[...head, 0, outer, 0, inner]]);
    }
  }

  // ---- linear algebra and windows -------------------------------------------------------

  matmul(a: DataBuffer, b: DataBuffer, out: DataBuffer, p: MatmulParams): void {
    const [ap, bp, op2] = [this.ptr(a), this.ptr(b), this.ptr(out)];
    const threads = this.pool === undefined ? 1 : this.threads;
    const sparse = this.mostlyZero(a, p);
    const blocks = sparse && p.m % 4 === 0 && p.n % 8 === 0
      ? planRows(p, threads, this.thresholds.matmul)
      : planMatmul(p, threads, this.thresholds.matmul);
    this.runParts(sparse ? 'matmulSparseA' : 'matmul', blocks.map((block) => [
      ap, bp, op2, p.m, p.n, p.k, p.transA ? 1 : 0, p.transB ? 1 : 0, p.aBatchStride, p.bBatchStride,
      p.accumulate ? 1 : 0, ...block,
    ]));
  }

  /**
   * Whether A looks sparse enough (MNIST pixels, ReLU outputs) for matmulSparseA, judged from evenly spaced samples.
   * Either kernel gives the same bits (with finite B), so a wrong guess only costs time.
   */
  private mostlyZero(a: DataBuffer, p: MatmulParams): boolean {
    if (p.transB || p.m <= 2 || p.n < 4 || p.k === 0 || p.batch * p.m * p.n * p.k < this.thresholds.sparseMatmul) return false;
    this.refreshViews();
    const start = this.ptr(a) >>> 2;
    const length = a.length;
    const samples = Math.min(length, SPARSITY_SAMPLES);
    // A golden-ratio stride: no aliasing with row lengths (a stride of 196 would read only image corners).
    const stride = Math.max(1, Math.floor(length * GOLDEN));
    let nonZero = 0;
    for (let i = 0, at = 0; i < samples; i++, at = (at + stride) % length) if (this.f32[start + at] !== 0) nonZero++;
    return nonZero <= samples * this.thresholds.sparseDensity;
  }

  im2col(x: DataBuffer, cols: DataBuffer, g: WindowGeometry): void {
    const geometry = this.geometry(g);
    const [xp, cp] = [this.ptr(x), this.ptr(cols)];
    const rows = g.batch * g.outH * g.outW;
    const patch = g.channels * g.kernelH * g.kernelW;
    const rowsPerThread = Math.max(1, Math.ceil(this.thresholds.window / Math.max(patch, 1)));
    this.split('im2col', rows, rowsPerThread, 1, (s, e) => [xp, cp, geometry, s, e]);
  }

  col2im(cols: DataBuffer, dx: DataBuffer, g: WindowGeometry): void {
    const geometry = this.geometry(g);
    const [cp, xp] = [this.ptr(cols), this.ptr(dx)];
    // Split over whole images: col2im reads each cols row once and scatters it into one image.
    const imageWork = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
    const imagesPerThread = Math.max(1, Math.ceil(this.thresholds.window / Math.max(imageWork, 1)));
    this.split('col2im', g.batch, imagesPerThread, 1, (s, e) => [cp, xp, geometry, s, e]);
  }

  maxPool(x: DataBuffer, out: DataBuffer, argmax: DataBuffer, g: WindowGeometry): void {
    const geometry = this.geometry(g);
    const [xp, op2, ap] = [this.ptr(x), this.ptr(out), this.ptr(argmax)];
    this.splitPlanes('maxPool', g, g.height * g.width, (s, e) => [xp, op2, ap, geometry, s, e]);
  }

  maxPoolBackward(dy: DataBuffer, argmax: DataBuffer, dx: DataBuffer, g: WindowGeometry): void {
    const geometry = this.geometry(g);
    const [dyp, ap, dxp] = [this.ptr(dy), this.ptr(argmax), this.ptr(dx)];
    this.splitPlanes('maxPoolBackward', g, g.height * g.width, (s, e) => [dyp, ap, dxp, geometry, s, e]);
  }

  avgPool(x: DataBuffer, out: DataBuffer, g: WindowGeometry): void {
    const geometry = this.geometry(g);
    const [xp, op2] = [this.ptr(x), this.ptr(out)];
    this.splitPlanes('avgPool', g, g.height * g.width, (s, e) => [xp, op2, geometry, s, e]);
  }

  avgPoolBackward(dy: DataBuffer, dx: DataBuffer, g: WindowGeometry): void {
    const geometry = this.geometry(g);
    const [dyp, dxp] = [this.ptr(dy), this.ptr(dx)];
    this.splitPlanes('avgPoolBackward', g, g.height * g.width, (s, e) => [dyp, dxp, geometry, s, e]);
  }

  private splitPlanes(kernel: ParallelKernel, g: WindowGeometry, workPerPlane: number,
    args: (start: number, end: number) => number[]): void {
    const planesPerThread = Math.max(1, Math.ceil(this.thresholds.window / Math.max(workPerPlane, 1)));
    this.split(kernel, g.batch * g.channels, planesPerThread, 1, args);
  }

  // ---- fused composites -----------------------------------------------------------------

  softmax(x: DataBuffer, out: DataBuffer, rows: number, cols: number, log: boolean): void {
    const [xp, op2] = [this.ptr(x), this.ptr(out)];
    this.split('softmax', rows, this.rowsPerThread(cols), 1, (s, e) => [xp, op2, cols, log ? 1 : 0, s, e]);
  }

  softmaxBackward(y: DataBuffer, dy: DataBuffer, dx: DataBuffer, rows: number, cols: number, log: boolean): void {
    const [yp, dyp, dxp] = [this.ptr(y), this.ptr(dy), this.ptr(dx)];
    this.split('softmaxBackward', rows, this.rowsPerThread(cols), 1, (s, e) => [yp, dyp, dxp, cols, log ? 1 : 0, s, e]);
  }

  softmaxCrossEntropy(logits: DataBuffer, target: DataBuffer, sparse: boolean, losses: DataBuffer, probs: DataBuffer,
    rows: number, cols: number): void {
    const [lp, tp, lsp, pp] = [this.ptr(logits), this.ptr(target), this.ptr(losses), this.ptr(probs)];
    this.split('softmaxCrossEntropy', rows, this.rowsPerThread(cols), 1,
      (s, e) => [lp, tp, sparse ? 1 : 0, lsp, pp, cols, s, e]);
  }

  private rowsPerThread(cols: number): number {
    return Math.max(1, Math.ceil(this.thresholds.reduction / Math.max(cols, 1)));
  }

  convEpilogue(flat: DataBuffer, bias: DataBuffer | null, out: DataBuffer, g: ConvOutputGeometry, relu: boolean): void {
    const [fp, bp, op2] = [this.ptr(flat), this.ptrOrZero(bias), this.ptr(out)];
    this.splitImages('convEpilogue', g, (s, e) => [fp, bp, op2, g.spatial, g.channels, relu ? 1 : 0, s, e]);
  }

  convEpilogueBackward(dy: DataBuffer, y: DataBuffer | null, dflat: DataBuffer, g: ConvOutputGeometry, dbias: DataBuffer | null = null): void {
    const [dyp, yp, fp] = [this.ptr(dy), this.ptrOrZero(y), this.ptr(dflat)];
    // With dbias: per-image channel sums (batch, channels) in the same pass, then a small sum over images.
    const partial = dbias ? this.alloc(g.batch * g.channels, 'float32') : null;
    try {
      const pp = this.ptrOrZero(partial);
      this.splitImages('convEpilogueBackward', g, (s, e) => [dyp, yp, fp, pp, g.spatial, g.channels, s, e]);
      if (partial && dbias) this.reduce(ReduceOp.Sum, partial, dbias, 1, g.batch, g.channels);
    } finally {
      if (partial) this.free(partial);
    }
  }

  winogradWeights(w: DataBuffer, u: DataBuffer, outChannels: number, inChannels: number): void {
    const [wp, up] = [this.ptr(w), this.ptr(u)];
    const pairs = outChannels * inChannels;
    this.split('winogradWeights', pairs, Math.max(1, Math.ceil(this.thresholds.elementwise / 64)), 1, (s, e) => [wp, up, pairs, s, e]);
  }

  winogradConv(x: DataBuffer, u: DataBuffer, bias: DataBuffer | null, out: DataBuffer, g: WindowGeometry, outChannels: number, relu: boolean,
    inputTiles?: DataBuffer): void {
    const tilesH = Math.ceil(g.outH / 2);
    const tilesW = Math.ceil(g.outW / 2);
    const tiles = g.batch * tilesH * tilesW;
    const stride = winogradTileStride(tiles, g.channels, outChannels); // T' (winograd-layout.ts)
    const v = inputTiles ?? this.alloc(16 * g.channels * stride, 'float32');
    const m = this.alloc(16 * outChannels * stride, 'float32');
    try {
      const geometry = this.geometry(g);
      const [xp, vp] = [this.ptr(x), this.ptr(v)];
      this.zeroTilePadding(v, 16 * g.channels, tiles, stride);
      const perThread = Math.max(1, Math.ceil(this.thresholds.winograd / (16 * tilesH * tilesW)));
      this.split('winogradInput', g.batch * g.channels, perThread, 1, (s, e) => [xp, vp, geometry, tilesH, tilesW, stride, s, e]);
      // M[k] (T', O) = V[k]^T (T', C) @ U[k]^T (C, O), for the 16 k at once.
      this.matmul(v, u, m, {
        batch: 16, m: stride, n: outChannels, k: g.channels, transA: true, transB: true,
        aBatchStride: stride * g.channels, bBatchStride: outChannels * g.channels, accumulate: false,
      });
      const [mp, bp, op2] = [this.ptr(m), this.ptrOrZero(bias), this.ptr(out)];
      const tilesPerThread = Math.max(1, Math.ceil(this.thresholds.winograd / (16 * outChannels)));
      this.split('winogradOutput', tiles, tilesPerThread, 1,
        (s, e) => [mp, bp, op2, outChannels, stride, tilesH, tilesW, g.outH, g.outW, relu ? 1 : 0, s, e]);
    } finally {
      if (!inputTiles) this.free(v);
      this.free(m);
    }
  }

  convDirect(x: DataBuffer, weight: DataBuffer, bias: DataBuffer | null, out: DataBuffer, g: WindowGeometry, outChannels: number, relu: boolean): void {
    const macsPerImage = outChannels * g.outH * g.outW * g.channels * g.kernelH * g.kernelW;
    const scratchFloats = directPaddedFloats(g) + g.channels * g.kernelH * g.kernelW * outChannels;
    const [xp, wp, bp, op2] = [this.ptr(x), this.ptr(weight), this.ptrOrZero(bias), this.ptr(out)];
    const geometry = this.geometry(g);
    this.splitWithScratch('convDirect', g.batch, Math.max(1, Math.ceil(this.thresholds.matmul / Math.max(macsPerImage, 1))),
      scratchFloats, (s, e, scratch) => [xp, wp, bp, op2, geometry, outChannels, relu ? 1 : 0, scratch, s, e]);
  }

  convDirectBackwardFilter(x: DataBuffer, dy: DataBuffer, y: DataBuffer | null, dweight: DataBuffer | null,
    dbias: DataBuffer | null, g: WindowGeometry, outChannels: number): void {
    if (dweight === null && dbias === null) return;
    const macsPerChannel = g.batch * g.outH * g.outW * g.channels * g.kernelH * g.kernelW;
    const scratchFloats = directPaddedFloats(g) + g.outH * roundUp(g.outW, 4);
    const [xp, dyp, yp, dwp, dbp] = [this.ptr(x), this.ptr(dy), this.ptrOrZero(y), this.ptrOrZero(dweight), this.ptrOrZero(dbias)];
    const geometry = this.geometry(g);
    // Split over output channels: each one's sums run in the same order on any number of threads.
    this.splitWithScratch('convDirectBackwardFilter', outChannels,
      Math.max(1, Math.ceil(this.thresholds.matmul / Math.max(macsPerChannel, 1))),
      scratchFloats, (s, e, scratch) => [xp, dyp, yp, dwp, dbp, geometry, outChannels, scratch, s, e]);
  }

  /** Like split, giving each chunk its own `scratchFloats` of scratch (allocated for the call). */
  private splitWithScratch(kernel: ParallelKernel, total: number, perThread: number, scratchFloats: number,
    args: (start: number, end: number, scratch: number) => number[]): void {
    const parts = this.pool === undefined ? 1 : Math.min(this.threads, Math.floor(total / perThread));
    const chunks = parts <= 1 ? [[0, total]] : ranges(total, parts * 2, 1);
    const stride = roundUp(scratchFloats, 4);
    const scratch = this.alloc(chunks.length * stride, 'float32');
    try {
      const base = this.ptr(scratch);
      this.runParts(kernel, chunks.map(([s, e], i) => args(s, e, base + i * stride * 4)));
    } finally {
      this.free(scratch);
    }
  }

  winogradConvBackward(dy: DataBuffer, y: DataBuffer | null, u: DataBuffer, inputTiles: DataBuffer | null, dx: DataBuffer | null,
    dw: DataBuffer | null, planeSums: DataBuffer | null, g: WindowGeometry, outChannels: number): void {
    const tilesH = Math.ceil(g.outH / 2);
    const tilesW = Math.ceil(g.outW / 2);
    const tiles = g.batch * tilesH * tilesW;
    const channels = g.channels;
    const stride = winogradTileStride(tiles, channels, outChannels);
    const dm = this.alloc(16 * outChannels * stride, 'float32');
    const scratch: DataBuffer[] = [dm];
    try {
      const [dyp, yp, dmp, sp] = [this.ptr(dy), this.ptrOrZero(y), this.ptr(dm), this.ptrOrZero(planeSums)];
      this.zeroTilePadding(dm, 16 * outChannels, tiles, stride);
      const planesPerThread = Math.max(1, Math.ceil(this.thresholds.winograd / (16 * tilesH * tilesW)));
      this.split('winogradGradOutput', g.batch * outChannels, planesPerThread, 1,
        (s, e) => [dyp, yp, dmp, sp, outChannels, stride, tilesH, tilesW, g.outH, g.outW, s, e]);
      if (dw) {
        if (!inputTiles) throw new Error('winogradConvBackward: the weight gradient needs the input tiles the forward pass kept');
        // dU[k] (O, C) = dM[k] (O, T') @ V[k]^T (T', C), for the 16 k at once.
        const du = this.alloc(16 * outChannels * channels, 'float32');
        scratch.push(du);
        this.matmul(dm, inputTiles, du, {
          batch: 16, m: outChannels, n: channels, k: stride, transA: false, transB: true,
          aBatchStride: outChannels * stride, bBatchStride: channels * stride, accumulate: false,
        });
        const [dup, dwp] = [this.ptr(du), this.ptr(dw)];
        const pairs = outChannels * channels;
        this.split('winogradWeightsBackward', pairs, Math.max(1, Math.ceil(this.thresholds.elementwise / 64)), 1, (s, e) => [dup, dwp, pairs, s, e]);
      }
      if (dx) {
        // dV[k] (C, T') = U[k]^T (C, O) @ dM[k] (O, T').
        const dv = this.alloc(16 * channels * stride, 'float32');
        scratch.push(dv);
        this.matmul(u, dm, dv, {
          batch: 16, m: channels, n: stride, k: outChannels, transA: true, transB: false,
          aBatchStride: outChannels * channels, bBatchStride: outChannels * stride, accumulate: false,
        });
        const geometry = this.geometry(g);
        const [dvp, dxp] = [this.ptr(dv), this.ptr(dx)];
        this.split('winogradInputBackward', g.batch * channels, planesPerThread, 1, (s, e) => [dvp, dxp, geometry, tilesH, tilesW, stride, s, e]);
      }
    } finally {
      for (const b of scratch) this.free(b);
    }
  }

  /** Zeroes columns [tiles, stride) of each of the `rows` rows of a (rows, stride) Winograd buffer. */
  private zeroTilePadding(buffer: DataBuffer, rows: number, tiles: number, stride: number): void {
    if (stride === tiles) return;
    const base = this.ptr(buffer) >>> 2;
    for (let r = 0; r < rows; r++) this.f32.fill(0, base + r * stride + tiles, base + (r + 1) * stride);
  }

  /** Splits a conv epilogue over whole images (memory-bound: the element-wise threshold). */
  private splitImages(kernel: ParallelKernel, g: ConvOutputGeometry, args: (start: number, end: number) => number[]): void {
    const imagesPerThread = Math.max(1, Math.ceil(this.thresholds.elementwise / Math.max(g.channels * g.spatial, 1)));
    this.split(kernel, g.batch, imagesPerThread, 1, args);
  }

  batchNormForward(x: DataBuffer, weight: DataBuffer | null, bias: DataBuffer | null, mean: DataBuffer, variance: DataBuffer,
    invStd: DataBuffer, y: DataBuffer, g: BatchNormGeometry, training: boolean, eps: number, relu = false): void {
    const [xp, wp, bp] = [this.ptr(x), this.ptrOrZero(weight), this.ptrOrZero(bias)];
    const [mp, vp, ip, yp] = [this.ptr(mean), this.ptr(variance), this.ptr(invStd), this.ptr(y)];
    this.splitChannels('batchNormForward', g, (s, e) => [
      xp, wp, bp, mp, vp, ip, yp, g.batch, g.channels, g.spatial, training ? 1 : 0, eps, relu ? 1 : 0, s, e,
    ]);
  }

  batchNormBackward(x: DataBuffer, dy: DataBuffer, mean: DataBuffer, invStd: DataBuffer, weight: DataBuffer | null,
    dx: DataBuffer | null, dweight: DataBuffer | null, dbias: DataBuffer | null, g: BatchNormGeometry, training: boolean,
    reluOutput: DataBuffer | null = null): void {
    const [xp, dyp, yp, mp, ip] = [this.ptr(x), this.ptr(dy), this.ptrOrZero(reluOutput), this.ptr(mean), this.ptr(invStd)];
    const [wp, dxp, dwp, dbp] = [this.ptrOrZero(weight), this.ptrOrZero(dx), this.ptrOrZero(dweight), this.ptrOrZero(dbias)];
    this.splitChannels('batchNormBackward', g, (s, e) => [
      xp, dyp, yp, mp, ip, wp, dxp, dwp, dbp, g.batch, g.channels, g.spatial, training ? 1 : 0, s, e,
    ]);
  }

  /** Splits batch norm over channels (each reads its batch * spatial values about three times). */
  private splitChannels(kernel: ParallelKernel, g: BatchNormGeometry, args: (start: number, end: number) => number[]): void {
    const channelsPerThread = Math.max(1, Math.ceil(this.thresholds.reduction / Math.max(g.batch * g.spatial, 1)));
    // With spatial == 1 four channels share a vector: keep inner boundaries on multiples of 4.
    this.split(kernel, g.channels, channelsPerThread, g.spatial === 1 ? 4 : 1, args);
  }

  /** A buffer's address, or 0 (which no buffer has) for an absent optional one. */
  private ptrOrZero(buffer: DataBuffer | null): number {
    return buffer === null ? 0 : this.ptr(buffer);
  }

  adamStep(param: DataBuffer, grad: DataBuffer, m: DataBuffer, v: DataBuffer, p: AdamParams): void {
    const [pp, gp, mp, vp] = [this.ptr(param), this.ptr(grad), this.ptr(m), this.ptr(v)];
    const inverseCorrection1 = 1 / (1 - p.beta1 ** p.step);
    const inverseCorrection2 = 1 / (1 - p.beta2 ** p.step);
    const decayFactor = 1 - p.lr * p.decoupledWeightDecay;
    this.split('adamStep', param.length, this.thresholds.optimizer, 4, (s, e) => [
      pp, gp, mp, vp, s, e, p.lr, p.beta1, p.beta2, 1 - p.beta1, 1 - p.beta2, p.eps, p.weightDecay, decayFactor,
      inverseCorrection1, inverseCorrection2,
    ]);
  }

  adamStepMany(tensors: readonly AdamSlots[], p: AdamParams): void {
    if (tensors.length === 0) return;
    // The table kernels/optim-many.ts reads: per tensor its four pointers, then its offset and length end to end.
    const table = this.alloc(tensors.length * 6, 'int32');
    try {
      let at = this.ptr(table) >>> 2;
      let total = 0;
      for (const t of tensors) {
        const length = t.param.length;
        this.i32.set([this.ptr(t.param), this.ptr(t.grad), this.ptr(t.m), this.ptr(t.v), total, length], at);
        at += 6;
        total += length;
      }
      const tp = this.ptr(table);
      const inverseCorrection1 = 1 / (1 - p.beta1 ** p.step);
      const inverseCorrection2 = 1 / (1 - p.beta2 ** p.step);
      const decayFactor = 1 - p.lr * p.decoupledWeightDecay;
      this.split('adamStepMany', total, this.thresholds.optimizer, 4, (s, e) => [
        tp, tensors.length, s, e, p.lr, p.beta1, p.beta2, 1 - p.beta1, 1 - p.beta2, p.eps, p.weightDecay, decayFactor,
        inverseCorrection1, inverseCorrection2,
      ]);
    } finally {
      this.free(table);
    }
  }

  sgdStep(param: DataBuffer, grad: DataBuffer, velocity: DataBuffer, p: SgdParams): void {
    const [pp, gp, vp] = [this.ptr(param), this.ptr(grad), this.ptr(velocity)];
    this.split('sgdStep', param.length, this.thresholds.optimizer, 4,
      (s, e) => [pp, gp, vp, s, e, p.lr, p.momentum, p.nesterov ? 1 : 0, p.weightDecay]);
  }
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** Floats of one image padded for the direct convolution kernels (kernels/conv-direct.ts paddedFloats). */
function directPaddedFloats(g: WindowGeometry): number {
  return g.channels * (roundUp(g.outH, 2) + g.kernelH - 1) * (roundUp(g.outW, 4) + g.kernelW - 1);
}
