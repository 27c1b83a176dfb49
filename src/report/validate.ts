// Checks a ReportInput before anything is drawn, so a bad field fails with its name and index.
import { ReportError } from './errors.js';
import type { ReportInput } from './types.js';

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** Throws a `ReportError` naming the first field of `input` that `writeReport` cannot use. */
export function validateReportInput(input: ReportInput): void {
  const fail = (message: string): never => {
    throw new ReportError(`writeReport: ${message}`);
  };
  if (typeof input.title !== 'string' || input.title.trim() === '') fail('title must be a non-empty string');
  if (!Array.isArray(input.history) || input.history.length === 0) {
    fail('history is empty; expected one entry per epoch ({epoch, loss, accuracy, seconds, val_loss?, val_accuracy?, lr?})');
  }
  input.history.forEach((entry, i) => {
    if (!Number.isInteger(entry.epoch)) fail(`history[${i}].epoch is ${String(entry.epoch)}; expected an integer`);
    if (i > 0 && entry.epoch <= input.history[i - 1].epoch) {
      fail(`history[${i}].epoch is ${entry.epoch} after ${input.history[i - 1].epoch}; expected increasing epochs`);
    }
    for (const key of ['loss', 'accuracy', 'seconds'] as const) {
      if (typeof entry[key] !== 'number') fail(`history[${i}].${key} is ${String(entry[key])}; expected a number`);
    }
    for (const key of ['val_loss', 'val_accuracy', 'lr'] as const) {
      if (entry[key] !== undefined && typeof entry[key] !== 'number') {
        fail(`history[${i}].${key} is ${String(entry[key])}; expected a number or no field`);
      }
    }
  });
  const n = input.classNames.length;
  if (n === 0) fail('classNames is empty; expected one name per class');
  const test = input.test;
  if (!isNumber(test.accuracy)) fail(`test.accuracy is ${String(test.accuracy)}; expected a number`);
  if (typeof test.loss !== 'number') fail(`test.loss is ${String(test.loss)}; expected a number`);
  for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
    if (!Array.isArray(test[key]) || test[key].length !== n) {
      fail(`test.${key} has ${Array.isArray(test[key]) ? test[key].length : 'no'} entries but classNames has ${n}; expected one per class`);
    }
  }
  if (!Array.isArray(test.confusion) || test.confusion.length !== n) {
    fail(`test.confusion has ${Array.isArray(test.confusion) ? test.confusion.length : 'no'} rows but classNames has ${n}`);
  }
  test.confusion.forEach((row, t) => {
    if (row.length !== n) fail(`test.confusion[${t}] has ${row.length} entries; expected ${n}`);
  });
  const wrong = test.confusion.reduce((sum, row, t) => sum + row.reduce((s, count, p) => s + (p === t ? 0 : count), 0), 0);
  if (input.misclassified.length > wrong) {
    fail(`misclassified has ${input.misclassified.length} examples but test.confusion counts ${wrong} wrong predictions; expected at most ${wrong}`);
  }
  let side = -1;
  input.misclassified.forEach((example, i) => {
    const length = example.pixels?.length ?? 0;
    const s = Math.round(Math.sqrt(length));
    if (length === 0 || s * s !== length) fail(`misclassified[${i}].pixels has ${length} values; expected a square image such as 784 = 28 x 28`);
    if (side >= 0 && s !== side) fail(`misclassified[${i}] is ${s} x ${s} but misclassified[0] is ${side} x ${side}`);
    side = s;
    for (const key of ['label', 'predicted'] as const) {
      if (!Number.isInteger(example[key]) || example[key] < 0 || example[key] >= n) {
        fail(`misclassified[${i}].${key} is ${example[key]}; expected a class index in [0, ${n - 1}]`);
      }
    }
    if (example.confidence !== undefined && !(example.confidence >= 0 && example.confidence <= 1)) {
      fail(`misclassified[${i}].confidence is ${example.confidence}; expected a probability in [0, 1]`);
    }
  });
  (input.extraSections ?? []).forEach((section, i) => {
    if (typeof section.title !== 'string' || typeof section.html !== 'string') {
      fail(`extraSections[${i}] needs a string title and a string html`);
    }
  });
}
