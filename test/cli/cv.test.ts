// `zerograd cv` end to end on a small slice: 2 folds, 1 epoch; outputs, and clear errors for bad flags.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { zerograd as runCli } from './helpers-zerograd.js';

describe('zerograd cv', () => {
  const dir = tempDir('zerograd-cli-cv-');

  it('cross-validates the MLP on the training split and writes cv.json, a chart and a page', async () => {
    const out = join(dir, 'cv');
    const { code, out: printed, err } = await runCli(['cv', '--model', 'mlp', '--folds', '2', '--epochs', '1', '--limit', '300', '--backend', 'cpu', '--out', out]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(printed).toMatch(/the test split is not used/);
    expect(printed).toMatch(/mean ± std \(2 folds\)/);
    const json = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8')) as { folds: { validationCount: number }[]; summary: { folds: number; metrics: Record<string, { mean: number; std: number }> } };
    expect(json.summary.folds).toBe(2);
    expect(json.folds.map((f) => f.validationCount)).toEqual([150, 150]);
    expect(json.summary.metrics.accuracy.mean).toBeGreaterThan(0.2);
    for (const file of ['folds.svg', 'folds.png', 'report.html']) expect(existsSync(join(out, file)), file).toBe(true);
  });

  it.each([
    [['--folds', '1'], /--folds must be an integer >= 2/],
    [['--folds', 'two'], /--folds must be an integer >= 2, got 'two'/],
    [['--model', 'resnet9000'], /unknown model preset 'resnet9000'/],
    [['--model', join('/nonexistent', 'spec.json')], /model file .* does not exist/],
    [['--limit', '3', '--folds', '5'], /--limit 3 leaves fewer examples than --folds 5/],
    [['--progress', 'loud'], /--progress must be auto, bar, lines or none/],
  ])('rejects %j with a clear message and exit code 2', async (flags, message) => {
    const { code, err } = await runCli(['cv', '--backend', 'cpu', '--out', join(dir, 'bad'), ...flags]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});
