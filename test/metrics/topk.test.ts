// topKAccuracy and argmaxRows on small score matrices, including ties.
import { describe, expect, it } from 'vitest';
import { argmaxRows, topKAccuracy } from '../../src/metrics/index.js';

describe('topKAccuracy', () => {
  // (3, 4) scores; true classes 0, 2, 3
  const scores = new Float32Array([
    0.1, 0.6, 0.2, 0.1, // class 0 ranks 3rd-4th (tie with 3, lower index first -> 3rd)
    0.1, 0.2, 0.3, 0.4, // class 2 ranks 2nd
    0.9, 0.0, 0.0, 0.1, // class 3 ranks 2nd
  ]);
  const yTrue = [0, 2, 3];

  it('counts a sample when its class is within the top k', () => {
    expect(topKAccuracy(scores, yTrue, 4, 1)).toBe(0);
    expect(topKAccuracy(scores, yTrue, 4, 2)).toBeCloseTo(2 / 3, 12);
    expect(topKAccuracy(scores, yTrue, 4, 3)).toBe(1);
    expect(topKAccuracy(scores, yTrue, 4, 4)).toBe(1);
  });

  it('breaks ties toward the lower class index, so top-1 equals argmax accuracy', () => {
    const tied = [0.5, 0.5, 0.5, 0.5];
    expect(topKAccuracy(tied, [0, 1], 2, 1)).toBe(0.5);
    expect(Array.from(argmaxRows(tied, 2))).toEqual([0, 0]);
    expect(Array.from(argmaxRows(scores, 4))).toEqual([1, 3, 0]);
  });

  it('rejects mismatched shapes and bad k', () => {
    expect(() => topKAccuracy(scores, [0, 1], 4, 1)).toThrow(/scores has 12 values; expected .* = 8/);
    expect(() => topKAccuracy(scores, yTrue, 4, 5)).toThrow(/k must be an integer in \[1, 4\], got 5/);
    expect(() => argmaxRows([1, 2, 3], 2)).toThrow(/do not split into rows of 2/);
  });
});
