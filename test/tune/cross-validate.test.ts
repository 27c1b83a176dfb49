// crossValidate on a tiny synthetic set: k folds cover every example once, scores are summarized,
// and the same seed gives the same numbers.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/backend/registry.js';
import { toDataset } from '../../src/data/normalize.js';
import { preset } from '../../src/models/presets.js';
import { crossValidate, type FoldResult } from '../../src/tune/cross-validate.js';
import { syntheticSet } from '../data/helpers.js';

describe('crossValidate', () => {
  beforeAll(async () => { await init('cpu'); });
  const data = toDataset(syntheticSet(60), { kind: 'scale', mean: 0, std: 1 }, 'image');
  const spec = preset('mlp');
  spec.recipe.epochs = 1;
  spec.recipe.batchSize = 16;

  it('trains one model per fold and summarizes accuracy, loss and macro F1', async () => {
    const seen: FoldResult[] = [];
    const result = await crossValidate(spec, data, { folds: 3, seed: 1, onFold: (f) => seen.push(f) });
    expect(result.folds).toHaveLength(3);
    expect(seen.map((f) => f.fold)).toEqual([1, 2, 3]);
    expect(result.folds.reduce((n, f) => n + f.validationCount, 0)).toBe(60);
    for (const f of result.folds) expect(f.trainCount + f.validationCount).toBe(60);
    expect(Object.keys(result.summary.metrics)).toEqual(['accuracy', 'loss', 'macro_f1']);
    expect(result.summary.metrics.accuracy.values).toEqual(result.folds.map((f) => f.accuracy));
    const again = await crossValidate(spec, data, { folds: 3, seed: 1 });
    expect(again.summary.metrics.loss.values).toEqual(result.summary.metrics.loss.values);
  });

  it('refuses fewer than two folds', async () => {
    await expect(crossValidate(spec, data, { folds: 1 })).rejects.toThrow(/k-fold needs an integer k between 2/);
  });
});
