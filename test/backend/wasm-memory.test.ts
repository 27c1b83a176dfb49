// The wasm backend's memory: round trips, size-class reuse, growth, errors, and a flat footprint under churn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmBackend } from '../../src/backend/wasm/index.js';
import { sizeClass } from '../../src/backend/wasm/allocator.js';
import { makeWasm, random, threadSettings } from './wasm-parity.js';

describe('wasm memory', () => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(threadSettings[1]); });
  afterAll(() => wasm.dispose());

  it('round-trips float32 and int32 data, with offsets', () => {
    const f = wasm.alloc(7, 'float32');
    wasm.write(f, random(7, 1));
    expect(Array.from(wasm.read(f))).toEqual(Array.from(random(7, 1)));
    wasm.write(f, [10, 20], 5);
    expect(wasm.read(f)[6]).toBe(20);
    const i = wasm.alloc(3, 'int32');
    wasm.write(i, [1.9, -2.7, 3]);
    const back = wasm.read(i);
    expect(back).toBeInstanceOf(Int32Array);
    expect(Array.from(back)).toEqual([1, -2, 3]);
    wasm.free(f);
    wasm.free(i);
  });

  it('counts live bytes and reuses freed blocks of the same size class', () => {
    const before = wasm.memoryInUse();
    const a = wasm.alloc(1000, 'float32');
    expect(wasm.memoryInUse() - before).toBe(4000);
    wasm.write(a, random(1000, 2));
    const top = wasm.memoryReserved();
    wasm.free(a);
    expect(wasm.memoryInUse()).toBe(before);
    const b = wasm.alloc(990, 'float32');
    expect(wasm.memoryReserved()).toBe(top);
    wasm.free(b);
  });

  it('zeroes recycled blocks only when asked (alloc contents are unspecified by default)', async () => {
    const zeroing = await createWasmBackend({ threads: 1, zeroOnAlloc: true });
    try {
      const a = zeroing.alloc(1000, 'float32');
      zeroing.write(a, random(1000, 3));
      zeroing.free(a);
      const b = zeroing.alloc(990, 'float32');
      expect(Array.from(zeroing.read(b)).every((v) => v === 0)).toBe(true);
      zeroing.free(b);
    } finally {
      zeroing.dispose();
    }
  });

  it('keeps its footprint flat when a loop frees and reallocates the same shapes', () => {
    const shapes = [784 * 128, 128, 128 * 10, 10, 32 * 784, 32 * 128, 32 * 10];
    const step = (): void => {
      const buffers = shapes.map((n) => wasm.alloc(n, 'float32'));
      for (const b of buffers) wasm.free(b);
    };
    step();
    const top = wasm.memoryReserved();
    for (let i = 0; i < 1000; i++) step();
    expect(wasm.memoryReserved()).toBe(top);
  });

  it('grows the memory and keeps earlier buffers readable', () => {
    const small = wasm.alloc(5, 'float32');
    wasm.write(small, [1, 2, 3, 4, 5]);
    const big = wasm.alloc(40 * 1024 * 1024, 'float32'); // 160 MB
    wasm.fill(big, 2);
    const tail = wasm.alloc(4, 'float32');
    wasm.write(tail, [7, 8, 9, 10]);
    expect(Array.from(wasm.read(small))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(wasm.read(tail))).toEqual([7, 8, 9, 10]);
    wasm.free(big);
    wasm.free(small);
    wasm.free(tail);
  });

  it('rejects double free, use after free and out-of-range writes', () => {
    const a = wasm.alloc(4, 'float32');
    expect(() => wasm.write(a, [1, 2, 3, 4, 5])).toThrow(/overflows a buffer of 4/);
    wasm.free(a);
    expect(() => wasm.free(a)).toThrow(/double free/);
    expect(() => wasm.read(a)).toThrow(/freed/);
  });

  it('size classes are 16-byte multiples with at most 25% waste', () => {
    for (const bytes of [1, 64, 65, 100, 1000, 4096, 4097, 123457, 1 << 24]) {
      const c = sizeClass(bytes);
      expect(c % 16).toBe(0);
      expect(c).toBeGreaterThanOrEqual(bytes);
      if (bytes > 64) expect(c).toBeLessThanOrEqual(bytes * 1.25 + 16);
    }
  });
});
