// Public entry of the WebAssembly backend: `createWasmBackend()` builds the shared memory, instantiates the
// kernels on this thread and starts the worker threads. Browsers need cross-origin isolation (COOP/COEP) for shared memory.
import { kernelModule, instantiateKernels, parallelKernels } from './kernels.js';
import { ThreadPool, controlBytes } from './thread-pool.js';
import { defaultThresholds, type Thresholds } from './thresholds.js';
import { PARAMS_BYTES, WasmBackend } from './wasm-backend.js';

export { WasmBackend } from './wasm-backend.js';
export type { Thresholds } from './thresholds.js';

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
}

const PAGE = 65536;
const MAX_THREADS = 64;

async function defaultThreadCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (typeof process === 'object' && process.versions?.node !== undefined) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return nav?.hardwareConcurrency ?? 1;
}

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const requested = options.threads ?? await defaultThreadCount();
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`wasm backend: threads must be a positive integer, got ${requested}`);
  const threads = Math.min(requested, MAX_THREADS);
  const maxPages = Math.min(65536, Math.ceil((options.maxMemoryMB ?? 4096) * 1024 * 1024 / PAGE));
  const memory = new WebAssembly.Memory({ initial: Math.min(256, maxPages), maximum: maxPages, shared: true });
  const module = await kernelModule();
  const kernels = await instantiateKernels(module, memory);
  // Layout: [static data | control block | params | per-thread GEMM scratch | heap].
  const align = (n: number): number => Math.ceil(n / 64) * 64;
  const controlOffset = align(Math.max(kernels.heapBase(), 1024));
  const paramsOffset = align(controlOffset + controlBytes());
  const scratchBytes = align(kernels.gemmScratchBytes());
  const scratch = Array.from({ length: threads }, (_, t) => align(paramsOffset + PARAMS_BYTES) + t * scratchBytes);
  const heapStart = scratch[threads - 1] + scratchBytes;
  if (heapStart > memory.buffer.byteLength) memory.grow(Math.ceil((heapStart - memory.buffer.byteLength) / PAGE));
  const pool = threads > 1
    ? await ThreadPool.start({ threads, module, memory, controlOffset, names: parallelKernels, scratch, spinMs: options.spinMs ?? 0.05 })
    : undefined;
  return new WasmBackend({
    memory, kernels, pool, threads, paramsOffset, scratch, heapStart,
    thresholds: { ...defaultThresholds, ...options.thresholds },
    zeroOnAlloc: options.zeroOnAlloc ?? false,
  });
}
