// The backends every engine suite runs on: the float64 reference, and WebAssembly with one
// thread and with all threads (when the kernels are built).
import { availableParallelism } from 'node:os';
import { CpuBackend, type Backend } from '../../src/index.js';

export interface BackendCase {
  name: string;
  /** Relative tolerance suited to the backend's precision. */
  tolerance: number;
  make(): Promise<Backend>;
}

const wasmCache = new Map<number, Promise<Backend>>();

async function wasm(threads: number): Promise<Backend> {
  let backend = wasmCache.get(threads);
  if (!backend) {
    const module = await import('../../src/backend/wasm/index.js');
    backend = module.createWasmBackend({ threads });
    wasmCache.set(threads, backend);
  }
  return backend;
}

export const backendCases: BackendCase[] = [
  { name: 'cpu', tolerance: 1e-9, make: async () => new CpuBackend() },
  { name: 'wasm-1', tolerance: 2e-4, make: () => wasm(1) },
  // All cores, and at least two so the threaded paths always run.
  { name: 'wasm-threads', tolerance: 2e-4, make: () => wasm(Math.max(2, availableParallelism())) },
];
