// The IDX property checks, short (200 cases each) for CI; bench/properties.ts runs them long.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './idx.props.js';

describe('IDX properties', () => {
  for (const p of properties) it(p.name, () => fc.assert(p.property, { numRuns: 200 }));
});
