// Loads the compiled kernels (base64 from kernels.generated.ts: the plain and the relaxed-SIMD build) and types
// their exports. Each build is compiled once per process and instantiated on each thread against the shared memory.
import type { KernelBuild } from './kernel-build.js';
import { kernelsBase64, kernelsRelaxedBase64 } from './kernels.generated.js';

/** Signatures of the wasm exports (pointers and sizes are plain numbers; flags are 0/1). */
export interface KernelExports {
  heapBase(): number;
  gemmScratchBytes(): number;
  fill(out: number, start: number, end: number, value: number): void;
  unary(op: number, x: number, out: number, start: number, end: number, alpha: number): void;
  unaryBackward(op: number, x: number, y: number, dy: number, dx: number, start: number, end: number, alpha: number): void;
  affine(x: number, out: number, start: number, end: number, scale: number, shift: number): void;
  cast(x: number, out: number, start: number, end: number, mode: number): void;
  binary(op: number, a: number, b: number, out: number, rank: number, plan: number, start: number, end: number): void;
  reduce(op: number, x: number, out: number, size: number, inner: number,
    outerStart: number, outerEnd: number, innerStart: number, innerEnd: number): void;
  argmax(x: number, out: number, size: number, inner: number,
    outerStart: number, outerEnd: number, innerStart: number, innerEnd: number): void;
  softmax(x: number, out: number, cols: number, log: number, rowStart: number, rowEnd: number): void;
  softmaxBackward(y: number, dy: number, dx: number, cols: number, log: number, rowStart: number, rowEnd: number): void;
  softmaxCrossEntropy(logits: number, target: number, sparse: number, losses: number, probs: number,
    cols: number, rowStart: number, rowEnd: number): void;
  stridedCopy(src: number, dst: number, rank: number, plan: number, srcOffset: number, dstOffset: number,
    accumulate: number, start: number, end: number): void;
  gather(x: number, indices: number, out: number, axisSize: number, inner: number, count: number,
    rowStart: number, rowEnd: number): void;
  scatterAdd(dy: number, indices: number, dx: number, axisSize: number, inner: number, count: number,
    outerStart: number, outerEnd: number, innerStart: number, innerEnd: number): void;
  matmul(a: number, b: number, out: number, m: number, n: number, k: number, transA: number, transB: number,
    aBatchStride: number, bBatchStride: number, accumulate: number, batchStart: number, batchEnd: number,
    rowStart: number, rowEnd: number, colStart: number, colEnd: number, scratch: number): void;
  /** matmul's arguments and result; skips the zeros of A (see kernels/sparse-gemm.ts). */
  matmulSparseA(a: number, b: number, out: number, m: number, n: number, k: number, transA: number, transB: number,
    aBatchStride: number, bBatchStride: number, accumulate: number, batchStart: number, batchEnd: number,
    rowStart: number, rowEnd: number, colStart: number, colEnd: number, scratch: number): void;
  im2col(x: number, cols: number, geometry: number, rowStart: number, rowEnd: number): void;
  col2im(cols: number, dx: number, geometry: number, imageStart: number, imageEnd: number): void;
  maxPool(x: number, out: number, argmax: number, geometry: number, planeStart: number, planeEnd: number): void;
  maxPoolBackward(dy: number, argmax: number, dx: number, geometry: number, planeStart: number, planeEnd: number): void;
  avgPool(x: number, out: number, geometry: number, planeStart: number, planeEnd: number): void;
  avgPoolBackward(dy: number, dx: number, geometry: number, planeStart: number, planeEnd: number): void;
  batchNormForward(x: number, weight: number, bias: number, mean: number, variance: number, invStd: number, y: number,
    batch: number, channels: number, spatial: number, training: number, eps: number, relu: number, channelStart: number, channelEnd: number): void;
  batchNormBackward(x: number, dy: number, y: number, mean: number, invStd: number, weight: number, dx: number, dweight: number,
    dbias: number, batch: number, channels: number, spatial: number, training: number, channelStart: number,
    channelEnd: number): void;
  convEpilogue(flat: number, bias: number, out: number, spatial: number, channels: number, relu: number,
    imageStart: number, imageEnd: number): void;
  convEpilogueBackward(dy: number, y: number, dflat: number, partial: number, spatial: number, channels: number,
    imageStart: number, imageEnd: number): void;
  winogradWeights(w: number, u: number, pairs: number, start: number, end: number): void;
  winogradInput(x: number, v: number, geometry: number, tilesH: number, tilesW: number, tiles: number, start: number, end: number): void;
  winogradOutput(m: number, bias: number, out: number, outChannels: number, tiles: number, tilesH: number, tilesW: number,
    outH: number, outW: number, relu: number, start: number, end: number): void;
  convDirect(x: number, w: number, bias: number, out: number, geometry: number, outChannels: number, relu: number,
    scratch: number, imageStart: number, imageEnd: number): void;
  convDirectBackwardFilter(x: number, dy: number, y: number, dw: number, db: number, geometry: number, outChannels: number,
    scratch: number, channelStart: number, channelEnd: number): void;
  winogradGradOutput(dy: number, y: number, dm: number, sums: number, outChannels: number, tiles: number, tilesH: number,
    tilesW: number, outH: number, outW: number, start: number, end: number): void;
  winogradWeightsBackward(du: number, dw: number, pairs: number, start: number, end: number): void;
  winogradInputBackward(dv: number, dx: number, geometry: number, tilesH: number, tilesW: number, tiles: number, start: number, end: number): void;
  adamStep(param: number, grad: number, m: number, v: number, start: number, end: number, lr: number, beta1: number,
    beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, eps: number, weightDecay: number, decayFactor: number,
    inverseCorrection1: number, inverseCorrection2: number): void;
  adamStepMany(table: number, count: number, start: number, end: number, lr: number, beta1: number, beta2: number,
    oneMinusBeta1: number, oneMinusBeta2: number, eps: number, weightDecay: number, decayFactor: number,
    inverseCorrection1: number, inverseCorrection2: number): void;
  sgdStep(param: number, grad: number, velocity: number, start: number, end: number,
    lr: number, momentum: number, nesterov: number, weightDecay: number): void;
}

