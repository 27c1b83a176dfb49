// Helpers of the training tests: a small MNIST slice prepared once, tiny seeded models, the cpu backend.
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { prepare } from '../../src/data/normalize.js';
import { subset } from '../../src/data/split.js';
import { Dense, Dropout, Flatten, Sequential, type Module } from '../../src/nn/index.js';
import { manualSeed, setBackend } from '../../src/tensor/engine.js';
import type { EpochLogs } from '../../src/train/types.js';

const cache = new Map<string, { train: Dataset; test: Dataset }>();

/** The first `trainCount` MNIST training and `testCount` test images, scaled to 0-1, image layout. */
export function mnistSlice(trainCount = 256, testCount = 128): { train: Dataset; test: Dataset } {
  const key = `${trainCount}/${testCount}`;
  let slice = cache.get(key);
  if (!slice) {
    const raw = loadMnist();
    const first = (n: number) => Array.from({ length: n }, (_, i) => i);
    const data = prepare({ train: subset(raw.train, first(trainCount)), test: subset(raw.test as NonNullable<typeof raw.test>, first(testCount)) }, { normalize: 'scale', layout: 'image' });
    slice = { train: data.train, test: data.test as Dataset };
    cache.set(key, slice);
  }
  return slice;
}

/** Flatten -> Dense(hidden, relu) [-> Dropout] -> Dense(10, softmax) on (1, 28, 28), weights from `seed`. */
export function tinyMlp(seed = 0, options: { hidden?: number; dropout?: number } = {}): Sequential {
  manualSeed(seed);
  const layers: Module[] = [new Flatten(), new Dense({ units: options.hidden ?? 16, activation: 'relu' })];
  if (options.dropout) layers.push(new Dropout(options.dropout));
  layers.push(new Dense({ units: 10, activation: 'softmax' }));
  return new Sequential(layers, { inputShape: [1, 28, 28] });
}

/** Puts the float64 reference backend in place (exact and deterministic). */
export function useCpu(): void {
  setBackend(new CpuBackend());
}

/** History without wall-clock times (for exact comparisons). */
export function timeless(history: readonly EpochLogs[]): Omit<EpochLogs, 'seconds'>[] {
  return history.map(({ seconds: _seconds, ...rest }) => rest);
}
