// Short CI run of config.json parsing's properties (bench/properties.ts runs them at length).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './config.props.js';

describe('config properties', () => {
  for (const p of properties) it(p.name, async () => { await fc.assert(p.property, { numRuns: 200 }); });
});
