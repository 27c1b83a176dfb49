import { describe, expect, it } from 'vitest';
import { Random, toRandom } from '../../src/data/rng.js';

describe('Random', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Random(42), b = new Random(42), c = new Random(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('draws uniform floats in [0, 1) with mean 1/2', () => {
    const rng = new Random(1);
    let sum = 0, inRange = true;
    for (let i = 0; i < 20000; i++) {
      const u = rng.uniform();
      inRange &&= u >= 0 && u < 1;
      sum += u;
    }
    expect(inRange).toBe(true);
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });

  it('draws standard normals', () => {
    const rng = new Random(2);
    let sum = 0, sumSq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) { const v = rng.normal(); sum += v; sumSq += v * v; }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.sqrt(sumSq / n)).toBeCloseTo(1, 1);
  });

  it('draws every integer of [0, n) about equally often and rejects bad n', () => {
    const rng = new Random(3);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[rng.int(7)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });

  it('makes permutations and shuffles in place', () => {
    const p = new Random(4).permutation(100);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    const values = [1, 2, 3, 4, 5];
    expect(new Random(4).shuffle(values)).toBe(values);
    expect([...values].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('resumes the same stream from a saved state, including the cached normal', () => {
    const rng = new Random(5);
    rng.normal(); // leaves a spare normal cached
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.normal(), rng.uniform(), rng.int(10)];
    const other = new Random(999);
    other.setState(state);
    expect([other.normal(), other.uniform(), other.int(10)]).toEqual(expected);
  });

  it('toRandom wraps a seed and passes a generator through', () => {
    const rng = new Random(6);
    expect(toRandom(rng)).toBe(rng);
    expect(toRandom(6).nextUint32()).toBe(new Random(6).nextUint32());
  });
});
