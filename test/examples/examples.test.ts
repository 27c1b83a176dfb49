// The examples run as a user runs them (`npx tsx examples/<file>.ts`), on a small slice.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';

const repo = resolve(import.meta.dirname, '../..');

function runExample(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('examples', file), ...args], { cwd: repo, encoding: 'utf8', timeout: 110_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('examples', () => {
  const dir = tempDir('zerograd-examples-');

  it("keras-seed.ts: the seed's Keras program trains and evaluates", () => {
    const { status, stdout, stderr } = runExample('keras-seed.ts', ['--limit', '500', '--epochs', '1']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/Total params: 101,770/);
    const accuracy = Number(/test accuracy ([\d.]+)%/.exec(stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(50);
  });

  it('cnn.ts: trains, evaluates, prints the per-class table and saves a model folder', () => {
    const out = join(dir, 'cnn');
    const { status, stdout, stderr } = runExample('cnn.ts', ['--limit', '300', '--epochs', '1', '--out', out]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/test accuracy [\d.]+%/);
    expect(stdout).toMatch(/macro avg/);
    for (const file of ['model.safetensors', 'config.json']) expect(existsSync(join(out, file)), file).toBe(true);
  });
});
