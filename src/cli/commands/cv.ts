// `zerograd cv`: stratified k-fold cross-validation of a preset or JSON model on the TRAINING
// split (the test split is never read): per-fold scores, mean ± std, cv.json, a chart and a page.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { formatCrossValidation } from '../../metrics/format.js';
import { resolveModelSpec } from '../../models/presets.js';
import type { ModelSpec } from '../../models/recipe.js';
import { barChart } from '../../report/charts.js';
import { crossValidate, meanStd, type FoldResult } from '../../tune/cross-validate.js';
import { writeFigures, writeJson, writePage } from '../../tune/page.js';
import { alignedTable, percent, type TextTable } from '../../tune/tables.js';
import { activateBackend, layoutOf, parseInteger, parsePositive, prepareData, type PreparedData } from '../pipeline.js';

/** The engine flags of cv, tune and the experiments. */
export interface EngineFlags {
  backend: string;
  threads?: string;
}

/** Adds --backend and --threads. */
export function engineOptions(command: Command): Command {
  return command
    .option('--backend <name>', 'wasm or cpu (the float64 reference, slow)', 'wasm')
    .option('--threads <n>', 'worker threads of the wasm backend (default: all cores)');
}

/** Parses --backend and --threads and activates the backend. */
export async function activateEngine(flags: EngineFlags): Promise<string> {
  return activateBackend(flags.backend, flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1));
}

/** Flags shared by `cv` and `tune` (commander's camel-cased names). */
export interface CvDataFlags extends EngineFlags {
  model?: string;
  folds: string;
  epochs?: string;
  limit?: string;
  seed: string;
  dataset: string;
}

/** Flags of `zerograd cv`. */
export interface CvFlags extends CvDataFlags {
  batchSize?: string;
  lr?: string;
  out?: string;
  progress: string;
}

/** Adds the flags `cv` and `tune` share. */
export function dataOptions(command: Command, defaultFolds: string): Command {
  command
    .option('--model <name>', 'preset (mlp, cnn, cnn-fast, cnn-best) or a JSON model spec file', 'mlp')
    .option('--folds <k>', 'number of stratified folds (>= 2)', defaultFolds)
    .option('--epochs <n>', "epochs per fold (default: the model's recipe)")
    .option('--limit <n>', 'use only the first N training examples')
    .option('--seed <n>', 'seed of the folds, weights and shuffling', '0')
    .option('--dataset <spec>', 'mnist, fashion, a folder or a .csv file', 'mnist');
  return engineOptions(command);
}

/** The parsed common settings: spec (with --epochs applied), folds, seed, and the prepared data. */
export interface CvSetup {
  spec: ModelSpec;
  /** The model's own epochs, before --epochs (best.json keeps these). */
  specEpochs: number;
  folds: number;
  seed: number;
  data: PreparedData;
  backend: string;
}

/** Parses the shared flags, activates the backend and loads the training split. */
export async function setupCv(flags: CvDataFlags): Promise<CvSetup> {
  const spec = resolveModelSpec(flags.model ?? 'mlp');
  const folds = parseInteger(flags.folds, '--folds', 2);
  const seed = parseInteger(flags.seed, '--seed', 0);
  const specEpochs = spec.recipe.epochs;
  if (flags.epochs !== undefined) spec.recipe.epochs = parseInteger(flags.epochs, '--epochs', 1);
  const limit = flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 1);
  if (limit !== undefined && limit < folds) throw new UsageError(`--limit ${limit} leaves fewer examples than --folds ${folds}`);
  const backend = await activateEngine(flags);
  const inputShape = spec.architecture.inputShape as number[];
  const data = prepareData(flags.dataset, { normalize: spec.recipe.normalize, layout: layoutOf(inputShape), limit, seed });
  return { spec, specEpochs, folds, seed, data, backend };
}

/** Registers the `cv` sub-command. */
export function register(program: Command): void {
  const command = program
    .command('cv')
    .description('Stratified k-fold cross-validation on the training split: per-fold accuracy, loss and macro F1, mean ± std, cv.json, a chart and report.html.');
  dataOptions(command, '5')
    .option('--batch-size <n>', "examples per step (default: the model's recipe)")
    .option('--lr <x>', "learning rate (default: the model's recipe)")
    .option('--out <dir>', 'output folder (default runs/cv-<model>)')
    .option('--progress <mode>', 'progress of each fold: auto, bar, lines or none', 'none')
    .action(async (flags: CvFlags) => { await runCv(flags); });
}

