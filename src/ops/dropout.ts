// Inverted dropout with a seeded mask: in training, zeroes each value with probability p and
// scales the rest by 1/(1-p); the identity in inference.
import { ShapeError } from '../errors.js';
import { globalRandom } from '../tensor/engine.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from './create.js';
import { mul } from './elementwise.js';

export function dropout(x: Tensor, p: number, training: boolean, rng: Random = globalRandom()): Tensor {
  if (!(p >= 0 && p < 1)) throw new ShapeError(`dropout: probability must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const keep = 1 / (1 - p);
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() >= p ? keep : 0;
  return mul(x, tensor(mask, { shape: x.shape, backend: x.backend }));
}
