// `zerograd tune` end to end on a small slice: a random search scored by 2-fold CV writes a ranked
// table and a best.json that `zerograd train --model` accepts; bad flags fail clearly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { zerograd as runCli } from './helpers-zerograd.js';

interface Results {
  settings: { trials: number; folds: number };
  results: { trial: number; summary: { metrics: { accuracy: { mean: number } } } }[];
  best: { trial: number };
}

describe('zerograd tune', () => {
  const dir = tempDir('zerograd-cli-tune-');
  const out = join(dir, 'tune');

  it('searches, ranks the trials and saves a best.json that train accepts', async () => {
    const search = await runCli(['tune', '--search', 'random', '--trials', '3', '--folds', '2', '--epochs', '1', '--limit', '200',
      '--lr', '0.001,0.003', '--batch-size', '32', '--hidden', '32,64', '--dropout', '0,0.2', '--weight-decay', '0', '--backend', 'cpu', '--out', out]);
    expect(search.err).toBe('');
    expect(search.code).toBe(0);
    expect(search.out).toMatch(/3 of 8 combinations, each scored by 2-fold CV/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.results).toHaveLength(3);
    const means = results.results.map((r) => r.summary.metrics.accuracy.mean);
    expect([...means].sort((a, b) => b - a)).toEqual(means);
    expect(results.best.trial).toBe(results.results[0].trial);
    for (const file of ['best.json', 'table.md', 'trials.svg', 'trials.png', 'report.html']) expect(existsSync(join(out, file)), file).toBe(true);
    const best = JSON.parse(readFileSync(join(out, 'best.json'), 'utf8')) as { name: string; recipe: { epochs: number } };
    expect(best.name).toBe('mlp-tuned');
    expect(best.recipe.epochs).toBe(5); // the model's own epochs, not the --epochs 1 of the search

    const run = join(dir, 'train');
    const train = await runCli(['train', '--model', join(out, 'best.json'), '--epochs', '1', '--limit', '200', '--backend', 'cpu', '--no-report', '--progress', 'none', '--out', run]);
    expect(train.err).toBe('');
    expect(train.code).toBe(0);
    expect(train.out).toMatch(/model {8}mlp-tuned/);
    expect(existsSync(join(run, 'metrics.json'))).toBe(true);
  });

  it.each([
    [['--search', 'bayes'], /--search must be grid or random, got 'bayes'/],
    [['--lr', '0.1,fast'], /--lr: 'fast' is not a number/],
    [['--batch-size', '0'], /--batch-size: expected a comma-separated list of positive integers/],
    [['--dropout', '1.5'], /--dropout: expected a comma-separated list of rates in \[0, 1\)/],
    [['--trials', '0'], /--trials must be an integer >= 1/],
    [['--model', 'cnn', '--hidden', '64'], /--hidden: model 'cnn' has no hidden Dense layer/],
  ])('rejects %j with a clear message and exit code 2', async (flags, message) => {
    const { code, err } = await runCli(['tune', '--backend', 'cpu', '--limit', '50', '--out', join(dir, 'bad'), ...flags]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});
