// The HTML report page: summary, figures (referenced relatively), metrics, history and config tables.
import { escapeXml as escape, misclassifiedCount } from './digits.js';
import { curveSeries } from './training-curves.js';
import type { HistoryEntry, ReportInput } from './types.js';

/** File names of the figures the page shows, relative to the page. */
export interface ReportFigures {
  curvesSvg: string;
  curvesPng: string;
  confusionSvg: string;
  confusionPng: string;
  misclassifiedSvg: string;
  misclassifiedPng: string;
}

const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d1d1f; margin: 0; background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 8px 0 4px; } h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #dde; padding-bottom: 4px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: white; border: 1px solid #e3e5ea; border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .value { font-size: 22px; font-weight: 600; } .card .name { color: #666; font-size: 13px; }
figure { background: white; border: 1px solid #e3e5ea; border-radius: 8px; margin: 0; padding: 12px; overflow-x: auto; }
figure img { max-width: 100%; height: auto; display: block; } figcaption { color: #666; font-size: 13px; margin-top: 6px; }
table { border-collapse: collapse; background: white; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 12px; border-bottom: 1px solid #e8e8ee; text-align: right; } th { background: #eef0f4; }
td:first-child, th:first-child { text-align: left; } tr.summary td { font-weight: 600; background: #fafafc; }
table.settings td, table.settings th { text-align: left; }
code { background: #eef0f4; padding: 1px 4px; border-radius: 4px; }
`;

function fixed(x: number | undefined, digits = 4): string {
  return x === undefined ? '' : Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function percent(x: number | undefined): string {
  return x === undefined ? '' : Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : String(x);
}

function table(header: string[], rows: string[][], summaryFrom = rows.length, className = ''): string {
  const head = `<tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const body = rows.map((cells, i) => `<tr${i >= summaryFrom ? ' class="summary"' : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
  return `<table${className ? ` class="${className}"` : ''}>\n<thead>${head}</thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>`;
}

function figure(svg: string, png: string, alt: string, caption: string): string {
  return (
    `<figure><img src="${escape(svg)}" alt="${escape(alt)}">` +
    `<figcaption>${caption} Files: <a href="${escape(svg)}">SVG</a> · <a href="${escape(png)}">PNG</a></figcaption></figure>`
  );
}

function historyTable(history: readonly HistoryEntry[]): string {
  const hasVal = history.some((h) => h.val_loss !== undefined || h.val_accuracy !== undefined);
  const hasLr = history.some((h) => h.lr !== undefined);
  const header = ['epoch', 'loss', 'accuracy', ...(hasVal ? ['val_loss', 'val_accuracy'] : []), ...(hasLr ? ['lr'] : []), 'seconds'];
  const rows = history.map((h) => [
    String(h.epoch),
    fixed(h.loss),
    percent(h.accuracy),
    ...(hasVal ? [fixed(h.val_loss), percent(h.val_accuracy)] : []),
    ...(hasLr ? [h.lr === undefined ? '' : h.lr.toPrecision(3)] : []),
    fixed(h.seconds, 1),
  ]);
  return table(header, rows);
}

function metricsTable(input: ReportInput): string {
  const { test, classNames } = input;
  const total = test.support.reduce((a, b) => a + b, 0);
  const rows = classNames.map((name, c) => [escape(name), fixed(test.precision[c]), fixed(test.recall[c]), fixed(test.f1[c]), String(test.support[c])]);
  rows.push(['accuracy', '', '', fixed(test.accuracy), String(total)]);
  rows.push(['macro avg', fixed(test.macro.precision), fixed(test.macro.recall), fixed(test.macro.f1), String(total)]);
  rows.push(['weighted avg', fixed(test.weighted.precision), fixed(test.weighted.recall), fixed(test.weighted.f1), String(total)]);
  return table(['class', 'precision', 'recall', 'F1', 'support'], rows, classNames.length);
}

function configTable(config: Record<string, unknown>): string {
  const rows = Object.entries(config).map(([key, value]) => [
    `<code>${escape(key)}</code>`,
    escape(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)),
  ]);
  return table(['setting', 'value'], rows, rows.length, 'settings');
}

/** The curves' caption and alt text, naming only the series drawn. */
function curvesText(history: readonly HistoryEntry[]): { alt: string; caption: string } {
  const series = curveSeries(history);
  const names = series.length === 0 ? 'no finite values' : series.join(' and ');
  return {
    alt: `${series.length === 2 ? 'Training and validation' : series[0] === 'validation' ? 'Validation' : 'Training'} loss and accuracy per epoch`,
    caption: `Loss and accuracy per epoch, ${names}${series.length === 1 ? ` only${series[0] === 'train' ? ' (no validation split)' : ''}` : ''}.`,
  };
}

/** The misclassified grid's caption: the true count from the confusion matrix, and how many are drawn. */
function misclassifiedCaption(input: ReportInput, drawn: number): string {
  const total = misclassifiedCount(input.test.confusion);
  if (total === 0) return 'No test image was misclassified.';
  const shown = drawn < total ? `, ${drawn} drawn` : '';
  return `${total} misclassified in all${shown}; captions read true → predicted.`;
}

/**
 * Renders the self-contained report page (inline CSS, no scripts, figures referenced by relative path).
 * `misclassifiedDrawn` is how many images the grid shows (default: all of `input.misclassified`).
 */
export function reportHtml(input: ReportInput, figures: ReportFigures, options: { misclassifiedDrawn?: number } = {}): string {
  const { history, test } = input;
  const last = history[history.length - 1];
  const seconds = history.reduce((sum, h) => sum + h.seconds, 0);
  const curves = curvesText(history);
  const cards: [string, string][] = [
    ['test accuracy', percent(test.accuracy)],
    ['test loss', fixed(test.loss)],
    ['macro F1', fixed(test.macro.f1)],
    ['weighted F1', fixed(test.weighted.f1)],
    ...(last.val_accuracy !== undefined ? [['final val accuracy', percent(last.val_accuracy)] as [string, string]] : []),
    ['epochs', String(history.length)],
    ['training time', `${seconds.toFixed(1)} s`],
  ];
  const sections = [
    `<h1>${escape(input.title)}</h1>`,
    `<div class="cards">${cards.map(([name, value]) => `<div class="card"><div class="value">${escape(value)}</div><div class="name">${escape(name)}</div></div>`).join('')}</div>`,
    '<h2>Training curves</h2>',
    figure(figures.curvesSvg, figures.curvesPng, curves.alt, escape(curves.caption)),
    '<h2>Test metrics</h2>',
    metricsTable(input),
    '<h2>Confusion matrix</h2>',
    figure(figures.confusionSvg, figures.confusionPng, 'Confusion matrix heat map of the test set', 'Rows are true classes, columns predicted classes; colour on a log-like scale.'),
    '<h2>Misclassified test images</h2>',
    figure(figures.misclassifiedSvg, figures.misclassifiedPng, 'Grid of misclassified test images with true and predicted labels', escape(misclassifiedCaption(input, options.misclassifiedDrawn ?? input.misclassified.length))),
    '<h2>Training history</h2>',
    historyTable(history),
    ...(input.config && Object.keys(input.config).length > 0 ? ['<h2>Configuration</h2>', configTable(input.config)] : []),
    ...(input.extraSections ?? []).flatMap((s) => [`<h2>${escape(s.title)}</h2>`, s.html]),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(input.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    ...sections,
    '<p style="color:#888;font-size:12px;margin-top:40px">Generated by zerograd.</p>',
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
