// What every sub-command shares: --version, one-line usage errors with a hint, --data as an alias of
// --dataset, defaults written one way in help, no machine paths in help, and --model folder resolution.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { packageRoot, resolveModelDir } from '../../src/cli/package-info.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];

describe('CLI conventions', () => {
  it('--version prints the package version', () => {
    const run = cli(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^zerograd \d+\.\d+\.\d+ \(node v\d+/);
    // ... and which wasm kernel build a command would run on.
    expect(run.stdout.trim()).toMatch(/, wasm kernels: (simd|relaxed-simd)\)$/);
    const forced = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', '--version'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ZEROGRAD_KERNELS: 'simd' } });
    expect(forced.stdout.trim()).toMatch(/, wasm kernels: simd\)$/);
  });

  it('a usage error is one line and a hint, exit 2, not the whole help', () => {
    const unknown = cli(['train', '--no-such-flag']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual(["zerograd: unknown option '--no-such-flag'", "(see 'zerograd train --help')"]);
    const value = cli(['train', '--epochs', '-3']);
    expect(value.status).toBe(2);
    expect(value.stderr.trim().split('\n')).toEqual(["zerograd: --epochs must be an integer >= 1, got '-3'", "(see 'zerograd train --help')"]);
  });

  it('a preset name where a model folder is expected says so and suggests train', () => {
    const run = cli(['predict', '--model', 'cnn', 'digit.png']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/'cnn' is a preset, not a saved model folder; train one first \(zerograd train --model cnn/);
  });

  it('takes --data and --dataset on every command that reads a data set, and refuses both when they disagree', () => {
    for (const command of all(buildProgram())) {
      const longs = command.options.map((o) => o.long);
      expect(longs.includes('--data'), command.name()).toBe(longs.includes('--dataset'));
    }
    const run = cli(['train', '--data', 'mnist', '--dataset', 'fashion', '--epochs', '1']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--data 'mnist' and --dataset 'fashion' disagree/);
  });

  it('writes defaults one way and shows no path of this machine', () => {
    const root = packageRoot();
    for (const command of all(buildProgram())) {
      const help = command.helpInformation();
      expect(help, command.name()).not.toContain(root);
      expect(help, command.name()).not.toMatch(/\(default [^:]/); // "(default: x)", never "(default x)"
      expect(help, command.name()).not.toMatch(/default: "/); // numbers and names unquoted
    }
    const finetune = buildProgram().commands.find((c) => c.name() === 'finetune');
    expect(finetune?.helpInformation()).toContain('(default: 10)');
  });

  it('resolves shipped models by name and by their clone path', () => {
    expect(resolveModelDir('mnist-cnn')).toBe(join(packageRoot(), 'models', 'mnist-cnn'));
    expect(resolveModelDir('models/mnist-cnn')).toBe('models/mnist-cnn');
    expect(resolveModelDir('no-such-model')).toBeNull();
  });
});
