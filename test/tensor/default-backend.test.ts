// The backend of a program that never calls init(): wasm under the package's entries in Node (and the
// same object a later init('wasm') returns), and a warning when two copies of the engine are loaded.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function script(code: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the default backend', () => {
  it('is wasm in Node without init(), shared with a later init("wasm"), with no warning', () => {
    const run = script(`
      import * as zg from './src/index.ts';
      const y = zg.matmul(zg.ones([64, 64]), zg.ones([64, 64]));
      const first = zg.getBackend();
      console.log(first.name, y.data()[0], (await zg.init('wasm')) === first);`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('wasm 64 true');
    expect(run.stderr).toBe('');
  });

  it('says once that two copies of the engine are loaded, naming both', () => {
    const run = script(`
      await import('./src/tensor/engine.ts');
      await import('./src/tensor/engine.ts?second-copy');
      await import('./src/tensor/engine.ts?third-copy');`);
    expect(run.status, run.stderr).toBe(0);
    const warnings = run.stderr.trim().split('\n').filter((line) => line.includes('two copies'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/engine\.ts and .*engine\.ts\?second-copy/);
  });
});
