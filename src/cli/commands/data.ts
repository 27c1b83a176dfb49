// `zerograd data`: load a data source and show what a model will see: counts per class, pixel
// statistics, shapes, labels with their one-hot codes, and PNG grids of samples (and augmentations).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  Augmenter, countPerClass, DEFAULT_AUGMENT, DEFAULT_MAX_IMAGE_PIXELS, fewPerClass, labelNames, loadSource, normalizeBytes, oneHot,
  pixelStats, renderGrid, writeFileAtomic, type AugmentOptions, type ImageSet,
} from '../../data/index.js';

/** Flags of `zerograd data`, as commander parses them. */
interface DataFlags {
  dataset: string;
  augment?: boolean;
  out: string;
  seed: string;
  maxImagePixels: string;
}

/** Augmentation shown by `--augment`: the affine defaults plus a mild elastic distortion. */
const SHOWN_AUGMENT: AugmentOptions = { ...DEFAULT_AUGMENT, elastic: 1 };
const SAMPLES_PER_CLASS = 10;

/** Registers the `data` sub-command. */
export function register(program: Command): void {
  program
    .command('data')
    .description('Inspect a data set: class counts, pixel statistics, shapes, label encodings, and sample grids (PNG).')
    .option('--dataset <name>', 'mnist, fashion, a folder (IDX files or <label>/ image folders) or a .csv file', 'mnist')
    .option('--augment', 'also write a grid of randomly augmented samples (affine + elastic)')
    .option('--out <dir>', 'folder for the PNG grids', 'runs/data')
    .option('--seed <n>', 'seed for the sample choice and the augmentation', '0')
    .option('--max-image-pixels <n>', 'in image folders, refuse images with more pixels (width x height) than this', String(DEFAULT_MAX_IMAGE_PIXELS))
    .action((flags: DataFlags) => runData(flags));
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`--seed must be an integer from 0 to 4294967295, got '${text}'`);
  }
  return seed;
}

const format = (n: number): string => n.toLocaleString('en-US');

/** The work of `zerograd data`; prints a report and writes the grids. */
export function runData(flags: DataFlags): void {
  const seed = parseSeed(flags.seed);
  const maxImagePixels = Number(flags.maxImagePixels);
  if (!Number.isInteger(maxImagePixels) || maxImagePixels < 1 || maxImagePixels > 2 ** 28) {
    throw new UsageError(`--max-image-pixels must be an integer from 1 to ${2 ** 28}, got '${flags.maxImagePixels}'`);
  }
  const started = performance.now();
  const source = loadSource(flags.dataset, { maxImagePixels });
  const seconds = (performance.now() - started) / 1000;
  const { train, test } = source;
  const numClasses = train.classNames.length;
  const total = train.count + (test?.count ?? 0);

  console.log(`dataset      ${source.description}`);
  console.log(`loaded       ${format(total)} images in ${seconds.toFixed(2)} s`);
  console.log(`image shape  1x${train.rows}x${train.cols} (${train.rows * train.cols} features; flat or image layout)`);
  console.log(`splits       train ${format(train.count)}${test ? ` · test ${format(test.count)}` : ' (no test split in this source)'}`);
  printClassCounts(train, test);

  const { mean, std } = pixelStats(train);
  console.log(`pixels       mean ${mean.toFixed(4)}  std ${std.toFixed(4)}  (train split, scaled to 0-1)`);
  console.log(`normalize    ${JSON.stringify({ kind: 'standardize', mean: round(mean), std: round(std) })}`);

  const shown = Math.min(5, train.count);
  const codes = oneHot(train.labels.subarray(0, shown), numClasses);
  const names = labelNames(train.labels.subarray(0, shown), train.classNames);
  console.log(`labels       first ${shown} of train: label, class, one-hot`);
  for (let k = 0; k < shown; k++) {
    const code = Array.from(codes.subarray(k * numClasses, (k + 1) * numClasses)).join(' ');
    console.log(`  ${String(train.labels[k]).padStart(3)}  ${names[k].padEnd(12)} [${code}]`);
  }

  // Samples: up to 10 per class, one grid row per class.
  const picks = pickSamples(train, seed, numClasses);
  const samples = normalizeBytes(pickPixels(train, picks), { kind: 'scale', mean: 0, std: 1 });
  const outDir = resolve(flags.out);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${flags.out}: cannot create the folder (${(err as Error).message})`);
  }
  const grid = { count: picks.length, rows: train.rows, cols: train.cols, columns: SAMPLES_PER_CLASS };
  const samplesPath = join(outDir, 'samples.png');
  writeFileAtomic(samplesPath, renderGrid(samples, grid));
  console.log(`wrote        ${samplesPath} (${picks.length} training samples, one row per class)`);

  if (flags.augment) {
    const augmented = new Float32Array(samples.length);
    new Augmenter(SHOWN_AUGMENT, seed).apply(samples, augmented, picks.length, train.rows, train.cols, 0);
    const augmentedPath = join(outDir, 'augmented.png');
    writeFileAtomic(augmentedPath, renderGrid(augmented, grid));
    console.log(`wrote        ${augmentedPath} (the same samples augmented: ${describeAugment(SHOWN_AUGMENT)})`);
  }
}

function printClassCounts(train: ImageSet, test: ImageSet | null): void {
  const numClasses = train.classNames.length;
  const trainCounts = countPerClass(train.labels, numClasses);
  const testCounts = test ? countPerClass(test.labels, numClasses) : null;
  const labels = train.classNames.map((name, c) => (name === String(c) ? name : `${c} ${name}`));
  const width = Math.max(5, ...labels.map((label) => label.length));
  const row = (label: string, trainText: string, testText: string | null): string =>
    `${label.padEnd(width)}  ${trainText.padStart(7)}${testText === null ? '' : `  ${testText.padStart(7)}`}`;
  console.log(`per class    ${row('class', 'train', testCounts ? 'test' : null)}`);
  labels.forEach((label, c) => {
    console.log(`             ${row(label, format(trainCounts[c]), testCounts ? format(testCounts[c]) : null)}`);
  });
}

/** Seeded picks, class by class: indices ordered by class, up to SAMPLES_PER_CLASS each. */
function pickSamples(set: ImageSet, seed: number, numClasses: number): number[] {
  const counts = countPerClass(set.labels, numClasses);
  const perClass = Math.max(1, Math.min(SAMPLES_PER_CLASS, ...counts.filter((n) => n > 0)));
  const chosen = Array.from(fewPerClass(set.labels, perClass, seed));
  return chosen.sort((a, b) => set.labels[a] - set.labels[b] || a - b);
}

function pickPixels(set: ImageSet, indices: number[]): Uint8Array {
  const size = set.rows * set.cols;
  const out = new Uint8Array(indices.length * size);
  indices.forEach((index, k) => out.set(set.pixels.subarray(index * size, (index + 1) * size), k * size));
  return out;
}

function describeAugment(options: AugmentOptions): string {
  return `shift ±${options.translate}px, rotate ±${options.rotate}°, scale ±${options.scale}, shear ±${options.shear}°, elastic ${options.elastic}px`;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