/** Kernels that may be split across threads; the index is the id workers use. */
export const parallelKernels = [
  'fill', 'unary', 'unaryBackward', 'affine', 'cast', 'binary', 'reduce', 'argmax', 'softmax', 'softmaxBackward',
  'softmaxCrossEntropy', 'stridedCopy', 'gather', 'scatterAdd', 'matmul', 'im2col', 'col2im', 'maxPool',
  'maxPoolBackward', 'avgPool', 'avgPoolBackward', 'adamStep', 'sgdStep', 'batchNormForward', 'batchNormBackward',
  'convEpilogue', 'convEpilogueBackward', 'winogradWeights', 'winogradInput', 'winogradOutput', 'convDirect',
  'convDirectBackwardFilter', 'winogradGradOutput', 'winogradWeightsBackward', 'winogradInputBackward',
  'matmulSparseA', 'adamStepMany',
] as const satisfies readonly (keyof KernelExports)[];

export type ParallelKernel = (typeof parallelKernels)[number];

const sources: Record<KernelBuild, string> = { 'simd': kernelsBase64, 'relaxed-simd': kernelsRelaxedBase64 };
const compiled = new Map<KernelBuild, WebAssembly.Module>();
const compiling = new Map<KernelBuild, Promise<WebAssembly.Module>>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The compiled kernel module of `build` (compiled on first use, then cached). */
export function kernelModule(build: KernelBuild): Promise<WebAssembly.Module> {
  const done = compiled.get(build);
  if (done) return Promise.resolve(done);
  let pending = compiling.get(build);
  if (!pending) {
    pending = WebAssembly.compile(decodeBase64(sources[build])).then((module) => { compiled.set(build, module); return module; });
    compiling.set(build, pending);
  }
  return pending;
}

/** The same, compiled on this thread without waiting (Node; browsers refuse large synchronous compiles on the main thread). */
export function kernelModuleSync(build: KernelBuild): WebAssembly.Module {
  let module = compiled.get(build);
  if (!module) {
    module = new WebAssembly.Module(decodeBase64(sources[build]));
    compiled.set(build, module);
  }
  return module;
}

export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}

export function instantiateKernelsSync(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}
