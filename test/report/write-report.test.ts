// writeReport end to end: every file written atomically, PNGs decode, the HTML references them all; bad input fails first.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classificationReport } from '../../src/metrics/index.js';
import { ReportError, validateReportInput, writeReport, type ReportInput } from '../../src/report/index.js';
import { history, pngSize, reportInput, squareImage, svgSize } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'zerograd-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeReport', () => {
  it('writes the figures and an HTML page that ties them together', async () => {
    const dir = join(root, 'run', 'nested');
    const paths = await writeReport(dir, reportInput());
    expect(readdirSync(dir).sort()).toEqual([
      'confusion.png',
      'confusion.svg',
      'curves.png',
      'curves.svg',
      'misclassified.png',
      'misclassified.svg',
      'report.html',
    ]); // no temporary files left behind
    for (const path of Object.values(paths)) expect(existsSync(path)).toBe(true);

    for (const [svgPath, pngPath] of [
      [paths.curvesSvg, paths.curvesPng],
      [paths.confusionSvg, paths.confusionPng],
      [paths.misclassifiedSvg, paths.misclassifiedPng],
    ]) {
      const size = svgSize(readFileSync(svgPath, 'utf8'));
      expect(pngSize(readFileSync(pngPath))).toEqual({ width: Math.round(2 * size.width), height: Math.round(2 * size.height) });
    }

    const curves = readFileSync(paths.curvesSvg, 'utf8');
    expect(curves).toContain('tiny &lt;run&gt; &amp; co: training curves');
    expect(curves).toContain('>validation<');
    const confusion = readFileSync(paths.confusionSvg, 'utf8');
    expect(confusion).toContain('Confusion matrix (test accuracy 71.43%)');
    expect(confusion.match(/aria-roledescription="rect mark"/g)).toHaveLength(9);
    expect(readFileSync(paths.misclassifiedSvg, 'utf8')).toContain('two → zero');

    const html = readFileSync(paths.html, 'utf8');
    for (const file of ['curves.svg', 'curves.png', 'confusion.svg', 'confusion.png', 'misclassified.svg', 'misclassified.png']) {
      expect(html).toContain(file);
    }
  });

  it('puts the metrics, history, config and extra sections in the page, with no external resources', async () => {
    const paths = await writeReport(join(root, 'page'), reportInput());
    const html = readFileSync(paths.html, 'utf8');
    expect(html).toContain('<title>tiny &lt;run&gt; &amp; co</title>');
    expect(html).toContain('71.43%'); // accuracy card
    expect(html).toContain('0.4321'); // test loss
    expect(html).toMatch(/<td>one<\/td><td>0\.6667<\/td><td>1\.0000<\/td><td>0\.8000<\/td><td>2<\/td>/);
    expect(html).toContain('macro avg');
    expect(html).toContain('weighted avg');
    expect(html).toMatch(/<td>3<\/td><td>0\.1667<\/td><td>90\.00%<\/td>/); // last history row
    expect(html).toContain('{&quot;name&quot;:&quot;adam&quot;}');
    expect(html).toContain('<p id="extra">extra section</p>');
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
  });
});

describe('writeReport counts and captions', () => {
  /** 300 test predictions over 3 classes, 219 of them wrong; like the CLI, only the first 100 wrong images are passed. */
  function manyWrong(): ReportInput {
    const yTrue = Array.from({ length: 300 }, (_, i) => i % 3);
    const yPred = yTrue.map((t, i) => (i < 219 ? (t + 1) % 3 : t));
    const input = reportInput();
    input.test = { ...classificationReport(yTrue, yPred, 3), loss: 1.5 };
    input.misclassified = Array.from({ length: 100 }, (_, i) => ({ pixels: squareImage(), label: yTrue[i], predicted: yPred[i] }));
    return input;
  }

  it('says how many test examples were misclassified in all, not how many images it was given', async () => {
    const paths = await writeReport(join(root, 'many-wrong'), manyWrong());
    const grid = readFileSync(paths.misclassifiedSvg, 'utf8');
    expect(grid).toContain('Misclassified test images (true → predicted): 48 of 219');
    expect(grid.match(/<image /g)).toHaveLength(48);
    const html = readFileSync(paths.html, 'utf8');
    expect(html).toContain('219 misclassified in all, 48 drawn; captions read true → predicted.');
    expect(html).not.toMatch(/100 misclassified/);
  });

  it('captions the curves with the series drawn: train only when there was no validation', async () => {
    const input = reportInput();
    input.history = history(3, false);
    const paths = await writeReport(join(root, 'no-validation'), input);
    const html = readFileSync(paths.html, 'utf8');
    expect(html).toContain('Loss and accuracy per epoch, train only (no validation split).');
    expect(html).toContain('alt="Training loss and accuracy per epoch"');
    expect(html).not.toMatch(/train and validation|Training and validation/);
    expect(readFileSync(paths.curvesSvg, 'utf8')).not.toContain('>validation<');
    const both = readFileSync((await writeReport(join(root, 'with-validation'), reportInput())).html, 'utf8');
    expect(both).toContain('Loss and accuracy per epoch, train and validation.');
    expect(both).toContain('2 misclassified in all; captions read true → predicted.');
  });

  it('draws validation only when just the validation values are finite', async () => {
    const input = reportInput();
    input.history = history(3, true).map((h) => ({ ...h, loss: Number.NaN, accuracy: Number.NaN }));
    const html = readFileSync((await writeReport(join(root, 'validation-only'), input)).html, 'utf8');
    expect(html).toContain('Loss and accuracy per epoch, validation only.');
  });
});

describe('validateReportInput', () => {
  const bad = (change: (input: ReportInput) => void): (() => void) => {
    const input = reportInput();
    change(input);
    return () => validateReportInput(input);
  };

  it('names the field that is wrong', () => {
    expect(bad((i) => (i.history = []))).toThrow(/history is empty/);
    expect(bad((i) => (i.history[1].epoch = 1))).toThrow(/history\[1\]\.epoch is 1 after 1; expected increasing epochs/);
    expect(bad((i) => (i.classNames = ['a', 'b']))).toThrow(/test\.precision has 3 entries but classNames has 2/);
    expect(bad((i) => i.test.confusion[2].pop())).toThrow(/test\.confusion\[2\] has 2 entries; expected 3/);
    expect(bad((i) => (i.misclassified[1].pixels = new Float32Array(100)))).toThrow(/misclassified\[1\] is 10 x 10 but misclassified\[0\] is 28 x 28/);
    expect(bad((i) => (i.misclassified[0].pixels = new Float32Array(5)))).toThrow(/misclassified\[0\]\.pixels has 5 values/);
    expect(bad((i) => (i.misclassified[0].predicted = 3))).toThrow(/misclassified\[0\]\.predicted is 3; expected a class index in \[0, 2\]/);
    expect(bad((i) => (i.title = ''))).toThrow(ReportError);
    expect(bad((i) => i.misclassified.push(i.misclassified[0]))).toThrow(/misclassified has 3 examples but test\.confusion counts 2 wrong predictions/);
  });

  it('fails before writing anything', async () => {
    const input = reportInput();
    input.history = [];
    const dir = join(root, 'never');
    await expect(writeReport(dir, input)).rejects.toThrow(/writeReport: history is empty/);
    expect(existsSync(dir)).toBe(false);
  });
});
