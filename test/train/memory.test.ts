// Memory flatness of a real training loop: fit() on the wasm backend for 320 steps of a small CNN
// (conv, pooling, dropout, Adam, augmentation, a validation split) keeps the live tensor bytes of
// the allocator exactly constant from one step to the next after warm-up, and its heap stops growing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmBackend } from '../../src/backend/wasm/index.js';
import { Conv2D, Dense, Dropout, Flatten, MaxPool2D, Sequential } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { manualSeed, setBackend } from '../../src/tensor/engine.js';
import { fit } from '../../src/train/fit.js';
import type { Callback } from '../../src/train/types.js';
import { mnistSlice } from './helpers.js';

describe('fit() memory on wasm', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await createWasmBackend({ threads: 1 });
    setBackend(wasm);
  });
  afterAll(() => wasm.dispose());

  it('live tensor memory is the same after every step once warmed up (320 CNN steps), and the heap stops growing', async () => {
    manualSeed(0);
    const model = new Sequential([
      new Conv2D({ filters: 4, kernelSize: 3, padding: 1, activation: 'relu' }), new MaxPool2D({ poolSize: 2 }),
      new Flatten(), new Dropout(0.2), new Dense({ units: 10, activation: 'softmax' }),
    ], { inputShape: [1, 28, 28] });
    const live: number[] = [];
    const reserved: number[] = [];
    const probe: Callback = { onBatchEnd: () => { live.push(wasm.memoryInUse()); reserved.push(wasm.memoryReserved()); } };
    const { train } = mnistSlice(); // 256 images; 10% held out: 231 train, 29 steps of 8 an epoch
    const history = await fit(model, train, {
      epochs: 11, batchSize: 8, optimizer: new Adam(model.parameters(), { lr: 0.003 }), seed: 1, validationSplit: 0.1,
      augment: { translate: 2, rotate: 8 }, callbacks: [probe], progress: 'none', log: () => {},
    });
    expect(history.globalStep).toBeGreaterThanOrEqual(300);
    expect(live).toHaveLength(history.globalStep);
    const warm = 2 * 29; // two epochs: Adam slots, gradients and validation buffers all exist by then
    const steady = live.slice(warm);
    const drift = steady.filter((bytes) => bytes !== steady[0]);
    expect(drift, `live bytes after warm-up should all be ${steady[0]}`).toEqual([]);
    // The weights, their gradients and Adam's two slots are what stays live: a few times the model size.
    const weights = model.parameters().reduce((sum, p) => sum + 4 * p.size, 0);
    expect(steady[0]).toBeLessThan(8 * weights + 64 * 1024);
    expect(reserved.at(-1)).toBe(reserved[warm]);
  });
});
