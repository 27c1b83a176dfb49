// Choosing a backend by name, and the backend a program gets when it never calls init(). The WebAssembly
// backend starts its worker threads only when first chosen.
import { ZerogradError } from '../errors.js';
import { isNode } from '../platform/node.js';
import { setBackend } from '../tensor/engine.js';
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/cpu-backend.js';
import { createWasmBackend, createWasmBackendSync, type KernelChoice } from './wasm/index.js';

export type BackendName = 'wasm' | 'cpu';
/** Which wasm kernel build a choice resolves to here (what `zerograd --version` prints). */
export { resolveKernelBuild } from './wasm/index.js';

export interface InitOptions {
  /** Worker threads for the wasm backend (default: all cores). */
  threads?: number;
  /** Kernel build of the wasm backend: 'simd', 'relaxed-simd' or 'auto' (default: ZEROGRAD_KERNELS, else 'auto'). */
  kernels?: KernelChoice;
}

const cache = new Map<string, Promise<Backend>>();
const cacheKey = (name: BackendName, options: InitOptions): string => `${name}:${options.threads ?? 0}${options.kernels ? `:${options.kernels}` : ''}`;

/** Creates (once per name, thread count and kernel choice) and activates a backend; returns it. */
export async function init(name: BackendName = 'wasm', options: InitOptions = {}): Promise<Backend> {
  const key = cacheKey(name, options);
  let backend = cache.get(key);
  if (!backend) {
    if (name === 'cpu') backend = Promise.resolve(new CpuBackend());
    else if (name === 'wasm') backend = createWasmBackend({ threads: options.threads, kernels: options.kernels });
    else throw new ZerogradError(`unknown backend '${String(name)}'; expected wasm or cpu`);
    cache.set(key, backend);
  }
  const ready = await backend;
  setBackend(ready);
  return ready;
}

let warned = false;

/**
 * The backend of a program that never called init(): in Node the wasm backend, built without waiting (and the
 * one a later `init('wasm')` returns); elsewhere, or if wasm cannot start, the float64 reference backend with a
 * one-line warning, since it is about 100 times slower.
 */
export function defaultBackend(): Backend {
  if (isNode) {
    try {
      const wasm = createWasmBackendSync();
      cache.set(cacheKey('wasm', {}), Promise.resolve(wasm));
      return wasm;
    } catch (err) {
      return slowFallback(`the wasm backend could not start (${(err as Error).message})`);
    }
  }
  return slowFallback('no backend was chosen');
}

function slowFallback(why: string): Backend {
  if (!warned) console.warn(`zerograd: ${why}; computing on the float64 reference backend ('cpu'), about 100x slower. Call \`await init('wasm')\` first.`);
  warned = true;
  return new CpuBackend();
}
