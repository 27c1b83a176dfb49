// The seed's pipeline as reusable steps for `train` and `eval`: load and prepare data (features
// and labels), score a model on the test split (metrics), and write metrics.json and the report.
import { init, type BackendName } from '../backend/registry.js';
import type { Dataset, ImageSet, Layout, Normalization } from '../data/dataset.js';
import { fitNormalization, toDataset } from '../data/normalize.js';
import { loadSource } from '../data/source.js';
import { holdout, subset } from '../data/split.js';
import { UsageError, ZerogradError } from '../errors.js';
import { classificationReport, type ClassificationReport } from '../metrics/classification.js';
import { formatClassificationTable, formatConfusionMatrix } from '../metrics/format.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { writeReport } from '../report/write-report.js';
import type { MisclassifiedExample } from '../report/types.js';
import { evaluate } from '../train/evaluate.js';
import type { EpochLogs } from '../train/types.js';

/** Training stopped by Ctrl-C after saving a checkpoint: the CLI exits with code 130. */
export class Interrupted extends ZerogradError {
  readonly exitCode = 130;
}

/** Raw and prepared splits of a data source. */
export interface PreparedData {
  description: string;
  /** The source spec, e.g. 'mnist'. */
  spec: string;
  rawTrain: ImageSet;
  rawTest: ImageSet;
  train: Dataset;
  test: Dataset;
  normalization: Normalization;
  classNames: readonly string[];
  /** True when the source had no test split and 10% of train was held out as test. */
  heldOutTest: boolean;
}

function firstIndices(count: number, limit: number | undefined): number[] | null {
  if (limit === undefined || limit >= count) return null;
  return Array.from({ length: limit }, (_, i) => i);
}

/**
 * Loads `spec` (mnist, fashion, a folder or a CSV file), limits each split to its first `limit`
 * examples, and converts bytes to features with `normalize` fitted on train (or a given one).
 */
export function prepareData(spec: string, options: { normalize: Normalization['kind'] | Normalization; layout: Layout; limit?: number; seed?: number }): PreparedData {
  const source = loadSource(spec);
  let rawTrain = source.train;
  let rawTest = source.test;
  const heldOutTest = rawTest === null;
  if (rawTest === null) {
    const split = holdout(rawTrain.labels, { validationFraction: 0.1, seed: options.seed ?? 0 });
    rawTest = subset(rawTrain, split.validation);
    rawTrain = subset(rawTrain, split.train);
  }
  const trainPick = firstIndices(rawTrain.count, options.limit);
  if (trainPick) rawTrain = subset(rawTrain, trainPick);
  const testPick = firstIndices(rawTest.count, options.limit);
  if (testPick) rawTest = subset(rawTest, testPick);
  const normalization = typeof options.normalize === 'string' ? fitNormalization(rawTrain, options.normalize) : options.normalize;
  return {
    description: source.description,
    spec,
    rawTrain,
    rawTest,
    train: toDataset(rawTrain, normalization, options.layout),
    test: toDataset(rawTest, normalization, options.layout),
    normalization,
    classNames: rawTrain.classNames,
    heldOutTest,
  };
}

/** The data layout a model's input shape implies: [784] is flat, [1, 28, 28] is an image. */
export function layoutOf(inputShape: readonly number[]): Layout {
  return inputShape.length === 1 ? 'flat' : 'image';
}

/** Parses --backend and activates it. */
export async function activateBackend(name: string, threads?: number): Promise<BackendName> {
  if (name !== 'wasm' && name !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, got '${name}'`);
  await init(name, threads === undefined ? {} : { threads });
  return name;
}

/** Test-split scores: the classification report plus loss and what the report draws. */
export interface TestResult {
  report: ClassificationReport;
  loss: number;
  count: number;
  misclassified: MisclassifiedExample[];
}

/** Evaluates `model` on the test split and scores it per class. */
export function scoreOnTest(model: Sequential, data: PreparedData, batchSize = 256): TestResult {
  const result = evaluate(model, data.test, { batchSize });
  const classes = data.classNames.length;
  const report = classificationReport(result.labels, result.predictions, classes);
  const misclassified: MisclassifiedExample[] = [];
  const size = data.rawTest.rows * data.rawTest.cols;
  for (let i = 0; i < result.count && misclassified.length < 100; i++) {
    if (result.predictions[i] === result.labels[i]) continue;
    const pixels = new Float32Array(size);
    const bytes = data.rawTest.pixels.subarray(i * size, (i + 1) * size);
    for (let p = 0; p < size; p++) pixels[p] = bytes[p] / 255;
    misclassified.push({ pixels, label: result.labels[i], predicted: result.predictions[i], confidence: result.probabilities[i * classes + result.predictions[i]] });
  }
  return { report, loss: result.loss, count: result.count, misclassified };
}

/** Prints accuracy, loss, the per-class table and the confusion matrix. */
export function printTestResult(result: TestResult, classNames: readonly string[], print: (line: string) => void = console.log): void {
  print(`test accuracy ${(100 * result.report.accuracy).toFixed(2)}%  loss ${result.loss.toFixed(4)}  (${result.count.toLocaleString('en-US')} examples)`);
  print('');
  print(formatClassificationTable(result.report, classNames).trimEnd());
  print('');
  print(formatConfusionMatrix(result.report.confusion, classNames).trimEnd());
}

/** The `test` object of metrics.json. */
export function testMetrics(result: TestResult): Record<string, unknown> {
  const { report } = result;
  return {
    accuracy: report.accuracy, loss: result.loss, count: result.count,
    precision: report.precision, recall: report.recall, f1: report.f1, support: report.support,
    macro: report.macro, weighted: report.weighted, confusion: report.confusion,
  };
}

/** Writes the HTML report (curves, confusion heat map, misclassified digits) into `dir`; returns the HTML path. */
export async function writeRunReport(dir: string, title: string, history: readonly EpochLogs[], result: TestResult, classNames: readonly string[], config: Record<string, unknown>): Promise<string> {
  const paths = await writeReport(dir, {
    title,
    history: history.map((h) => ({ ...h })),
    test: { ...result.report, loss: result.loss },
    classNames: [...classNames],
    misclassified: result.misclassified,
    config,
  });
  return paths.html;
}

// ---- flag parsing shared by train and eval ----

/** An integer flag value >= min. */
export function parseInteger(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${text}'`);
  return value;
}

/** A positive number flag value. */
export function parsePositive(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number, got '${text}'`);
  return value;
}

/** A fraction in (0, 1). */
export function parseFraction(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value > 0 && value < 1)) throw new UsageError(`${flag} must be a fraction between 0 and 1 (exclusive), got '${text}'`);
  return value;
}
