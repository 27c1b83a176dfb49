// Generic Vega-Lite chart builders for experiment tables: grouped bar charts and line charts.
import { ReportError } from './errors.js';
import { chartConfig, type ChartSpec } from './render.js';

/** One row of an experiment table, e.g. `{activation: 'relu', epoch: 3, val_accuracy: 0.97}`. */
export type ChartRow = Record<string, string | number | boolean | null>;

/** Options shared by `barChart` and `lineChart`. */
export interface ChartOptions {
  rows: readonly ChartRow[];
  /** Field on the horizontal axis. */
  x: string;
  /** Numeric field on the vertical axis. */
  y: string;
  /** Field that splits rows into series (grouped bars or one line each), shown in a legend. */
  color?: string;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Fixed vertical range, e.g. `[0.9, 1]` for accuracies; default starts at 0 for bars, fits the data for lines. */
  yDomain?: [number, number];
  /** Plot area size in SVG pixels; default 420 x 260. */
  width?: number;
  height?: number;
}

/** Options of `barChart`. */
export interface BarChartOptions extends ChartOptions {
  /** d3 format of the value printed above each bar (default '.4~f'); `false` prints none. */
  labels?: string | false;
}

/** Options of `lineChart`. */
export interface LineChartOptions extends ChartOptions {
  /** Draw a point on every row; default true. */
  points?: boolean;
  /** Logarithmic horizontal axis (e.g. learning rates); default false. */
  logX?: boolean;
}

function checkRows(options: ChartOptions, where: string): void {
  const { rows, x, y, color } = options;
  if (rows.length === 0) throw new ReportError(`${where}: no rows to plot; expected at least one`);
  for (const field of [x, y, ...(color === undefined ? [] : [color])]) {
    const index = rows.findIndex((row) => !(field in row));
    if (index >= 0) {
      throw new ReportError(`${where}: row ${index} has no field "${field}" (fields: ${Object.keys(rows[index]).join(', ')})`);
    }
  }
  const bad = rows.findIndex((row) => typeof row[y] !== 'number');
  if (bad >= 0) throw new ReportError(`${where}: row ${bad} field "${y}" is ${JSON.stringify(rows[bad][y])}; expected a number`);
}

/** A field name as Vega-Lite reads it: dots and brackets escaped so `val.acc` names one field. */
function field(name: string): string {
  return name.replace(/([.[\]\\])/g, '\\$1');
}

/** A bar chart of `y` per `x` category (in row order), grouped side by side by `color` when given. */
export function barChart(options: BarChartOptions): ChartSpec {
  checkRows(options, 'barChart');
  const { x, y, color } = options;
  const labels = options.labels ?? '.4~f';
  const xEncoding = { field: field(x), type: 'nominal' as const, sort: null, title: options.xTitle ?? x, axis: { labelAngle: 0 } };
  const yEncoding = {
    field: field(y),
    type: 'quantitative' as const,
    title: options.yTitle ?? y,
    scale: options.yDomain ? { domain: options.yDomain, clamp: true } : { zero: true },
  };
  const offset = color === undefined ? {} : { xOffset: { field: field(color), type: 'nominal' as const, sort: null } };
  const colorEncoding =
    color === undefined ? {} : { color: { field: field(color), type: 'nominal' as const, sort: null, title: color } };
  const bars = { mark: { type: 'bar' as const, tooltip: true }, encoding: { x: xEncoding, y: yEncoding, ...offset, ...colorEncoding } };
  const text =
    labels === false
      ? []
      : [
          {
            mark: { type: 'text' as const, dy: -6, fontSize: 10, color: '#333' },
            encoding: { x: xEncoding, y: yEncoding, ...offset, text: { field: field(y), type: 'quantitative' as const, format: labels } },
          },
        ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.width ?? 420,
    height: options.height ?? 260,
    data: { values: options.rows.map((row) => ({ ...row })) },
    layer: [bars, ...text],
    config: chartConfig,
  };
}

/** A line chart of `y` against a numeric `x`, one line per `color` value when given. */
export function lineChart(options: LineChartOptions): ChartSpec {
  checkRows(options, 'lineChart');
  const { x, y, color } = options;
  const numericX = options.rows.every((row) => typeof row[x] === 'number');
  const integerX = options.rows.every((row) => Number.isInteger(row[x]));
  const xEncoding = numericX
    ? {
        field: field(x),
        type: 'quantitative' as const,
        title: options.xTitle ?? x,
        scale: options.logX ? { type: 'log' as const } : { zero: false },
        axis: integerX && !options.logX ? { tickMinStep: 1, format: 'd' } : {},
      }
    : { field: field(x), type: 'ordinal' as const, sort: null, title: options.xTitle ?? x, axis: { labelAngle: 0 } };
  const yEncoding = {
    field: field(y),
    type: 'quantitative' as const,
    title: options.yTitle ?? y,
    scale: options.yDomain ? { domain: options.yDomain, clamp: true } : { zero: false },
  };
  const colorEncoding =
    color === undefined ? {} : { color: { field: field(color), type: 'nominal' as const, sort: null, title: color } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.width ?? 420,
    height: options.height ?? 260,
    data: { values: options.rows.map((row) => ({ ...row })) },
    mark: { type: 'line', point: options.points ?? true, tooltip: true },
    encoding: { x: xEncoding, y: yEncoding, ...colorEncoding },
    config: chartConfig,
  };
}
