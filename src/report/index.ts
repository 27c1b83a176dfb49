// Report barrel: Vega-Lite charts (SVG + PNG), the misclassified-image grid and the HTML run report.
export { writeReport } from './write-report.js';
export type { ReportInput, ReportOptions, ReportPaths, HistoryEntry, MisclassifiedExample } from './types.js';
export { validateReportInput } from './validate.js';
export { ReportError } from './errors.js';
export { trainingCurvesSpec } from './training-curves.js';
export { confusionMatrixSpec } from './confusion-plot.js';
export { misclassifiedGridSvg, digitPng, type DigitGridOptions } from './digits.js';
export { barChart, lineChart, type ChartRow, type ChartOptions, type BarChartOptions, type LineChartOptions } from './charts.js';
export { renderSvg, svgToPng, writeChart, writeSvgAndPng, type ChartSpec, type ChartFiles, type PngOptions } from './render.js';
export { reportHtml, type ReportFigures } from './html.js';
