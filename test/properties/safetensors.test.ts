// Short CI run of the safetensors decoder's properties (bench/properties.ts runs them at length).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './safetensors.props.js';

describe('safetensors properties', () => {
  for (const p of properties) it(p.name, async () => { await fc.assert(p.property, { numRuns: 200 }); });
});
