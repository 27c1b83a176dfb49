// Shared fixtures for the report tests: a small history, a report input, PNG and SVG size readers.
import { PNG } from 'pngjs';
import { classificationReport } from '../../src/metrics/index.js';
import type { HistoryEntry, ReportInput } from '../../src/report/index.js';

export function history(epochs = 3, withValidation = true): HistoryEntry[] {
  return Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    loss: 0.5 / (i + 1),
    accuracy: 0.8 + 0.05 * i,
    ...(withValidation ? { val_loss: 0.4 / (i + 1) + 0.05, val_accuracy: 0.82 + 0.04 * i } : {}),
    seconds: 1.5,
    lr: 0.001,
  }));
}

/** A 28 x 28 image with a bright square, so rendered digits are not blank. */
export function squareImage(): Float32Array {
  const pixels = new Float32Array(784);
  for (let y = 8; y < 20; y++) for (let x = 8; x < 20; x++) pixels[y * 28 + x] = 1;
  return pixels;
}

export function reportInput(): ReportInput {
  const yTrue = [0, 0, 1, 1, 2, 2, 2];
  const yPred = [0, 1, 1, 1, 2, 0, 2];
  return {
    title: 'tiny <run> & co',
    history: history(),
    test: { ...classificationReport(yTrue, yPred, 3), loss: 0.4321 },
    classNames: ['zero', 'one', 'two'],
    misclassified: [
      { pixels: squareImage(), label: 0, predicted: 1, confidence: 0.9 },
      { pixels: squareImage(), label: 2, predicted: 0 },
    ],
    config: { model: 'mlp', epochs: 3, batchSize: 32, optimizer: { name: 'adam' } },
    extraSections: [{ title: 'Notes', html: '<p id="extra">extra section</p>' }],
  };
}

export function pngSize(bytes: Buffer): { width: number; height: number } {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height };
}

export function svgSize(svg: string): { width: number; height: number } {
  const match = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!match) throw new Error('no width/height on the <svg> element');
  return { width: Number(match[1]), height: Number(match[2]) };
}
