// `zerograd experiment activations` on a tiny slice: one row per activation, a written conclusion,
// results.json and the charts; unknown activations fail clearly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { zerograd as runCli } from './helpers-zerograd.js';

describe('zerograd experiment activations', () => {
  const dir = tempDir('zerograd-cli-act-');

  it('compares relu, sigmoid and tanh and writes its table, charts and report', async () => {
    const out = join(dir, 'act');
    const { code, out: printed, err } = await runCli(['experiment', 'activations', '--limit', '300', '--epochs', '1', '--seeds', '0', '--backend', 'cpu', '--out', out]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(printed).toMatch(/Chosen on validation accuracy \(not test\)/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { summary: { activation: string; testAccuracy: { mean: number } }[]; runs: { initialGradient: { first: number } }[] };
    expect(results.summary.map((r) => r.activation)).toEqual(['relu', 'sigmoid', 'tanh']);
    for (const run of results.runs) expect(run.initialGradient.first).toBeGreaterThan(0);
    for (const file of ['table.md', 'val_accuracy.svg', 'test_accuracy.png', 'report.html']) expect(existsSync(join(out, file)), file).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/How to choose an activation function/);
  });

  it('rejects an unknown activation before reading any data', async () => {
    const { code, err } = await runCli(['experiment', 'activations', '--activations', 'relu,swish', '--backend', 'cpu', '--out', join(dir, 'bad')]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown hidden activation 'swish'/);
  });
});
