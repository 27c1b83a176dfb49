// Choosing a backend by name. The WebAssembly backend loads lazily (it starts worker threads).
import { ZerogradError } from '../errors.js';
import { setBackend } from '../tensor/engine.js';
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/cpu-backend.js';

export type BackendName = 'wasm' | 'cpu';

export interface InitOptions {
  /** Worker threads for the wasm backend (default: all cores). */
  threads?: number;
}

const cache = new Map<string, Promise<Backend>>();

/** Creates (once per name and thread count) and activates a backend; returns it. */
export async function init(name: BackendName = 'wasm', options: InitOptions = {}): Promise<Backend> {
  const key = `${name}:${options.threads ?? 0}`;
  let backend = cache.get(key);
  if (!backend) {
    if (name === 'cpu') backend = Promise.resolve(new CpuBackend());
    else if (name === 'wasm') backend = import('./wasm/index.js').then((m) => m.createWasmBackend({ threads: options.threads }));
    else throw new ZerogradError(`unknown backend '${String(name)}'; expected wasm or cpu`);
    cache.set(key, backend);
  }
  const ready = await backend;
  setBackend(ready);
  return ready;
}
