// Short CI run of the .npy reader's properties (bench/properties.ts runs them at length).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './npy.props.js';

describe('npy properties', () => {
  for (const p of properties) it(p.name, async () => { await fc.assert(p.property, { numRuns: 200 }); });
});
