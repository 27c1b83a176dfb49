// Chart helpers: Vega-Lite specs render to SVG with the expected marks and titles, and to PNG at 2x.
import { describe, expect, it } from 'vitest';
import {
  barChart,
  confusionMatrixSpec,
  lineChart,
  renderSvg,
  ReportError,
  svgToPng,
  trainingCurvesSpec,
} from '../../src/report/index.js';
import { history, pngSize, svgSize } from './helpers.js';

const rows = [
  { activation: 'relu', split: 'train', accuracy: 0.991 },
  { activation: 'relu', split: 'test', accuracy: 0.978 },
  { activation: 'tanh', split: 'train', accuracy: 0.985 },
  { activation: 'tanh', split: 'test', accuracy: 0.972 },
];

describe('barChart and lineChart', () => {
  it('draws grouped bars with value labels, axis titles and a legend', async () => {
    const svg = await renderSvg(barChart({ rows, x: 'activation', y: 'accuracy', color: 'split', title: 'Activations', yDomain: [0.9, 1] }));
    expect(svg).toContain('mark-rect role-mark');
    expect(svg).toContain('mark-text role-mark');
    expect(svg).toContain('Activations');
    expect(svg).toContain('>relu<');
    expect(svg).toContain('>0.978<');
    expect(svg).toContain('role-legend');
    const png = pngSize(svgToPng(svg));
    expect(png.width).toBe(Math.round(2 * svgSize(svg).width));
  });

  it('draws one line per series and integer epochs on the x axis', async () => {
    const points = ['none', 'dropout'].flatMap((r) => [1, 2, 3].map((epoch) => ({ regularization: r, epoch, val_loss: epoch / 10 })));
    const spec = lineChart({ rows: points, x: 'epoch', y: 'val_loss', color: 'regularization', title: 'Overfitting' });
    const svg = await renderSvg(spec);
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(2);
    expect(svg).toContain('Overfitting');
    expect(svg).not.toContain('>1.5<');
  });

  it('handles field names with dots', async () => {
    const svg = await renderSvg(barChart({ rows: [{ 'val.acc': 0.5, name: 'a' }], x: 'name', y: 'val.acc' }));
    expect(svg).toContain('>0.5<');
  });

  it('names missing fields and non-numeric values', () => {
    expect(() => barChart({ rows: [], x: 'a', y: 'b' })).toThrow(ReportError);
    expect(() => barChart({ rows, x: 'activation', y: 'acc' })).toThrow(/row 0 has no field "acc"/);
    expect(() => lineChart({ rows: [{ x: 1, y: 'high' }], x: 'x', y: 'y' })).toThrow(/row 0 field "y" is "high"; expected a number/);
  });
});

describe('trainingCurvesSpec', () => {
  it('draws a loss panel and an accuracy panel with train and validation lines', async () => {
    const svg = await renderSvg(trainingCurvesSpec(history(4), 'Curves'));
    for (const text of ['Curves', '>Loss<', '>Accuracy<', '>train<', '>validation<', '>epoch<']) expect(svg).toContain(text);
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(4);
  });

  it('draws only train lines when there is no validation data, and copes with one epoch', async () => {
    const svg = await renderSvg(trainingCurvesSpec(history(1, false)));
    expect(svg).not.toContain('>validation<');
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(2);
    expect(() => trainingCurvesSpec([])).toThrow(/history is empty/);
  });
});

describe('confusionMatrixSpec', () => {
  it('draws one cell and one count per (true, predicted) pair', async () => {
    const svg = await renderSvg(confusionMatrixSpec([[5, 1], [0, 7]], ['cat', 'dog'], 'Confusion'));
    expect(svg).toContain('Confusion');
    expect(svg).toContain('predicted class');
    expect(svg).toContain('true class');
    expect(svg.match(/aria-roledescription="rect mark"/g)).toHaveLength(4);
    expect(svg.match(/aria-roledescription="text mark"/g)).toHaveLength(4);
    for (const count of ['>5<', '>1<', '>0<', '>7<', '>cat<', '>dog<']) expect(svg).toContain(count);
  });

  it('rejects a matrix that does not match the class names', () => {
    expect(() => confusionMatrixSpec([[1, 2], [3, 4]], ['a'])).toThrow(/1 class names for a 2 x 2/);
    expect(() => confusionMatrixSpec([[1, 2], [3]], ['a', 'b'])).toThrow(/row 1 has 1 entries; expected 2/);
  });
});
