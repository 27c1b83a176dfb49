// Training curves: loss and accuracy per epoch, train vs validation, as two side-by-side Vega-Lite panels.
import { ReportError } from './errors.js';
import { chartConfig, type ChartSpec } from './render.js';
import type { HistoryEntry } from './types.js';

interface CurvePoint {
  epoch: number;
  split: 'train' | 'validation';
  value: number;
}

function points(history: readonly HistoryEntry[], train: 'loss' | 'accuracy', validation: 'val_loss' | 'val_accuracy'): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const entry of history) {
    if (Number.isFinite(entry[train])) out.push({ epoch: entry.epoch, split: 'train', value: entry[train] });
    const v = entry[validation];
    if (v !== undefined && Number.isFinite(v)) out.push({ epoch: entry.epoch, split: 'validation', value: v });
  }
  return out;
}

/** The series the curves draw, in legend order: 'train' and/or 'validation' (those with a finite value). */
export function curveSeries(history: readonly HistoryEntry[]): ('train' | 'validation')[] {
  const drawn = new Set([...points(history, 'loss', 'val_loss'), ...points(history, 'accuracy', 'val_accuracy')].map((p) => p.split));
  return (['train', 'validation'] as const).filter((split) => drawn.has(split));
}

/**
 * Two panels side by side: loss per epoch and accuracy per epoch, each with a train line and
 * (when the history has `val_loss` / `val_accuracy`) a validation line. Non-finite values are skipped.
 */
export function trainingCurvesSpec(history: readonly HistoryEntry[], title = 'Training curves'): ChartSpec {
  if (history.length === 0) throw new ReportError('trainingCurvesSpec: history is empty; expected at least one epoch');
  const lastEpoch = Math.max(...history.map((h) => h.epoch));
  const firstEpoch = Math.min(...history.map((h) => h.epoch));
  const epochAxis = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    scale: { domain: [firstEpoch, Math.max(lastEpoch, firstEpoch + 1)], nice: false },
    // label every epoch when there are few; otherwise let Vega pick whole-number ticks
    axis: history.length <= 20 ? { values: history.map((h) => h.epoch), format: 'd' } : { tickMinStep: 1, format: 'd' },
  };
  const loss = points(history, 'loss', 'val_loss');
  const accuracy = points(history, 'accuracy', 'val_accuracy');
  const series = curveSeries(history);
  const colors = { train: '#4c78a8', validation: '#f58518' };
  const color = {
    field: 'split',
    type: 'nominal' as const,
    title: null,
    scale: { domain: series, range: series.map((split) => colors[split]) },
    legend: { orient: 'bottom' as const, direction: 'horizontal' as const },
  };
  const panel = (name: string, values: CurvePoint[], format: string) => ({
    title: { text: name, fontSize: 13, frame: 'group' as const },
    width: 340,
    height: 230,
    data: { values },
    mark: { type: 'line' as const, point: true, tooltip: true },
    encoding: {
      x: epochAxis,
      y: { field: 'value', type: 'quantitative' as const, title: name.toLowerCase(), scale: { zero: false, padding: 8 }, axis: { format, labelFlush: true } },
      color,
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    hconcat: [
      panel('Loss', loss, '.3~f'),
      panel('Accuracy', accuracy, '.1%'),
    ],
    resolve: { scale: { color: 'shared' } },
    config: chartConfig,
  };
}
