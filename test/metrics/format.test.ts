// Text tables: the classification report matches sklearn's layout character for character.
import { describe, expect, it } from 'vitest';
import { classificationReport, formatClassificationTable, formatConfusionMatrix } from '../../src/metrics/index.js';

describe('formatClassificationTable', () => {
  it('reproduces sklearn’s classification_report docs example with digits = 2', () => {
    const report = classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
    const expected = [
      '              precision    recall  f1-score   support',
      '',
      '     class 0       0.50      1.00      0.67         1',
      '     class 1       0.00      0.00      0.00         1',
      '     class 2       1.00      0.67      0.80         3',
      '',
      '    accuracy                           0.60         5',
      '   macro avg       0.50      0.56      0.49         5',
      'weighted avg       0.70      0.60      0.61         5',
      '',
    ].join('\n');
    expect(formatClassificationTable(report, ['class 0', 'class 1', 'class 2'], { digits: 2 })).toBe(expected);
  });

  it('defaults to class indices and 4 digits, and widens for long names', () => {
    const report = classificationReport([0, 1], [0, 1], 2);
    expect(formatClassificationTable(report)).toContain('           0     1.0000    1.0000    1.0000         1');
    const long = formatClassificationTable(report, ['T-shirt/top (long)', 'Trouser']);
    expect(long.split('\n')[2]).toBe('T-shirt/top (long)     1.0000    1.0000    1.0000         1');
    expect(() => formatClassificationTable(report, ['a'])).toThrow(/1 class names for 2 classes/);
  });
});

describe('formatConfusionMatrix', () => {
  const confusion = [
    [12, 0, 1],
    [3, 100, 0],
    [0, 0, 7],
  ];

  it('aligns counts under the predicted class names', () => {
    expect(formatConfusionMatrix(confusion, ['cat', 'dog', 'eel'])).toBe(
      ['true \\ pred  cat  dog  eel', '        cat   12    0    1', '        dog    3  100    0', '        eel    0    0    7', ''].join('\n'),
    );
  });

  it('normalizes rows on request', () => {
    const text = formatConfusionMatrix(confusion, undefined, { normalize: 'true' });
    expect(text.split('\n')[1]).toBe('          0  0.92  0.00  0.08');
  });
});
