// Seeded randomness of the data layer: the engine's PRNG (src/tensor/random.ts, a leaf module
// with no tensor imports), re-exported so one generator can drive init, shuffling and augmentation.
import { Random } from '../tensor/random.js';

export { Random, type RandomState } from '../tensor/random.js';

/** `rng` itself, or a new generator seeded with the number. */
export function toRandom(seedOrRng: number | Random): Random {
  return typeof seedOrRng === 'number' ? new Random(seedOrRng) : seedOrRng;
}
