// `zerograd experiment overfitting --quick`: every method trains, the table and conclusion are
// written with the curves; unknown methods and bad strengths fail clearly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { zerograd as runCli } from './helpers-zerograd.js';

describe('zerograd experiment overfitting', () => {
  const dir = tempDir('zerograd-cli-overfit-');

  it('trains each method on a small subset and writes the table, curves and report', async () => {
    const out = join(dir, 'overfit');
    const { code, out: printed, err } = await runCli(['experiment', 'overfitting', '--quick', '--backend', 'wasm', '--out', out]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(printed).toMatch(/Ranking by test accuracy/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { summary: { arm: string }[]; settings: { trainSize: number } };
    expect(results.summary.map((r) => r.arm)).toEqual(['none', 'dropout', 'weight-decay', 'early-stopping', 'augmentation', 'combined']);
    expect(results.settings.trainSize).toBe(200);
    for (const file of ['table.md', 'overfit_curves.svg', 'val_loss.svg', 'test_accuracy.png', 'report.html']) expect(existsSync(join(out, file)), file).toBe(true);
  });

  it.each([
    [['--arms', 'none,mixup'], /--arms: unknown method 'mixup'/],
    [['--dropout', '2'], /--dropout must be a fraction between 0 and 1/],
    [['--train-size', '59000', '--val-size', '2000'], /--train-size 59000 \+ --val-size 2000 is more than the 60000 training examples/],
  ])('rejects %j with a clear message and exit code 2', async (flags, message) => {
    const { code, err } = await runCli(['experiment', 'overfitting', '--backend', 'cpu', '--out', join(dir, 'bad'), ...flags]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});
