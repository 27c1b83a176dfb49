// Shared helpers for the wasm backend parity tests: seeded data, backends per kernel build and thread setting, and
// a tolerance check against the float64 reference backend (inputs are float32 on both sides). Every setting runs
// on each kernel build the engine validates: plain SIMD everywhere, relaxed SIMD too on Node >= 21.
import { availableParallelism } from 'node:os';
import { expect } from 'vitest';
import type { Backend, DataBuffer, DType } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { createWasmBackend, relaxedSimdSupported, type KernelBuild, type WasmBackend } from '../../src/backend/wasm/index.js';

export interface ThreadSetting {
  label: string;
  kernels: KernelBuild;
  threads: number;
  /** Split every call that can be split, however small (exercises the threaded paths on odd shapes). */
  forceSplit: boolean;
}

const cores = Math.max(2, availableParallelism());

/** The kernel builds this engine validates. */
export const kernelBuilds: KernelBuild[] = relaxedSimdSupported() ? ['simd', 'relaxed-simd'] : ['simd'];

export const threadSettings: ThreadSetting[] = kernelBuilds.flatMap((kernels): ThreadSetting[] => [
  { label: `${kernels} threads=1`, kernels, threads: 1, forceSplit: false },
  { label: `${kernels} threads=${cores}`, kernels, threads: cores, forceSplit: false },
  { label: `${kernels} threads=${cores} always split`, kernels, threads: cores, forceSplit: true },
]);

export function makeWasm(setting: ThreadSetting): Promise<WasmBackend> {
  const thresholds = setting.forceSplit
    ? { elementwise: 1, transcendental: 1, reduction: 1, window: 1, optimizer: 1, matmul: 1 }
    : undefined;
  return createWasmBackend({ threads: setting.threads, thresholds, kernels: setting.kernels });
}

export const cpu = new CpuBackend();

/** Deterministic uniform numbers in [lo, hi), rounded to float32. */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}

export function upload(backend: Backend, data: ArrayLike<number>, dtype: DType = 'float32'): DataBuffer {
  const buffer = backend.alloc(data.length, dtype);
  backend.write(buffer, data);
  return buffer;
}

/** Both backends' copies of the same data. */
export function pair(wasm: Backend, data: ArrayLike<number>, dtype: DType = 'float32'): [DataBuffer, DataBuffer] {
  return [upload(wasm, data, dtype), upload(cpu, data, dtype)];
}

/** |actual - expected| <= atol + rtol * |expected| elementwise; NaN matches NaN, infinities must match. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, rtol = 2e-6, atol = 1e-6): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) { worst = i; worstExcess = Infinity; break; }
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) { worst = i; worstExcess = excess; }
  }
  if (worst >= 0) {
    expect.fail(`${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}
