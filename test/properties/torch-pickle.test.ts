// Short CI run of the torch.save reader's (zip + restricted unpickler) properties (bench/properties.ts runs them at length).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './torch-pickle.props.js';

describe('torch-pickle properties', () => {
  for (const p of properties) it(p.name, async () => { await fc.assert(p.property, { numRuns: 200 }); });
});
