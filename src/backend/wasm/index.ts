// Public entry of the WebAssembly backend: `createWasmBackend()` builds the shared memory, instantiates the
// kernels on this thread and starts the worker threads. Browsers need cross-origin isolation (COOP/COEP) for shared memory.
import { builtin, isNode } from '../../platform/node.js';
import { resolveKernelBuild, type KernelBuild, type KernelChoice } from './kernel-build.js';
import { instantiateKernels, instantiateKernelsSync, kernelModule, kernelModuleSync, parallelKernels, type KernelExports } from './kernels.js';
import { ThreadPool, controlBytes } from './thread-pool.js';
import { defaultThresholds, type Thresholds } from './thresholds.js';
import { PARAMS_BYTES, WasmBackend } from './wasm-backend.js';

export { WasmBackend } from './wasm-backend.js';
export type { Thresholds } from './thresholds.js';
export { relaxedSimdSupported, resolveKernelBuild, type KernelBuild, type KernelChoice } from './kernel-build.js';

export interface WasmBackendOptions {
  /** Threads to compute on, including the calling thread. Default: all cores. */
  threads?: number;
  /** Upper bound of the wasm heap in MiB (default 4096, the wasm32 limit). */
  maxMemoryMB?: number;
  /** Zero recycled blocks in alloc(), like fresh memory (default false: the Backend contract leaves alloc contents unspecified). */
  zeroOnAlloc?: boolean;
  /** Override cut-overs between one thread and all threads. */
  thresholds?: Partial<Thresholds>;
  /** How long an idle worker keeps spinning before it sleeps, in ms (default 0.05; waking a sleeper costs 10 us to ms, but a spinning worker slows an SMT sibling). */
  spinMs?: number;
  /**
   * Kernel build: 'simd', 'relaxed-simd' (FMA in the GEMM micro-kernel; an error where the engine lacks relaxed SIMD) or 'auto'
   * (relaxed where it validates). Default: the ZEROGRAD_KERNELS environment variable, else 'auto'.
   */
  kernels?: KernelChoice;
}

const PAGE = 65536;
const MAX_THREADS = 64;

/** All cores: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
function defaultThreadCount(): number {
  if (isNode) {
    const os = builtin('os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

interface Layout {
  threads: number;
  memory: WebAssembly.Memory;
  controlOffset: number;
  paramsOffset: number;
  scratch: number[];
  heapStart: number;
}

function threadCount(options: WasmBackendOptions): number {
  const requested = options.threads ?? defaultThreadCount();
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`wasm backend: threads must be a positive integer, got ${requested}`);
  return Math.min(requested, MAX_THREADS);
}

function sharedMemory(options: WasmBackendOptions): WebAssembly.Memory {
  const maxPages = Math.min(65536, Math.ceil((options.maxMemoryMB ?? 4096) * 1024 * 1024 / PAGE));
  return new WebAssembly.Memory({ initial: Math.min(256, maxPages), maximum: maxPages, shared: true });
}

/** Layout: [static data | control block | params | per-thread GEMM scratch | heap]. */
function layout(kernels: KernelExports, memory: WebAssembly.Memory, threads: number): Layout {
  const align = (n: number): number => Math.ceil(n / 64) * 64;
  const controlOffset = align(Math.max(kernels.heapBase(), 1024));
  const paramsOffset = align(controlOffset + controlBytes());
  const scratchBytes = align(kernels.gemmScratchBytes());
  const scratch = Array.from({ length: threads }, (_, t) => align(paramsOffset + PARAMS_BYTES) + t * scratchBytes);
  const heapStart = scratch[threads - 1] + scratchBytes;
  if (heapStart > memory.buffer.byteLength) memory.grow(Math.ceil((heapStart - memory.buffer.byteLength) / PAGE));
  return { threads, memory, controlOffset, paramsOffset, scratch, heapStart };
}

function assemble(kernels: KernelExports, build: KernelBuild, at: Layout, pool: ThreadPool | undefined, options: WasmBackendOptions): WasmBackend {
  return new WasmBackend({
    memory: at.memory, kernels, kernelBuild: build, pool, threads: at.threads, paramsOffset: at.paramsOffset, scratch: at.scratch, heapStart: at.heapStart,
    thresholds: { ...defaultThresholds, ...options.thresholds },
    zeroOnAlloc: options.zeroOnAlloc ?? false,
  });
}

function poolOptions(module: WebAssembly.Module, at: Layout, options: WasmBackendOptions) {
  return { threads: at.threads, module, memory: at.memory, controlOffset: at.controlOffset, names: parallelKernels, scratch: at.scratch, spinMs: options.spinMs ?? 0.05 };
}

/** Builds the backend: compiles the kernels, lays out the shared memory and waits for the worker threads. */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const build = resolveKernelBuild(options.kernels);
  const threads = threadCount(options);
  const memory = sharedMemory(options);
  const module = await kernelModule(build);
  const kernels = await instantiateKernels(module, memory);
  const at = layout(kernels, memory, threads);
  const pool = threads > 1 ? await ThreadPool.start(poolOptions(module, at, options)) : undefined;
  return assemble(kernels, build, at, pool, options);
}

/**
 * The same without waiting (Node only): compiles on this thread and lets the workers join as they boot, so the
 * first operation of a program that never called init() already runs on wasm. Results equal createWasmBackend's.
 */
export function createWasmBackendSync(options: WasmBackendOptions = {}): WasmBackend {
  if (!isNode) throw new Error('createWasmBackendSync: Node.js only; in a browser, await init(\'wasm\')');
  const build = resolveKernelBuild(options.kernels);
  const threads = threadCount(options);
  const memory = sharedMemory(options);
  const module = kernelModuleSync(build);
  const kernels = instantiateKernelsSync(module, memory);
  const at = layout(kernels, memory, threads);
  const pool = threads > 1 ? ThreadPool.startDetached(poolOptions(module, at, options)) : undefined;
  return assemble(kernels, build, at, pool, options);
}
