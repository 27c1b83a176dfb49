import { describe, expect, it } from 'vitest';
import { DataError, ShapeError } from '../../src/errors.js';
import { FASHION_CLASS_NAMES } from '../../src/data/dataset.js';
import { countPerClass, decodePredictions, fromOneHot, labelNames, oneHot, toSparse } from '../../src/data/labels.js';
import { thrown } from './helpers.js';

describe('label encodings', () => {
  const labels = Uint8Array.from([3, 0, 9, 3]);

  it('one-hot encodes (N) -> (N, 10) and decodes back', () => {
    const codes = oneHot(labels);
    expect(codes.length).toBe(40);
    expect(Array.from(codes.subarray(0, 10))).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(codes.reduce((a, b) => a + b, 0)).toBe(4);
    expect(Array.from(fromOneHot(codes, 10))).toEqual([3, 0, 9, 3]);
    expect(Array.from(oneHot([1], 3))).toEqual([0, 1, 0]);
  });

  it('reuses an output buffer, clearing old codes', () => {
    const out = new Float32Array(20).fill(7);
    oneHot([1, 2], 10, out);
    expect(Array.from(out)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => oneHot([1, 2], 10, new Float32Array(5))).toThrow(ShapeError);
  });

  it('gives sparse int32 labels', () => {
    const sparse = toSparse(labels);
    expect(sparse).toBeInstanceOf(Int32Array);
    expect(Array.from(sparse)).toEqual([3, 0, 9, 3]);
  });

  it('decodes predictions by arg-max, ties to the lower class', () => {
    const scores = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.5, 0, -3, -1, -2]);
    expect(Array.from(decodePredictions(scores, 3))).toEqual([1, 0, 1]);
    expect(thrown(() => decodePredictions(new Float32Array(7), 3)).message).toMatch(/7 scores is not a whole number of rows of 3 classes/);
  });

  it('names classes and counts them', () => {
    expect(labelNames([7, 0], FASHION_CLASS_NAMES)).toEqual(['Sneaker', 'T-shirt/top']);
    expect(countPerClass(labels)).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
  });

  it('rejects labels outside the classes', () => {
    const err = thrown(() => oneHot([1, 10]));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('label 10 at index 1 is outside 0-9');
    expect(() => oneHot([1.5])).toThrow(/outside 0-9/);
    expect(thrown(() => labelNames([12], FASHION_CLASS_NAMES)).message).toBe('label 12 at index 0 has no class name (10 classes)');
    expect(thrown(() => countPerClass([0, 4], 3)).message).toBe('label 4 at index 1 is outside 0-2');
  });
});
