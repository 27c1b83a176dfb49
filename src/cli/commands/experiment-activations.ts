// `zerograd experiment activations`: ReLU vs sigmoid vs tanh in the seed MLP, same recipe and
// seeds; a table (mean ± std over seeds), validation curves, test accuracy and a written answer
// to "how to choose an activation function". Registered under `zerograd experiment`.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { MetricSummary } from '../../metrics/cross-validation.js';
import type { ActivationName } from '../../nn/activations.js';
import { barChart, lineChart } from '../../report/charts.js';
import { writeFileAtomic } from '../../report/files.js';
import { activationConclusion, activationSpec, runActivations, summarizeActivations, type ActivationRun, type ActivationSummary } from '../../tune/activations.js';
import { writeFigures, writeJson, writePage } from '../../tune/page.js';
import { alignedTable, markdownTable, percent, type TextTable } from '../../tune/tables.js';
import { parseFraction, parseInteger, prepareData } from '../pipeline.js';
import { activateEngine, engineOptions, type EngineFlags } from './cv.js';
import { registerExperiment } from './experiment.js';

/** Flags of `zerograd experiment activations`. */
export interface ActivationFlags extends EngineFlags {
  activations: string;
  seeds: string;
  depth: string;
  hidden: string;
  epochs: string;
  valSplit: string;
  limit?: string;
  quick?: boolean;
  out: string;
}

function builder(parent: Command): void {
  const command = parent
    .command('activations')
    .description('ReLU vs sigmoid vs tanh in the seed MLP (same recipe, several seeds): validation curves, test accuracy, first-layer gradients; writes results.json, table.md, charts and report.html.')
    .option('--activations <list>', 'hidden-layer activations to compare (relu, sigmoid, tanh, gelu, leakyRelu)', 'relu,sigmoid,tanh')
    .option('--seeds <list>', 'seeds (mean ± std over them)', '0,1,2')
    .option('--depth <n>', 'hidden Dense layers (1 = the seed MLP; deeper nets show vanishing gradients)', '1')
    .option('--hidden <n>', 'units per hidden layer', '128')
    .option('--epochs <n>', 'epochs per run', '5')
    .option('--val-split <f>', 'fraction of the training set held out for the validation curves', '0.1')
    .option('--limit <n>', 'use only the first N training and N test examples')
    .option('--quick', 'CI-sized: 2,000 examples, 2 epochs, seed 0')
    .option('--out <dir>', 'experiment folder', 'runs/experiment-activations');
  engineOptions(command).action(async (flags: ActivationFlags) => { await runExperimentActivations(flags); });
}

registerExperiment('activations', builder);

/** `0,1,2` -> [0, 1, 2] (integers >= min). */
export function parseIntegerList(text: string, flag: string, min: number): number[] {
  return [...new Set(text.split(',').map((part) => parseInteger(part.trim(), flag, min)))];
}

const ms = (m: MetricSummary, digits = 2): string => `${percent(m.mean, digits)} ± ${percent(m.std, digits)}`;

function summaryTable(rows: readonly ActivationSummary[]): TextTable {
  return {
    header: ['activation', 'val acc after epoch 1', 'final val acc', 'test acc', 'test loss', 'first-layer grad at init', 's / run'],
    rows: rows.map((r) => [
      r.activation, ms(r.firstEpochValAccuracy), ms(r.valAccuracy), ms(r.testAccuracy), r.testLoss.mean.toFixed(4),
      r.firstLayerGradient.mean.toPrecision(3), r.seconds.mean.toFixed(1),
    ]),
  };
}

/** Validation accuracy per epoch, averaged over seeds, one row per (activation, epoch). */
function curveRows(runs: readonly ActivationRun[], activations: readonly ActivationName[]): { activation: string; epoch: number; val_accuracy: number }[] {
  return activations.flatMap((activation) => {
    const mine = runs.filter((r) => r.activation === activation);
    const epochs = Math.min(...mine.map((r) => r.history.length));
    return Array.from({ length: epochs }, (_, e) => ({
      activation, epoch: e + 1, val_accuracy: mine.reduce((s, r) => s + (r.history[e].val_accuracy ?? 0), 0) / mine.length,
    }));
  });
}

