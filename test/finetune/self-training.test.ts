// Self-training mechanics: the unlabeled pool, the student's set (labeled examples oversampled),
// and a round on a synthetic task where the teacher is right, so pseudo-labels are measured exactly.
import { describe, expect, it } from 'vitest';
import { roundCap, studentSet, unlabeledPool } from '../../src/finetune/self-training.js';
import { prepareFinetune } from '../../src/finetune/strategies.js';
import { buildBackbone } from '../../src/finetune/backbones.js';
import { DEFAULT_LORA } from '../../src/finetune/finetune-run.js';
import { pseudoLabelAccuracy, selectPseudoLabels } from '../../src/finetune/pseudo-label.js';

describe('self-training', () => {
  it('the pool is every index that is not labeled', () => {
    expect(Array.from(unlabeledPool(6, Int32Array.from([1, 4])))).toEqual([0, 2, 3, 5]);
  });

  it('the per-class cap grows with the rounds to an even share of the pool by round `ramp`, then stays', () => {
    expect([1, 2, 3, 4, 5].map((r) => roundCap(1000, 10, r, 3))).toEqual([33, 66, 100, 100, 100]);
    expect(roundCap(5, 10, 1, 6)).toBe(1);
  });

  it('the student set repeats the labeled examples to a tenth of the pseudo-labels, then adds them', () => {
    const labeled = Int32Array.from([0, 1]);
    const pseudo = { indices: Int32Array.from({ length: 60 }, (_, i) => 10 + i), labels: Int32Array.from({ length: 60 }, (_, i) => i % 10) };
    const set = studentSet(labeled, [7, 8], pseudo);
    expect(set.indices.length).toBe(2 * 3 + 60); // ceil(60 / 10 / 2) = 3 repeats
    expect(Array.from(set.labels.subarray(0, 6))).toEqual([7, 8, 7, 8, 7, 8]);
    expect(Array.from(set.indices.subarray(6, 9))).toEqual([10, 11, 12]);
  });

  it('selection with a per-class cap, measured against the true labels', () => {
    // 6 examples, 2 classes; probabilities of class 1: 0.99 0.95 0.2 0.05 0.6 0.97
    const p1 = [0.99, 0.95, 0.2, 0.05, 0.6, 0.97];
    const probs = p1.flatMap((p) => [1 - p, p]);
    const chosen = selectPseudoLabels(probs, 2, { threshold: 0.9, maxPerClass: 2, exclude: [0] });
    expect(Array.from(chosen.indices)).toEqual([1, 3, 5]);
    expect(Array.from(chosen.labels)).toEqual([1, 0, 1]);
    expect(pseudoLabelAccuracy(chosen, [1, 1, 0, 0, 0, 0])).toEqual({ correct: 2, total: 3, accuracy: 2 / 3 });
  });

  it('the default LoRA trains under 5% of the shipped vit-tiny backbone', () => {
    const { backbone } = buildBackbone('vit-tiny');
    const plan = prepareFinetune(backbone, { strategy: 'lora', classes: 10, lora: { rank: DEFAULT_LORA.rank, alpha: DEFAULT_LORA.alpha } });
    expect(plan.fraction).toBeLessThan(0.05);
    expect(plan.fraction).toBeGreaterThan(0);
  });
});
