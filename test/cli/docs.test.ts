// docs/cli.md shows each command's current --help (scripts/cli-docs.ts writes it), so it cannot drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpTexts, regenerate } from '../../scripts/cli-docs.js';

describe('docs/cli.md', () => {
  it('holds every command and its current help (run: node --import tsx scripts/cli-docs.ts)', () => {
    const current = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
    const texts = helpTexts();
    for (const name of texts.keys()) expect(current, name).toContain(`## \`zerograd ${name}\``);
    expect(regenerate(current, texts) === current).toBe(true);
  });
});