/** The work of `zerograd experiment activations`. */
export async function runExperimentActivations(flags: ActivationFlags): Promise<void> {
  const activations = flags.activations.split(',').map((a) => a.trim()) as ActivationName[];
  const seeds = flags.quick ? [0] : parseIntegerList(flags.seeds, '--seeds', 0);
  const depth = parseInteger(flags.depth, '--depth', 1);
  const hidden = parseInteger(flags.hidden, '--hidden', 1);
  const epochs = flags.quick ? 2 : parseInteger(flags.epochs, '--epochs', 1);
  const validationSplit = parseFraction(flags.valSplit, '--val-split');
  const limit = flags.quick ? 2000 : flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 20);
  for (const a of activations) activationSpec(a, depth, hidden, epochs, validationSplit); // names checked before any data is read
  const settings = { activations, seeds, depth, hidden, epochs, validationSplit };
  const backend = await activateEngine(flags);
  const data = prepareData('mnist', { normalize: 'scale', layout: 'image', limit });
  const out = resolve(flags.out);
  console.log(`experiment   activations ${activations.join(', ')} × seeds ${seeds.join(', ')}: MLP 784-${Array(depth).fill(hidden).join('-')}-10, adam lr 0.001, batch 32, ${epochs} epochs`);
  console.log(`data         train ${data.train.count.toLocaleString('en-US')} (${100 * validationSplit}% held out for validation curves), test ${data.test.count.toLocaleString('en-US')} · ${backend} · ${out}`);
  const started = performance.now();
  const runs = await runActivations(data.train, data.test, settings, (r) => {
    const last = r.history[r.history.length - 1];
    console.log(`${r.activation.padEnd(9)} seed ${r.seed}  val acc ${percent(last?.val_accuracy ?? Number.NaN)}  test acc ${percent(r.test.accuracy)}  (${r.seconds.toFixed(1)} s, load ${r.loadavg.toFixed(1)})`);
  });
  const rows = summarizeActivations(runs, activations);
  const table = summaryTable(rows);
  const conclusion = activationConclusion(rows, depth);
  console.log('');
  console.log(alignedTable(table).trimEnd());
  console.log('');
  for (const line of conclusion) console.log(line);

  const meta = { ...settings, limit: limit ?? null, trainCount: data.train.count, testCount: data.test.count, backend, seconds: (performance.now() - started) / 1000 };
  writeJson(join(out, 'results.json'), { settings: meta, summary: rows, conclusion, runs });
  writeFileAtomic(join(out, 'table.md'), markdownTable(table));
  const figures = await writeFigures(out, [
    {
      name: 'val_accuracy',
      spec: lineChart({ rows: curveRows(runs, activations), x: 'epoch', y: 'val_accuracy', color: 'activation', title: 'Validation accuracy per epoch (mean over seeds)', yTitle: 'validation accuracy' }),
      caption: 'Validation accuracy after each epoch, averaged over seeds.',
    },
    {
      name: 'test_accuracy',
      spec: barChart({ rows: rows.map((r) => ({ activation: r.activation, accuracy: r.testAccuracy.mean })), x: 'activation', y: 'accuracy', title: 'Test accuracy (mean over seeds)', yTitle: 'test accuracy', labels: '.4f', yDomain: [Math.max(0, Math.min(...rows.map((r) => r.testAccuracy.mean)) - 0.03), 1] }),
      caption: 'Test accuracy after the last epoch, averaged over seeds.',
    },
  ]);
  const page = writePage(out, 'How to choose an activation function', [
    { kind: 'paragraph', text: `The seed MLP (${depth} hidden layer${depth === 1 ? '' : 's'} of ${hidden} units) trained with Adam (lr 0.001, batch 32) for ${epochs} epochs on ${data.train.count} MNIST images with each hidden activation, seeds ${seeds.join(', ')}; ${100 * validationSplit}% of the training set is held out for the validation curves and the ${data.test.count} test images are scored once at the end. Mean ± sample std over seeds.` },
    { kind: 'table', table },
    { kind: 'heading', text: 'Conclusion' }, ...conclusion.map((text) => ({ kind: 'paragraph' as const, text })),
    { kind: 'heading', text: 'Curves' }, ...figures,
    { kind: 'heading', text: 'Settings' }, { kind: 'code', text: JSON.stringify(meta, null, 2) },
  ]);
  console.log('');
  console.log(`report       ${page} (results.json, table.md, val_accuracy.svg, test_accuracy.svg)`);
}
