// The CSV property checks, short (200 cases each) for CI; bench/properties.ts runs them long.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './csv.props.js';

describe('CSV properties', () => {
  for (const p of properties) it(p.name, () => fc.assert(p.property, { numRuns: 200 }));
});
