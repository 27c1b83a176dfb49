import { describe, expect, it } from 'vitest';
import { Random, toRandom } from '../../src/data/rng.js';
import { Random as EngineRandom } from '../../src/tensor/random.js';

// The generator itself is tested with the engine (src/tensor/random.ts); here only what the data layer relies on.
describe('data-layer randomness', () => {
  it('is the engine generator, so one Random drives the whole run', () => {
    expect(Random).toBe(EngineRandom);
  });

  it('toRandom wraps a seed and passes a generator through', () => {
    const rng = new Random(6);
    expect(toRandom(rng)).toBe(rng);
    expect(toRandom(6).nextUint32()).toBe(new Random(6).nextUint32());
  });

  it('gives seeded permutations and resumable state', () => {
    const rng = new Random(5);
    expect(Array.from(rng.permutation(20)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = Array.from(rng.permutation(10));
    const other = new Random(99);
    other.setState(state);
    expect(Array.from(other.permutation(10))).toEqual(expected);
  });
});
