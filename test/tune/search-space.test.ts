// The search space: grid order, seeded random draws, flag checks, and writing a candidate into a spec.
import { describe, expect, it } from 'vitest';
import { preset } from '../../src/models/presets.js';
import { checkModelSpec } from '../../src/models/recipe.js';
import { applyCandidate, checkValues, describeCandidate, gridCandidates, randomCandidates } from '../../src/tune/search-space.js';
import { rankTrials, type TrialResult } from '../../src/tune/search.js';
import { crossValidationSummary } from '../../src/metrics/cross-validation.js';

describe('search space', () => {
  it('enumerates the grid with the last parameter varying fastest', () => {
    const grid = gridCandidates({ lr: [0.1, 0.01], dropout: [0, 0.5] });
    expect(grid).toEqual([{ lr: 0.1, dropout: 0 }, { lr: 0.1, dropout: 0.5 }, { lr: 0.01, dropout: 0 }, { lr: 0.01, dropout: 0.5 }]);
  });

  it('draws distinct random candidates, the same for the same seed', () => {
    const space = { lr: [1, 2, 3], batchSize: [8, 16, 32], hidden: [4, 8] };
    const a = randomCandidates(space, 5, 7);
    expect(a).toHaveLength(5);
    expect(new Set(a.map(describeCandidate)).size).toBe(5);
    expect(randomCandidates(space, 5, 7)).toEqual(a);
    expect(randomCandidates(space, 50, 7)).toHaveLength(18);
  });

  it('rejects values a parameter cannot take, naming the flag', () => {
    expect(() => checkValues('batchSize', [32, 1.5])).toThrow(/--batch-size.*positive integers/);
    expect(() => checkValues('dropout', [1])).toThrow(/--dropout.*\[0, 1\)/);
    expect(() => checkValues('lr', [0])).toThrow(/--lr/);
    expect(checkValues('weightDecay', [0, 0, 1e-4])).toEqual([0, 1e-4]);
  });

  it('writes lr, batch size, weight decay, hidden units and dropout into the MLP', () => {
    const spec = applyCandidate(preset('mlp'), { lr: 0.003, batchSize: 64, weightDecay: 1e-4, hidden: 256, dropout: 0.2 });
    expect(spec.recipe).toMatchObject({ lr: 0.003, batchSize: 64, weightDecay: 1e-4 });
    expect(spec.architecture.layers).toEqual([
      { type: 'Flatten' }, { type: 'Dense', units: 256, activation: 'relu' }, { type: 'Dropout', rate: 0.2 }, { type: 'Dense', units: 10, activation: 'softmax' },
    ]);
    expect(checkModelSpec(JSON.parse(JSON.stringify(spec)), 'best.json', 'x').recipe.lr).toBe(0.003);
    expect(preset('mlp').architecture.layers).toHaveLength(3); // the preset itself is untouched
  });

  it('sets existing dropout rates and refuses hidden units on a model without a hidden Dense layer', () => {
    const best = applyCandidate(preset('cnn-best'), { dropout: 0.1 });
    expect((best.architecture.layers as { type: string; rate?: number }[]).filter((l) => l.type === 'Dropout').map((l) => l.rate)).toEqual([0.1]);
    expect(() => applyCandidate(preset('cnn'), { hidden: 64 })).toThrow(/--hidden: model 'cnn' has no hidden Dense layer/);
    expect(applyCandidate(preset('mlp'), { weightDecay: 0 }).recipe.weightDecay).toBeUndefined();
  });

  it('ranks trials by mean accuracy, then loss', () => {
    const trial = (n: number, accuracy: number, loss: number): TrialResult => ({ trial: n, candidate: {}, seconds: 0, summary: crossValidationSummary([{ accuracy, loss }]) });
    expect(rankTrials([trial(1, 0.9, 0.3), trial(2, 0.95, 0.2), trial(3, 0.95, 0.1)]).map((t) => t.trial)).toEqual([3, 2, 1]);
  });
});
