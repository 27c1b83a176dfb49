// The two kernel builds: which one a choice resolves to (option, ZEROGRAD_KERNELS, feature detection), that each
// is deterministic (same inputs, same bits; also across thread counts), and that relaxed SIMD (FMA, rounded once)
// and plain SIMD (rounded twice) agree within float32 rounding of a k-term sum.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MatmulParams } from '../../src/backend/backend.js';
import { createWasmBackend, relaxedSimdSupported, resolveKernelBuild, type KernelBuild, type WasmBackend } from '../../src/backend/wasm/index.js';
import { init } from '../../src/backend/registry.js';
import { UsageError, ZerogradError } from '../../src/errors.js';
import { kernelBuilds, random, upload } from './wasm-parity.js';

const saved = process.env.ZEROGRAD_KERNELS;
afterEach(() => {
  if (saved === undefined) delete process.env.ZEROGRAD_KERNELS;
  else process.env.ZEROGRAD_KERNELS = saved;
});

describe('choosing the kernel build', () => {
  it('auto is relaxed SIMD exactly where the probe validates; simd is always available', () => {
    delete process.env.ZEROGRAD_KERNELS;
    expect(resolveKernelBuild()).toBe(relaxedSimdSupported() ? 'relaxed-simd' : 'simd');
    expect(resolveKernelBuild('auto')).toBe(resolveKernelBuild());
    expect(resolveKernelBuild('simd')).toBe('simd');
  });

  it('the probe agrees with what the engine says of the real relaxed build', async () => {
    // Node 20 without the flag: probe and build both refused; Node >= 21: both accepted.
    if (relaxedSimdSupported()) {
      const be = await createWasmBackend({ threads: 1, kernels: 'relaxed-simd' });
      expect(be.kernelBuild).toBe('relaxed-simd');
      be.dispose();
    } else {
      expect(() => resolveKernelBuild('relaxed-simd')).toThrow(/relaxed-simd was asked for, but this engine does not validate relaxed SIMD/);
      expect(() => resolveKernelBuild('relaxed-simd')).toThrow(ZerogradError);
    }
  });

  it('ZEROGRAD_KERNELS applies when the option is absent; the option wins over it', async () => {
    process.env.ZEROGRAD_KERNELS = 'simd';
    expect(resolveKernelBuild()).toBe('simd');
    const be = await createWasmBackend({ threads: 1 });
    expect(be.kernelBuild).toBe('simd');
    be.dispose();
    process.env.ZEROGRAD_KERNELS = 'relaxed-simd';
    expect(resolveKernelBuild('simd')).toBe('simd');
  });

  it("init('wasm', { kernels }) passes the choice on", async () => {
    const be = await init('wasm', { threads: 1, kernels: 'simd' });
    expect(be.kernelBuild).toBe('simd'); // one thread: no workers to stop
  });

  it('a bad value names where it came from and what is allowed', () => {
    process.env.ZEROGRAD_KERNELS = 'fma';
    expect(() => resolveKernelBuild()).toThrow(UsageError);
    expect(() => resolveKernelBuild()).toThrow("ZEROGRAD_KERNELS must be auto, simd, relaxed-simd; got 'fma'");
    expect(() => resolveKernelBuild('avx')).toThrow("wasm backend option kernels must be auto, simd, relaxed-simd; got 'avx'");
  });
});

// Block-crossing shapes (kc = 256, mc = 128, nc = 512), the narrow (transposed) path and the vector-matrix path.
const shapes: Array<[number, number, number]> = [[257, 300, 129], [64, 600, 9], [2, 1000, 37], [130, 513, 520]];

function params(m: number, k: number, n: number): MatmulParams {
  return { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n, accumulate: false };
}

function product(be: WasmBackend, m: number, k: number, n: number, seed: number): Float32Array {
  const a = upload(be, random(m * k, seed));
  const b = upload(be, random(k * n, seed + 1));
  const out = be.alloc(m * n, 'float32');
  be.matmul(a, b, out, params(m, k, n));
  const result = Float32Array.from(be.read(out));
  for (const buffer of [a, b, out]) be.free(buffer);
  return result;
}

const bits = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);

describe.each(kernelBuilds)('kernel build %s is deterministic', (kernels: KernelBuild) => {
  let one: WasmBackend;
  let two: WasmBackend;
  beforeAll(async () => {
    one = await createWasmBackend({ threads: 1, kernels });
    two = await createWasmBackend({ threads: 2, kernels, thresholds: { matmul: 1 } });
  });
  afterAll(() => { one.dispose(); two.dispose(); });

  it('same inputs, same bits: twice on one backend, and on 1 vs 2 threads', () => {
    expect(one.kernelBuild).toBe(kernels);
    for (const [i, [m, k, n]] of shapes.entries()) {
      const first = product(one, m, k, n, 10 * i + 1);
      expect(bits(product(one, m, k, n, 10 * i + 1)), `${m}x${k}x${n} twice`).toEqual(bits(first));
      expect(bits(product(two, m, k, n, 10 * i + 1)), `${m}x${k}x${n} on 2 threads`).toEqual(bits(first));
    }
  });
});

describe.runIf(kernelBuilds.includes('relaxed-simd'))('relaxed SIMD against plain SIMD', () => {
  it('differ at most by float32 rounding of the k-term sums', async () => {
    const plain = await createWasmBackend({ threads: 1, kernels: 'simd' });
    const relaxed = await createWasmBackend({ threads: 1, kernels: 'relaxed-simd' });
    let differing = 0;
    for (const [i, [m, k, n]] of shapes.entries()) {
      const p = product(plain, m, k, n, 10 * i + 1);
      const r = product(relaxed, m, k, n, 10 * i + 1);
      // Terms are products of numbers in [-1, 1); a generous bound on the float32 rounding of a k-term sum.
      const bound = 2 ** -24 * k * 4;
      for (let j = 0; j < p.length; j++) {
        if (p[j] !== r[j]) differing++;
        if (!(Math.abs(p[j] - r[j]) <= bound)) expect.fail(`${m}x${k}x${n} element ${j}: plain ${p[j]}, relaxed ${r[j]} (bound ${bound})`);
      }
    }
    // Where the CPU has FMA, V8 emits it and some sums round differently; without FMA the builds agree bit for bit.
    console.log(`relaxed vs plain: ${differing} of the products' elements differ in the last bits`);
    plain.dispose();
    relaxed.dispose();
  });
});
