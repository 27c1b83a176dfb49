import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { Augmenter } from '../../src/data/augment.js';
import { batchCount, batches } from '../../src/data/batches.js';
import { fitNormalization, toDataset } from '../../src/data/normalize.js';
import { Random } from '../../src/data/rng.js';
import { syntheticSet, thrown } from './helpers.js';

const set = syntheticSet(10);
const data = toDataset(set, fitNormalization(set, 'scale'));

describe('batches', () => {
  it('yields the last partial batch unless dropLast', () => {
    expect([...batches(data, { batchSize: 4 })].map((b) => b.size)).toEqual([4, 4, 2]);
    expect([...batches(data, { batchSize: 4, dropLast: true })].map((b) => b.size)).toEqual([4, 4]);
    expect([...batches(data, { batchSize: 5, dropLast: true })].map((b) => b.size)).toEqual([5, 5]);
    expect([batchCount(10, 4), batchCount(10, 4, true), batchCount(0, 4)]).toEqual([3, 2, 0]);
  });

  it('gives views into the data set in sequential order (no copy)', () => {
    const all = [...batches(data, { batchSize: 4 })];
    const last = all[2];
    expect(last.x.buffer).toBe(data.images.buffer);
    expect(last.x.length).toBe(2 * 784);
    expect(last.x[0]).toBe(data.images[8 * 784]);
    expect(Array.from(last.y)).toEqual([8, 9]);
    expect(last.y).toBeInstanceOf(Int32Array);
    expect(Array.from(last.indices)).toEqual([8, 9]);
  });

  it('shuffles with the run generator: every example once per epoch, a new order each epoch', () => {
    const rng = new Random(3);
    const epoch = (): number[] => [...batches(data, { batchSize: 3, shuffle: true, rng })].flatMap((b) => Array.from(b.indices));
    const first = epoch();
    const second = epoch();
    expect([...first].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(second).not.toEqual(first);
    const again = new Random(3);
    expect([...batches(data, { batchSize: 3, shuffle: true, rng: again })].flatMap((b) => Array.from(b.indices))).toEqual(first);
  });

  it('gathers examples and labels into reused buffers', () => {
    const seen: Float32Array[] = [];
    for (const batch of batches(data, { batchSize: 2, indices: Int32Array.from([9, 4, 1]) })) {
      const k = batch.indices[0];
      expect(batch.x[0]).toBe(data.images[k * 784]);
      expect(batch.x[783]).toBe(data.images[k * 784 + 783]);
      expect(batch.y[0]).toBe(set.labels[k]);
      seen.push(batch.x);
    }
    expect(seen[0].buffer).toBe(seen[1].buffer); // same memory every step: copy what you keep
    expect(seen[0].buffer).not.toBe(data.images.buffer);
  });

  it('augments on the fly without touching the data set', () => {
    const before = data.images.slice();
    const augment = new Augmenter({ translate: 3 }, 1);
    const [batch] = [...batches(data, { batchSize: 10, augment })];
    expect(Array.from(data.images)).toEqual(Array.from(before));
    expect(Array.from(batch.x)).not.toEqual(Array.from(before));
    expect(batch.x.length).toBe(10 * 784);
  });

  it('rejects bad sizes and shuffling without a generator', () => {
    const err = thrown(() => [...batches(data, { batchSize: 0 })]);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('batch size must be a positive integer, got 0');
    expect(thrown(() => [...batches(data, { batchSize: 2, shuffle: true })]).message).toMatch(/shuffled batches need an rng/);
  });
});
