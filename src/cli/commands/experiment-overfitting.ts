// `zerograd experiment overfitting`: the seed MLP on 1,000 training images for many epochs with no
// regularization, dropout, weight decay, early stopping, augmentation, or all combined; a table
// (mean ± std over seeds), loss curves, test accuracy and a written answer to "how to prevent overfitting".
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { MetricSummary } from '../../metrics/cross-validation.js';
import { barChart, lineChart } from '../../report/charts.js';
import { writeFileAtomic } from '../../report/files.js';
import {
  DEFAULT_STRENGTHS, OVERFIT_ARMS, overfitSpec, overfittingConclusion, runOverfitting, smallSplits, summarizeOverfitting,
  type OverfitArm, type OverfitRun, type OverfitSummary,
} from '../../tune/overfitting.js';
import { writeFigures, writeJson, writePage } from '../../tune/page.js';
import { alignedTable, markdownTable, percent, type TextTable } from '../../tune/tables.js';
import { parseFraction, parseInteger, parsePositive, prepareData } from '../pipeline.js';
import { parseIntegerList } from './experiment-activations.js';
import { activateEngine, engineOptions, type EngineFlags } from './cv.js';
import { registerExperiment } from './experiment.js';

/** Flags of `zerograd experiment overfitting`. */
export interface OverfittingFlags extends EngineFlags {
  arms: string;
  seeds: string;
  trainSize: string;
  valSize: string;
  epochs: string;
  dropout: string;
  weightDecay: string;
  patience: string;
  quick?: boolean;
  out: string;
}

function builder(parent: Command): void {
  const command = parent
    .command('overfitting')
    .description('No regularization vs dropout vs weight decay vs early stopping vs augmentation (vs all) on a small training subset: loss curves, train/test gap, test accuracy; writes results.json, table.md, charts and report.html.')
    .option('--arms <list>', `methods to compare (${OVERFIT_ARMS.join(', ')})`, OVERFIT_ARMS.join(','))
    .option('--seeds <list>', 'seeds (mean ± std over them)', '0,1,2')
    .option('--train-size <n>', 'training images (a fixed random subset of the training split)', '1000')
    .option('--val-size <n>', 'validation images (disjoint, also from the training split)', '1000')
    .option('--epochs <n>', 'epochs per run (early stopping may stop sooner)', '100')
    .option('--dropout <rate>', 'dropout rate after the hidden layer', String(DEFAULT_STRENGTHS.dropout))
    .option('--weight-decay <x>', 'L2 weight decay', String(DEFAULT_STRENGTHS.weightDecay))
    .option('--patience <n>', 'early stopping: epochs without a lower validation loss', String(DEFAULT_STRENGTHS.patience))
    .option('--quick', 'CI-sized: 200 training and 200 validation images, 3 epochs, seed 0, 1,000 test images')
    .option('--out <dir>', 'experiment folder', 'runs/experiment-overfitting');
  engineOptions(command).action(async (flags: OverfittingFlags) => { await runExperimentOverfitting(flags); });
}

registerExperiment('overfitting', builder);

const ms = (m: MetricSummary): string => `${percent(m.mean, 2)} ± ${(100 * m.std).toFixed(2)}`;

function summaryTable(rows: readonly OverfitSummary[]): TextTable {
  return {
    header: ['method', 'train acc', 'test acc', 'gap (points)', 'test loss', 'best val-loss epoch', 'epochs run', 's / run'],
    rows: rows.map((r) => [
      r.arm, ms(r.trainAccuracy), ms(r.testAccuracy), (100 * r.gap.mean).toFixed(2), r.testLoss.mean.toFixed(4),
      r.bestEpoch.mean.toFixed(0), r.epochsRun.mean.toFixed(0), r.seconds.mean.toFixed(1),
    ]),
  };
}

/** Per-epoch mean over seeds of `field`, for the epochs every seed of the method ran. */
function curve(runs: readonly OverfitRun[], arms: readonly OverfitArm[], field: 'loss' | 'val_loss' | 'val_accuracy'): { method: string; epoch: number; value: number }[] {
  return arms.flatMap((arm) => {
    const mine = runs.filter((r) => r.arm === arm);
    const epochs = Math.min(...mine.map((r) => r.history.length));
    return Array.from({ length: epochs }, (_, e) => ({ method: arm, epoch: e + 1, value: mine.reduce((s, r) => s + (r.history[e][field] ?? 0), 0) / mine.length }));
  });
}

