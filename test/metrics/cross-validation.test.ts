// crossValidationSummary: mean and sample standard deviation per metric, and its input checks.
import { describe, expect, it } from 'vitest';
import { crossValidationSummary, formatCrossValidation } from '../../src/metrics/index.js';

describe('crossValidationSummary', () => {
  it('reports mean and sample std (n - 1) for each metric', () => {
    const summary = crossValidationSummary([
      { accuracy: 0.9, loss: 0.3 },
      { accuracy: 0.8, loss: 0.5 },
      { accuracy: 0.7, loss: 0.4 },
    ]);
    expect(summary.folds).toBe(3);
    expect(Object.keys(summary.metrics)).toEqual(['accuracy', 'loss']);
    expect(summary.metrics.accuracy.mean).toBeCloseTo(0.8, 12);
    expect(summary.metrics.accuracy.std).toBeCloseTo(0.1, 12); // sqrt((0.01 + 0 + 0.01) / 2)
    expect(summary.metrics.loss.mean).toBeCloseTo(0.4, 12);
    expect(summary.metrics.loss.std).toBeCloseTo(0.1, 12);
    expect(summary.metrics.accuracy.min).toBe(0.7);
    expect(summary.metrics.accuracy.max).toBe(0.9);
    expect(summary.metrics.loss.values).toEqual([0.3, 0.5, 0.4]);
  });

  it('reports std 0 for a single fold', () => {
    expect(crossValidationSummary([{ accuracy: 0.5 }]).metrics.accuracy).toMatchObject({ mean: 0.5, std: 0 });
  });

  it('formats mean ± std rows', () => {
    const text = formatCrossValidation(crossValidationSummary([{ accuracy: 0.9 }, { accuracy: 0.8 }]));
    expect(text).toContain('mean ± std (2 folds)');
    expect(text).toMatch(/accuracy\s+0\.8500 ± 0\.0707\s+0\.8000\s+0\.9000/);
  });

  it('rejects empty, mismatched and non-finite fold results', () => {
    expect(() => crossValidationSummary([])).toThrow(/no fold results/);
    expect(() => crossValidationSummary([{ accuracy: 1 }, { loss: 1 }])).toThrow(
      /fold 1 reports \[loss\]; expected the same metrics as fold 0: \[accuracy\]/,
    );
    expect(() => crossValidationSummary([{ accuracy: 1 }, { accuracy: NaN }])).toThrow(/fold 1 metric "accuracy" is NaN/);
  });
});
