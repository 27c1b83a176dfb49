// evaluate(): its result prints as a summary (console.log of it is three numbers, not 10,000 predictions),
// while the per-example arrays stay readable.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/train/evaluate.js';
import { mnistSlice, tinyMlp, useCpu } from './helpers.js';

describe('evaluate', () => {
  it('prints as { loss, accuracy, count } and keeps predictions, probabilities and labels', () => {
    useCpu();
    const { test } = mnistSlice(64, 200);
    const result = evaluate(tinyMlp(0), test);
    expect(Object.keys(result)).toEqual(['loss', 'accuracy', 'count']);
    expect(inspect(result).split('\n').length).toBeLessThanOrEqual(3);
    expect(JSON.parse(JSON.stringify(result))).toEqual({ loss: result.loss, accuracy: result.accuracy, count: 200 });
    expect(result.predictions).toHaveLength(200);
    expect(result.probabilities).toHaveLength(2000);
    expect(Array.from(result.labels)).toEqual(Array.from(test.labels.subarray(0, 200)));
    const correct = result.predictions.filter((p, i) => p === result.labels[i]).length;
    expect(result.accuracy).toBeCloseTo(correct / 200, 12);
  });
});
