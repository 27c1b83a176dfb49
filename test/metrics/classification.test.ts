// classificationReport, confusionMatrix and accuracy against hand-computed cases.
import { describe, expect, it } from 'vitest';
import { accuracy, classificationReport, confusionMatrix, reportFromConfusion } from '../../src/metrics/index.js';
import { ShapeError } from '../../src/errors.js';

describe('classificationReport', () => {
  // Class 2 is in yTrue but never predicted; class 3 is predicted but absent from yTrue.
  const yTrue = [0, 0, 0, 1, 1, 2, 2];
  const yPred = [0, 0, 1, 1, 3, 1, 0];
  const report = classificationReport(yTrue, yPred, 4);

  it('counts the confusion matrix with rows = true class, columns = predicted', () => {
    expect(report.confusion).toEqual([
      [2, 1, 0, 0],
      [0, 1, 0, 1],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(report.support).toEqual([3, 2, 2, 0]);
  });

  it('scores each class, with 0 for zero divisions', () => {
    expect(report.accuracy).toBeCloseTo(3 / 7, 12);
    expect(report.precision[0]).toBeCloseTo(2 / 3, 12);
    expect(report.recall[0]).toBeCloseTo(2 / 3, 12);
    expect(report.f1[0]).toBeCloseTo(2 / 3, 12);
    expect(report.precision[1]).toBeCloseTo(1 / 3, 12);
    expect(report.recall[1]).toBeCloseTo(1 / 2, 12);
    expect(report.f1[1]).toBeCloseTo(2 / 5, 12);
    // never predicted: precision 0/0 -> 0, recall 0/2 = 0, F1 0
    expect([report.precision[2], report.recall[2], report.f1[2]]).toEqual([0, 0, 0]);
    // absent from yTrue: precision 0/1 = 0, recall 0/0 -> 0, F1 0
    expect([report.precision[3], report.recall[3], report.f1[3]]).toEqual([0, 0, 0]);
  });

  it('averages over all classes (macro) and by support (weighted)', () => {
    expect(report.macro.precision).toBeCloseTo(1 / 4, 12);
    expect(report.macro.recall).toBeCloseTo(7 / 24, 12);
    expect(report.macro.f1).toBeCloseTo(4 / 15, 12);
    expect(report.weighted.precision).toBeCloseTo(8 / 21, 12);
    expect(report.weighted.recall).toBeCloseTo(3 / 7, 12); // weighted recall is accuracy
    expect(report.weighted.f1).toBeCloseTo(2 / 5, 12);
  });

  it('gives 1 everywhere for perfect predictions', () => {
    const perfect = classificationReport(new Int32Array([0, 1, 2, 2]), new Int32Array([0, 1, 2, 2]), 3);
    expect(perfect.accuracy).toBe(1);
    expect(perfect.precision).toEqual([1, 1, 1]);
    expect(perfect.recall).toEqual([1, 1, 1]);
    expect(perfect.f1).toEqual([1, 1, 1]);
    expect(perfect.macro).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(perfect.weighted).toEqual({ precision: 1, recall: 1, f1: 1 });
  });

  it('gives 0 everywhere when every prediction is wrong', () => {
    const wrong = classificationReport([0, 1, 2], [1, 2, 0], 3);
    expect(wrong.accuracy).toBe(0);
    expect(wrong.precision).toEqual([0, 0, 0]);
    expect(wrong.recall).toEqual([0, 0, 0]);
    expect(wrong.f1).toEqual([0, 0, 0]);
    expect(wrong.macro).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(wrong.confusion).toEqual([
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });

  it('matches the example in sklearn’s classification_report docs', () => {
    const r = classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
    expect(r.precision.map((x) => +x.toFixed(2))).toEqual([0.5, 0, 1]);
    expect(r.recall.map((x) => +x.toFixed(2))).toEqual([1, 0, 0.67]);
    expect(r.f1.map((x) => +x.toFixed(2))).toEqual([0.67, 0, 0.8]);
    expect(+r.macro.f1.toFixed(2)).toBe(0.49);
    expect(+r.weighted.f1.toFixed(2)).toBe(0.61);
  });

  it('rebuilds the same report from its confusion matrix', () => {
    expect(reportFromConfusion(report.confusion)).toEqual(report);
  });

  it('names the problem in bad input', () => {
    expect(() => classificationReport([0, 1], [0], 2)).toThrow(/yTrue has 2 labels but yPred has 1/);
    expect(() => classificationReport([], [], 2)).toThrow(/no samples/);
    expect(() => classificationReport([0, 5], [0, 1], 3)).toThrow(/yTrue\[1\] = 5 is not a class index in \[0, 2\]/);
    expect(() => classificationReport([0, 1], [0, 1.5], 3)).toThrow(/yPred\[1\] = 1.5/);
    expect(() => classificationReport([0], [0], 0)).toThrow(ShapeError);
    expect(() => reportFromConfusion([[1, 0], [0]])).toThrow(/row 1 has 1 entries; expected 2/);
    expect(() => reportFromConfusion([[0, 0], [0, 0]])).toThrow(/no samples/);
  });
});

describe('confusionMatrix and accuracy', () => {
  it('count pairs and matches', () => {
    expect(confusionMatrix([1, 1, 0], [1, 0, 0], 2)).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(accuracy([1, 1, 0, 2], [1, 0, 0, 0])).toBe(0.5);
  });
});
