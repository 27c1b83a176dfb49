import { describe, expect, it } from 'vitest';
import { DataError, UsageError } from '../../src/errors.js';
import { fitNormalization, toDataset } from '../../src/data/normalize.js';
import { Random } from '../../src/data/rng.js';
import { fewPerClass, holdout, shuffledIndices, stratifiedKFold, subset } from '../../src/data/split.js';
import { countPerClass } from '../../src/data/labels.js';
import { syntheticSet, thrown } from './helpers.js';

// 190 labels, unbalanced: class c has 10 + 2c examples (10..28), shuffled.
const labels = new Uint8Array(new Random(1).shuffle(
  Array.from({ length: 10 }, (_, c) => new Array<number>(10 + 2 * c).fill(c)).flat(),
));

const sortedUnion = (...parts: Int32Array[]): number[] => parts.flatMap((p) => Array.from(p)).sort((a, b) => a - b);
const all = Array.from({ length: labels.length }, (_, i) => i);

describe('seeded shuffles', () => {
  it('is a permutation that depends only on the seed', () => {
    const a = shuffledIndices(50, 3);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(shuffledIndices(50, 3))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(50, 4))).not.toEqual(Array.from(a));
  });
});

describe('holdout', () => {
  it('splits into disjoint, sorted, stratified parts that cover everything', () => {
    const { train, validation } = holdout(labels, { validationFraction: 0.2, seed: 5 });
    expect(sortedUnion(train, validation)).toEqual(all);
    expect(Array.from(train)).toEqual(Array.from(train).sort((a, b) => a - b));
    const perClass = countPerClass(Array.from(validation, (i) => labels[i]));
    expect(perClass).toEqual(Array.from({ length: 10 }, (_, c) => Math.round((10 + 2 * c) * 0.2)));
    expect(Array.from(holdout(labels, { validationFraction: 0.2, seed: 5 }).validation)).toEqual(Array.from(validation));
    expect(Array.from(holdout(labels, { validationFraction: 0.2, seed: 6 }).validation)).not.toEqual(Array.from(validation));
  });

  it('can ignore classes', () => {
    const { train, validation } = holdout(labels, { validationFraction: 0.25, stratified: false, seed: new Random(2) });
    expect(validation.length).toBe(Math.round(190 * 0.25));
    expect(sortedUnion(train, validation)).toEqual(all);
  });

  it('rejects fractions outside (0, 1)', () => {
    const err = thrown(() => holdout(labels, { validationFraction: 1 }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('validation fraction must be in (0, 1), got 1');
  });
});

describe('stratified k-fold', () => {
  it('partitions the data into k validation folds with the class proportions of the whole', () => {
    const folds = stratifiedKFold(labels, 5, 9);
    expect(folds.length).toBe(5);
    expect(sortedUnion(...folds.map((f) => f.validation))).toEqual(all);
    for (const fold of folds) {
      expect(sortedUnion(fold.train, fold.validation)).toEqual(all);
      expect(Math.abs(fold.validation.length - 38)).toBeLessThanOrEqual(1);
      const perClass = countPerClass(Array.from(fold.validation, (i) => labels[i]));
      perClass.forEach((n, c) => expect(Math.abs(n - (10 + 2 * c) / 5)).toBeLessThanOrEqual(1));
    }
  });

  it('rejects k outside 2..N', () => {
    expect(thrown(() => stratifiedKFold(labels, 1)).message).toBe('k-fold needs an integer k between 2 and the number of examples (190), got 1');
    expect(() => stratifiedKFold([1, 2], 3)).toThrow(UsageError);
  });
});

describe('few labels per class', () => {
  it('takes K examples of each class, seeded', () => {
    const chosen = fewPerClass(labels, 5, 11);
    expect(chosen.length).toBe(50);
    expect(countPerClass(Array.from(chosen, (i) => labels[i]))).toEqual(new Array(10).fill(5));
    expect(Array.from(fewPerClass(labels, 5, 11))).toEqual(Array.from(chosen));
    expect(Array.from(fewPerClass(labels, 5, 12))).not.toEqual(Array.from(chosen));
  });

  it('draws only from the given indices', () => {
    const { train } = holdout(labels, { seed: 1 });
    const allowed = new Set(train);
    for (const i of fewPerClass(labels, 3, 0, train)) expect(allowed.has(i)).toBe(true);
  });

  it('says which class is too small', () => {
    const err = thrown(() => fewPerClass(labels, 11));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('class 0 has only 10 examples, fewer than the 11 per class asked for');
    expect(() => fewPerClass(labels, 0)).toThrow(UsageError);
  });
});

describe('subset', () => {
  const set = syntheticSet(10);
  it('copies chosen raw images and float examples with their labels', () => {
    const small = subset(set, [7, 2]);
    expect(small.count).toBe(2);
    expect(Array.from(small.labels)).toEqual([7, 2]);
    expect(Array.from(small.pixels.subarray(0, 784))).toEqual(Array.from(set.pixels.subarray(7 * 784, 8 * 784)));
    const data = toDataset(set, fitNormalization(set), 'image');
    const part = subset(data, Int32Array.from([3]));
    expect(part.shape).toEqual([1, 1, 28, 28]);
    expect(part.images[5]).toBe(data.images[3 * 784 + 5]);
    expect(thrown(() => subset(set, [10])).message).toBe('synthetic: index 10 is outside 0-9');
  });
});
