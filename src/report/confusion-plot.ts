// Confusion-matrix heat map: true class down, predicted class across, a count in every cell.
import { ReportError } from './errors.js';
import { chartConfig, type ChartSpec } from './render.js';

/**
 * Heat map of `confusion[true][predicted]`. Colour uses a symmetric-log scale so that a handful of
 * errors stays visible next to thousands of correct predictions; every cell prints its count.
 */
export function confusionMatrixSpec(confusion: readonly (readonly number[])[], classNames: readonly string[], title = 'Confusion matrix'): ChartSpec {
  const n = confusion.length;
  if (n === 0) throw new ReportError('confusionMatrixSpec: the confusion matrix is empty');
  if (classNames.length !== n) {
    throw new ReportError(`confusionMatrixSpec: ${classNames.length} class names for a ${n} x ${n} confusion matrix`);
  }
  confusion.forEach((row, t) => {
    if (row.length !== n) throw new ReportError(`confusionMatrixSpec: row ${t} has ${row.length} entries; expected ${n}`);
  });
  const max = Math.max(1, ...confusion.flat());
  const symlog = (x: number): number => Math.log1p(x) / Math.log1p(max);
  const cells = confusion.flatMap((row, t) =>
    row.map((count, p) => ({ true: classNames[t], predicted: classNames[p], count, dark: symlog(count) > 0.6, diagonal: t === p })),
  );
  const side = Math.max(220, Math.min(520, 38 * n));
  const axis = (name: string) => ({ field: name, type: 'ordinal' as const, sort: [...classNames], title: `${name} class` });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: side,
    height: side,
    data: { values: cells },
    encoding: {
      x: { ...axis('predicted'), axis: { orient: 'top' as const, labelAngle: classNames.some((c) => c.length > 2) ? -40 : 0 } },
      y: axis('true'),
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#e0e0e0', strokeWidth: 0.5, tooltip: true },
        encoding: {
          color: {
            condition: { test: 'datum.count === 0', value: 'white' },
            field: 'count',
            type: 'quantitative',
            scale: { type: 'symlog', scheme: 'blues', domain: [0, max] },
            legend: { title: 'count', gradientLength: Math.min(side, 200) },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: n > 12 ? 9 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: {
            condition: [
              { test: 'datum.dark', value: 'white' },
              { test: 'datum.count === 0', value: '#b0b0b0' },
            ],
            value: '#222',
          },
        },
      },
    ],
    config: chartConfig,
  };
}
