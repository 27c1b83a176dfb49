// The backends every engine suite runs on: the float64 reference, WebAssembly with one thread and with all
// threads (the default kernel build), and the other kernel build with all threads where the engine validates it.
import { availableParallelism } from 'node:os';
import { CpuBackend, relaxedSimdSupported, resolveKernelBuild, type Backend, type KernelBuild } from '../../src/index.js';

export interface BackendCase {
  name: string;
  /** Relative tolerance suited to the backend's precision. */
  tolerance: number;
  make(): Promise<Backend>;
}

const wasmCache = new Map<string, Promise<Backend>>();

async function wasm(threads: number, kernels?: KernelBuild): Promise<Backend> {
  const key = `${threads} ${kernels ?? 'default'}`;
  let backend = wasmCache.get(key);
  if (!backend) {
    const module = await import('../../src/backend/wasm/index.js');
    backend = module.createWasmBackend({ threads, kernels });
    wasmCache.set(key, backend);
  }
  return backend;
}

const allThreads = Math.max(2, availableParallelism());
const defaultBuild = resolveKernelBuild();
const otherBuild: KernelBuild | undefined = defaultBuild === 'simd' ? (relaxedSimdSupported() ? 'relaxed-simd' : undefined) : 'simd';

export const backendCases: BackendCase[] = [
  { name: 'cpu', tolerance: 1e-9, make: async () => new CpuBackend() },
  { name: 'wasm-1', tolerance: 2e-4, make: () => wasm(1) },
  // All cores, and at least two so the threaded paths always run.
  { name: 'wasm-threads', tolerance: 2e-4, make: () => wasm(allThreads) },
  ...(otherBuild ? [{ name: `wasm-threads-${otherBuild}`, tolerance: 2e-4, make: () => wasm(allThreads, otherBuild) }] : []),
];