function foldTable(folds: readonly FoldResult[]): TextTable {
  return {
    header: ['fold', 'train', 'held out', 'accuracy', 'loss', 'macro F1', 'seconds'],
    rows: folds.map((f) => [String(f.fold), String(f.trainCount), String(f.validationCount), percent(f.accuracy), f.loss.toFixed(4), f.macro_f1.toFixed(4), f.seconds.toFixed(1)]),
  };
}

/** The work of `zerograd cv`. */
export async function runCv(flags: CvFlags): Promise<void> {
  if (!['auto', 'bar', 'lines', 'none'].includes(flags.progress)) throw new UsageError(`--progress must be auto, bar, lines or none, got '${flags.progress}'`);
  const setup = await setupCv(flags);
  const { spec, folds, seed, data } = setup;
  if (flags.batchSize !== undefined) spec.recipe.batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  if (flags.lr !== undefined) spec.recipe.lr = parsePositive(flags.lr, '--lr');
  const out = resolve(flags.out ?? join('runs', `cv-${spec.name}`));
  const { recipe } = spec;
  console.log(`cv           ${spec.name}: ${folds} stratified folds of ${data.train.count.toLocaleString('en-US')} training examples (${data.description}; the test split is not used)`);
  console.log(`recipe       ${recipe.optimizer} lr ${recipe.lr}, batch ${recipe.batchSize}, ${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'} per fold · seed ${seed} · ${setup.backend}`);
  const result = await crossValidate(spec, data.train, {
    folds, seed, progress: flags.progress as 'auto' | 'bar' | 'lines' | 'none',
    onFold: (f, k) => console.log(`fold ${f.fold}/${k}     accuracy ${percent(f.accuracy)}  loss ${f.loss.toFixed(4)}  macro F1 ${f.macro_f1.toFixed(4)}  (${f.seconds.toFixed(1)} s)`),
  });
  console.log('');
  console.log(alignedTable(foldTable(result.folds)).trimEnd());
  console.log('');
  console.log(formatCrossValidation(result.summary).trimEnd());
  const settings = { model: spec.name, folds, seed, epochs: recipe.epochs, batchSize: recipe.batchSize, lr: recipe.lr, trainExamples: data.train.count, data: data.description, backend: setup.backend };
  writeJson(join(out, 'cv.json'), { settings, folds: result.folds, summary: result.summary, seconds: result.seconds });
  const figures = await writeFigures(out, [{
    name: 'folds',
    spec: barChart({ rows: result.folds.map((f) => ({ fold: `fold ${f.fold}`, accuracy: f.accuracy })), x: 'fold', y: 'accuracy', title: `${spec.name}: held-out accuracy per fold`, yTitle: 'held-out accuracy', labels: '.4f', yDomain: [Math.max(0, Math.min(...result.folds.map((f) => f.accuracy)) - 0.05), 1] }),
    caption: `Held-out accuracy of each of the ${folds} folds; mean ${meanStd(result.summary, 'accuracy')}.`,
  }]);
  const page = writePage(out, `zerograd cv: ${spec.name}, ${folds} folds`, [
    { kind: 'paragraph', text: `Stratified ${folds}-fold cross-validation on ${data.train.count} training examples: each fold trains a fresh model on the other folds and scores the held-out fold. Mean ± sample standard deviation over folds.` },
    { kind: 'code', text: formatCrossValidation(result.summary) },
    ...figures,
    { kind: 'heading', text: 'Folds' }, { kind: 'table', table: foldTable(result.folds) },
    { kind: 'heading', text: 'Settings' }, { kind: 'code', text: JSON.stringify(settings, null, 2) },
  ]);
  console.log('');
  console.log(`cv accuracy  ${meanStd(result.summary, 'accuracy')} over ${folds} folds (${result.seconds.toFixed(1)} s)`);
  console.log(`saved        ${join(out, 'cv.json')}, ${join(out, 'folds.svg')}; report ${page}`);
}
