// Pseudo-label selection on hand-made probabilities: threshold, per-class cap (most confident
// first, ties by index), class balance, exclusions, accuracy against the truth, and errors.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { pseudoLabelAccuracy, selectPseudoLabels } from '../../src/finetune/index.js';

// Six examples, three classes: (index) top class @ confidence
// 0: c0 @ .97, 1: c1 @ .99, 2: c0 @ .90, 3: c0 @ .98, 4: c2 @ .60, 5: c0 @ .97
const probabilities = [
  0.97, 0.02, 0.01,
  0.005, 0.99, 0.005,
  0.90, 0.05, 0.05,
  0.98, 0.01, 0.01,
  0.20, 0.20, 0.60,
  0.97, 0.02, 0.01,
];

describe('selectPseudoLabels', () => {
  it('keeps examples at or above the threshold with their predicted class, in index order', () => {
    const s = selectPseudoLabels(probabilities, 3, { threshold: 0.95 });
    expect(Array.from(s.indices)).toEqual([0, 1, 3, 5]);
    expect(Array.from(s.labels)).toEqual([0, 1, 0, 0]);
    expect(Array.from(s.confidences)).toEqual([0.97, 0.99, 0.98, 0.97].map(Math.fround));
    expect(s.perClass).toEqual([3, 1, 0]);
    expect(s.confident).toBe(4);
    expect(Array.from(selectPseudoLabels(probabilities, 3, { threshold: 0.6 }).indices)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('caps each class at its most confident examples (ties keep the lower index)', () => {
    const s = selectPseudoLabels(probabilities, 3, { threshold: 0.9, maxPerClass: 2 });
    expect(Array.from(s.indices)).toEqual([0, 1, 3]); // class 0: 3 (.98), then 0 and 5 tie at .97 -> 0
    expect(s.perClass).toEqual([2, 1, 0]);
    expect(s.confident).toBe(5);
  });

  it('balances classes at the smallest class count and honours exclusions', () => {
    const balanced = selectPseudoLabels(probabilities, 3, { threshold: 0.5, balance: true });
    expect(Array.from(balanced.indices)).toEqual([1, 3, 4]);
    expect(balanced.perClass).toEqual([1, 1, 1]);
    expect(selectPseudoLabels(probabilities, 3, { threshold: 0.95, balance: true }).indices).toHaveLength(0);
    expect(Array.from(selectPseudoLabels(probabilities, 3, { threshold: 0.95, exclude: [3, 1] }).indices)).toEqual([0, 5]);
  });

  it('accepts a probability tensor and measures accuracy against the true labels', () => {
    zg.setBackend(new zg.CpuBackend());
    const s = selectPseudoLabels(zg.tensor(probabilities, { shape: [6, 3] }), 3, { threshold: 0.95 });
    expect(pseudoLabelAccuracy(s, [0, 1, 2, 2, 2, 0])).toEqual({ correct: 3, total: 4, accuracy: 0.75 });
    expect(pseudoLabelAccuracy(selectPseudoLabels(probabilities, 3, { threshold: 1 }), [0, 1, 2, 2, 2, 0]).accuracy).toBeNaN();
  });

  it('rejects logits, ragged rows and bad options', () => {
    expect(() => selectPseudoLabels([2.5, -1, 0.3, 0.1], 2)).toThrow(/row 0 has value 2.5 outside \[0, 1\]; pass probabilities \(softmax of the logits\)/);
    expect(() => selectPseudoLabels([0.5, 0.5, 1], 2)).toThrow(/3 probabilities do not form rows of 2 classes/);
    expect(() => selectPseudoLabels(probabilities, 3, { threshold: 1.5 })).toThrow(/threshold must be in \[0, 1\]/);
    expect(() => selectPseudoLabels(probabilities, 3, { maxPerClass: 2.5 })).toThrow(/maxPerClass must be a non-negative integer/);
    expect(() => selectPseudoLabels(probabilities, 3, { exclude: [6] })).toThrow(/excluded index 6 is outside 0..5/);
  });
});
