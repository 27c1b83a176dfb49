// Seeded weight initialisers: He (Kaiming) for ReLU nets, Glorot (Xavier) for tanh/sigmoid.
import { ZerogradError } from '../errors.js';
import { rand, randn, zeros } from '../ops/create.js';
import { globalRandom } from '../tensor/engine.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export type Initializer = 'heNormal' | 'heUniform' | 'glorotUniform' | 'glorotNormal' | 'zeros' | 'lecunNormal';

export const INITIALIZERS: readonly Initializer[] = ['heNormal', 'heUniform', 'glorotUniform', 'glorotNormal', 'zeros', 'lecunNormal'];

/** A tensor of `shape` initialised for a layer with `fanIn` inputs and `fanOut` outputs per unit. */
export function initialize(kind: Initializer, shape: readonly number[], fanIn: number, fanOut: number, rng: Random = globalRandom()): Tensor {
  switch (kind) {
    case 'heNormal': return randn(shape, 0, Math.sqrt(2 / fanIn), rng);
    case 'heUniform': {
      const limit = Math.sqrt(6 / fanIn);
      return rand(shape, -limit, limit, rng);
    }
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return rand(shape, -limit, limit, rng);
    }
    case 'glorotNormal': return randn(shape, 0, Math.sqrt(2 / (fanIn + fanOut)), rng);
    case 'lecunNormal': return randn(shape, 0, Math.sqrt(1 / fanIn), rng);
    case 'zeros': return zeros(shape);
    default:
      throw new ZerogradError(`unknown initializer '${String(kind)}'; expected one of ${INITIALIZERS.join(', ')}`);
  }
}