/** The work of `zerograd experiment overfitting`. */
export async function runExperimentOverfitting(flags: OverfittingFlags): Promise<void> {
  const arms = [...new Set(flags.arms.split(',').map((a) => a.trim()))] as OverfitArm[];
  const bad = arms.find((a) => !OVERFIT_ARMS.includes(a));
  if (bad !== undefined) throw new UsageError(`--arms: unknown method '${bad}'; expected ${OVERFIT_ARMS.join(', ')}`);
  const quick = flags.quick ?? false;
  const strengths = {
    dropout: flags.dropout === '0' ? 0 : parseFraction(flags.dropout, '--dropout'),
    weightDecay: parsePositive(flags.weightDecay, '--weight-decay'),
    patience: parseInteger(flags.patience, '--patience', 1),
  };
  const settings = {
    arms, strengths,
    seeds: quick ? [0] : parseIntegerList(flags.seeds, '--seeds', 0),
    trainSize: quick ? 200 : parseInteger(flags.trainSize, '--train-size', 10),
    validationSize: quick ? 200 : parseInteger(flags.valSize, '--val-size', 10),
    epochs: quick ? 3 : parseInteger(flags.epochs, '--epochs', 1),
  };
  for (const arm of arms) overfitSpec(arm, settings.epochs, strengths);
  const backend = await activateEngine(flags);
  const data = prepareData('mnist', { normalize: 'scale', layout: 'image' });
  const test = quick ? { ...data.test, count: 1000 } : data.test;
  const small = smallSplits(data.train, settings.trainSize, settings.validationSize);
  const out = resolve(flags.out);
  console.log(`experiment   overfitting: ${arms.join(', ')} × seeds ${settings.seeds.join(', ')}; seed MLP, adam lr 0.001, batch 32, up to ${settings.epochs} epochs`);
  console.log(`data         train ${small.train.count}, validation ${small.validation.count} (both from the training split), test ${test.count.toLocaleString('en-US')} · dropout ${strengths.dropout}, weight decay ${strengths.weightDecay}, patience ${strengths.patience} · ${backend} · ${out}`);
  const started = performance.now();
  const runs = await runOverfitting(small, test, settings, (r) => {
    console.log(`${r.arm.padEnd(14)} seed ${r.seed}  train acc ${percent(r.train.accuracy)}  test acc ${percent(r.test.accuracy)}  ${r.history.length} epochs  (${r.seconds.toFixed(1)} s, load ${r.loadavg.toFixed(1)})`);
  });
  const rows = summarizeOverfitting(runs, arms);
  const table = summaryTable(rows);
  const conclusion = overfittingConclusion(rows, runs, settings);
  console.log('');
  console.log(alignedTable(table).trimEnd());
  console.log('');
  for (const line of conclusion) console.log(line);

  const meta = { ...settings, testCount: test.count, backend, seconds: (performance.now() - started) / 1000 };
  writeJson(join(out, 'results.json'), { settings: meta, summary: rows, conclusion, runs });
  writeFileAtomic(join(out, 'table.md'), markdownTable(table));
  const plain = runs.find((r) => r.arm === 'none') ?? runs[0];
  const figures = await writeFigures(out, [
    {
      name: 'overfit_curves',
      spec: lineChart({
        rows: plain.history.flatMap((h) => [{ series: 'training loss', epoch: h.epoch, loss: h.loss }, { series: 'validation loss', epoch: h.epoch, loss: h.val_loss ?? 0 }]),
        x: 'epoch', y: 'loss', color: 'series', points: false, title: `${plain.arm}: training vs validation loss (seed ${plain.seed})`,
      }),
      caption: 'Training loss keeps falling while validation loss turns up: the model memorizes its small training set.',
    },
    {
      name: 'val_loss',
      spec: lineChart({ rows: curve(runs, arms, 'val_loss'), x: 'epoch', y: 'value', color: 'method', points: false, title: 'Validation loss per epoch (mean over seeds)', yTitle: 'validation loss' }),
      caption: 'Validation loss of each method; early stopping ends its line at the epoch it stopped.',
    },
    {
      name: 'test_accuracy',
      spec: barChart({ rows: rows.map((r) => ({ method: r.arm, accuracy: r.testAccuracy.mean })), x: 'method', y: 'accuracy', title: 'Test accuracy (mean over seeds)', yTitle: 'test accuracy', labels: '.4f', yDomain: [Math.max(0, Math.min(...rows.map((r) => r.testAccuracy.mean)) - 0.05), 1] }),
      caption: `Test accuracy on ${test.count} test images after training on ${small.train.count}.`,
    },
  ]);
  const page = writePage(out, 'How to prevent overfitting', [
    { kind: 'paragraph', text: `The seed MLP (784-128-10, Adam lr 0.001, batch 32) trained for up to ${settings.epochs} epochs on only ${small.train.count} MNIST images, validated on ${small.validation.count} others from the training split, and scored once on ${test.count} test images. Methods: dropout ${strengths.dropout} after the hidden layer; L2 weight decay ${strengths.weightDecay}; early stopping on validation loss with patience ${strengths.patience} and the best weights restored; augmentation by random shifts, rotations, scaling and shear; combined = all four. Mean ± std (points) over seeds ${settings.seeds.join(', ')}.` },
    { kind: 'table', table },
    { kind: 'heading', text: 'Conclusion' }, ...conclusion.map((text) => ({ kind: 'paragraph' as const, text })),
    { kind: 'heading', text: 'Curves' }, ...figures,
    { kind: 'heading', text: 'Settings' }, { kind: 'code', text: JSON.stringify(meta, null, 2) },
  ]);
  console.log('');
  console.log(`report       ${page} (results.json, table.md, overfit_curves.svg, val_loss.svg, test_accuracy.svg)`);
}
