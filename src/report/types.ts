// The input of `writeReport` and the paths it returns.
import type { ClassificationReport } from '../metrics/classification.js';
import type { EpochLogs } from '../train/types.js';

/** One epoch of training history: the fit loop's EpochLogs (the learning rate may be absent in older runs' metrics.json). */
export type HistoryEntry = Omit<EpochLogs, 'lr'> & Partial<Pick<EpochLogs, 'lr'>>;

/** A test sample the model got wrong. */
export interface MisclassifiedExample {
  /** Row-major square image, values 0 (black) to 1 (white); 784 values for 28 x 28 digits. */
  pixels: Float32Array;
  /** True class index. */
  label: number;
  /** Predicted class index. */
  predicted: number;
  /** Probability the model gave its (wrong) prediction, 0-1. */
  confidence?: number;
}

/** Everything `writeReport` draws and tabulates. */
export interface ReportInput {
  title: string;
  history: HistoryEntry[];
  /** Test-set scores from `classificationReport`, plus the mean test loss. */
  test: ClassificationReport & { loss: number };
  /** One display name per class, e.g. `['0', …, '9']` or Fashion-MNIST's `['T-shirt/top', …]`. */
  classNames: string[];
  /** Misclassified test samples; the first `maxMisclassified` (default 48) are drawn. */
  misclassified: MisclassifiedExample[];
  /** Training configuration shown as a key/value table (model, epochs, batch size, lr, seed, …). */
  config?: Record<string, unknown>;
  /** Extra sections appended to the HTML; `html` is trusted markup inserted as is. */
  extraSections?: { title: string; html: string }[];
}

/** Options of `writeReport`. */
export interface ReportOptions {
  /** Most misclassified examples drawn in the grid; default 48. */
  maxMisclassified?: number;
  /** Images per row of the misclassified grid; default 8. */
  columns?: number;
  /** PNG pixel density; default 2. */
  scale?: number;
}

/** Absolute paths of the files `writeReport` wrote. */
export interface ReportPaths {
  dir: string;
  html: string;
  curvesSvg: string;
  curvesPng: string;
  confusionSvg: string;
  confusionPng: string;
  misclassifiedSvg: string;
  misclassifiedPng: string;
}
