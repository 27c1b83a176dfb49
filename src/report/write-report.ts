// writeReport: draws every figure of a training run and ties them together in report.html.
import { resolve, join } from 'node:path';
import { confusionMatrixSpec } from './confusion-plot.js';
import { misclassifiedCount, misclassifiedGridSvg } from './digits.js';
import { writeFileAtomic } from './files.js';
import { reportHtml } from './html.js';
import { renderSvg, writeSvgAndPng } from './render.js';
import { trainingCurvesSpec } from './training-curves.js';
import type { ReportInput, ReportOptions, ReportPaths } from './types.js';
import { validateReportInput } from './validate.js';

/**
 * Writes a training run's report into `dir` (created if missing), each file atomically:
 * `curves.svg/png` (loss and accuracy per epoch), `confusion.svg/png` (test heat map),
 * `misclassified.svg/png` (grid of wrong test images) and `report.html`, which shows them with
 * the metrics, history and configuration tables. Throws a `ReportError` for unusable input
 * before writing anything. Returns the absolute paths written.
 */
export async function writeReport(dir: string, input: ReportInput, options: ReportOptions = {}): Promise<ReportPaths> {
  validateReportInput(input);
  const root = resolve(dir);
  const png = { scale: options.scale ?? 2 };
  const accuracy = `${(100 * input.test.accuracy).toFixed(2)}%`;
  const curvesSvg = await renderSvg(trainingCurvesSpec(input.history, `${input.title}: training curves`));
  const confusionSvg = await renderSvg(
    confusionMatrixSpec(input.test.confusion, input.classNames, `Confusion matrix (test accuracy ${accuracy})`),
  );
  const limit = options.maxMisclassified ?? 48;
  const gridSvg = misclassifiedGridSvg(input.misclassified, input.classNames, {
    limit,
    columns: options.columns ?? 8,
    total: misclassifiedCount(input.test.confusion), // the examples given may be only the first of them
  });
  const curves = writeSvgAndPng(join(root, 'curves'), curvesSvg, png);
  const confusion = writeSvgAndPng(join(root, 'confusion'), confusionSvg, png);
  const misclassified = writeSvgAndPng(join(root, 'misclassified'), gridSvg, png);
  const html = join(root, 'report.html');
  writeFileAtomic(
    html,
    reportHtml(input, {
      curvesSvg: 'curves.svg',
      curvesPng: 'curves.png',
      confusionSvg: 'confusion.svg',
      confusionPng: 'confusion.png',
      misclassifiedSvg: 'misclassified.svg',
      misclassifiedPng: 'misclassified.png',
    }, { misclassifiedDrawn: Math.min(limit, input.misclassified.length) }),
  );
  return {
    dir: root,
    html,
    curvesSvg: curves.svg,
    curvesPng: curves.png,
    confusionSvg: confusion.svg,
    confusionPng: confusion.png,
    misclassifiedSvg: misclassified.svg,
    misclassifiedPng: misclassified.png,
  };
}
