// The "this may not be a digit" cue: entropy of the probabilities, and what it catches with the
// shipped CNN on synthetic scribbles against synthetic drawn digits (scripts/measure-ood.ts measures
// 60% and 0.4%; the test asserts well below and above).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/registry.js';
import { preprocessDigit } from '../../src/data/preprocess.js';
import { renderStrokes } from '../../src/data/strokes.js';
import { loadClassifier } from '../../src/serve/load.js';
import { OOD_ENTROPY_THRESHOLD, outOfDistribution, predictiveEntropy } from '../../src/serve/ood.js';
import { handwrittenSet, scribble, seeded } from '../helpers/handwriting.js';

describe('out-of-distribution cue', () => {
  it('is 0 for a certain answer and ln(classes) for a uniform one', () => {
    expect(predictiveEntropy([1, 0, 0])).toBe(0);
    expect(predictiveEntropy(new Array(10).fill(0.1))).toBeCloseTo(Math.log(10), 12);
    expect(outOfDistribution([0.5, 0.5])).toEqual({ entropy: Math.log(2), flagged: Math.log(2) > OOD_ENTROPY_THRESHOLD });
    expect(outOfDistribution([0.99, 0.01]).flagged).toBe(false);
    expect(outOfDistribution([0.99, 0.01], 0.01).flagged).toBe(true);
  });

  it('flags many scribbles and few drawn digits with the shipped CNN', async () => {
    await init('wasm', { threads: 1 });
    const { classifier } = await loadClassifier(join(import.meta.dirname, '..', '..', 'models', 'mnist-cnn'), { threads: 1 });
    const flaggedRate = (images: Float32Array[]) => images.filter((x) => outOfDistribution(classifier.predict(x)[0].probabilities).flagged).length / images.length;
    const random = seeded(21);
    const scribbles = Array.from({ length: 100 }, () => preprocessDigit(renderStrokes(scribble(random))));
    const digits = handwrittenSet('plain', 10, 22).map(({ strokes }) => preprocessDigit(renderStrokes(strokes)));
    expect(flaggedRate(scribbles)).toBeGreaterThanOrEqual(0.4);
    expect(flaggedRate(digits)).toBeLessThanOrEqual(0.05);
  });
});
