// The few-label experiment (`zerograd experiment finetune`): from-scratch training and each
// fine-tuning strategy at K labels per class over several seeds, scored on the whole test split;
// results are appended to results.json as they come (a rerun skips finished cells), then summarised.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { writeFileAtomic } from '../data/files.js';
import { UsageError } from '../errors.js';
import { barChart } from '../report/charts.js';
import { writeChart } from '../report/render.js';
import { defaultSteps, labeledIndices, labeledSet, modelForArm, scoreTest, trainClassifier, type Arm, type PretrainedFolder } from './finetune-run.js';

export interface ExperimentSettings {
  arms: Arm[];
  ks: number[];
  seeds: number[];
  batchSize: number;
  /** Fixed optimizer steps for every cell (default: defaultSteps of the labeled set). */
  steps?: number;
}

/** One trained and scored cell. */
export interface ExperimentResult {
  arm: Arm;
  k: number;
  seed: number;
  accuracy: number;
  trainable: number;
  total: number;
  steps: number;
  seconds: number;
  loadavg: number;
}

/** Mean and sample standard deviation of one (arm, K) over seeds. */
export interface SummaryRow {
  arm: Arm;
  k: number;
  mean: number;
  std: number;
  runs: number;
}

export const RESULTS_FILE = 'results.json';

/** Reads earlier results of `dir` (none when absent). */
export function readResults(dir: string): ExperimentResult[] {
  const path = join(dir, RESULTS_FILE);
  if (!existsSync(path)) return [];
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ExperimentResult[];
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message}); delete it to start over`);
  }
}

/** Trains and scores every (K, seed, arm) cell not in `dir`/results.json yet, saving after each. */
export async function runExperiment(
  from: PretrainedFolder, train: Dataset, test: Dataset, settings: ExperimentSettings, dir: string, log: (line: string) => void = console.log,
): Promise<ExperimentResult[]> {
  mkdirSync(dir, { recursive: true });
  const results = readResults(dir);
  const done = new Set(results.map((r) => `${r.arm}/${r.k}/${r.seed}`));
  const cells = settings.ks.flatMap((k) => settings.seeds.flatMap((seed) => settings.arms.map((arm) => ({ arm, k, seed }))));
  let index = 0;
  for (const { arm, k, seed } of cells) {
    index++;
    if (done.has(`${arm}/${k}/${seed}`)) continue;
    const started = performance.now();
    const labeled = labeledSet(train, labeledIndices(train, k, seed));
    const steps = settings.steps ?? defaultSteps(labeled.count, settings.batchSize, arm);
    const { model, backbone } = modelForArm(from, arm, seed);
    const trained = await trainClassifier(model, backbone, arm, labeled, { steps, batchSize: settings.batchSize, seed });
    const accuracy = scoreTest(trained.model, test).accuracy;
    const result: ExperimentResult = {
      arm, k, seed, accuracy, trainable: trained.plan.trainable, total: trained.plan.total, steps,
      seconds: (performance.now() - started) / 1000, loadavg: loadavg()[0],
    };
    results.push(result);
    writeFileAtomic(join(dir, RESULTS_FILE), `${JSON.stringify(results, null, 2)}\n`);
    log(`[${index}/${cells.length}] ${arm.padEnd(7)} K=${String(k).padEnd(3)} seed ${seed}: ${(100 * accuracy).toFixed(2)}% (${steps} steps, ${result.seconds.toFixed(0)} s, load ${result.loadavg.toFixed(1)})`);
  }
  return results;
}

/** Mean ± sample std per (arm, K), in the order arms x ks. */
export function summarize(results: readonly ExperimentResult[], arms: readonly Arm[], ks: readonly number[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const arm of arms) {
    for (const k of ks) {
      const values = results.filter((r) => r.arm === arm && r.k === k).map((r) => r.accuracy);
      if (values.length === 0) continue;
      const mean = values.reduce((p, v) => p + v, 0) / values.length;
      const std = values.length > 1 ? Math.sqrt(values.reduce((p, v) => p + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
      rows.push({ arm, k, mean, std, runs: values.length });
    }
  }
  return rows;
}

const ARM_TITLES: Record<Arm, string> = { scratch: 'from scratch', full: 'full fine-tuning', head: 'head (linear probe)', lora: 'LoRA' };

/** Markdown table: one row per arm, one column per K, cells "mean ± std % (n)". */
export function formatTable(rows: readonly SummaryRow[], arms: readonly Arm[], ks: readonly number[]): string {
  const lines = [`| method | ${ks.map((k) => `K = ${k} (${10 * k} labels)`).join(' | ')} |`, `| --- | ${ks.map(() => '---:').join(' | ')} |`];
  for (const arm of arms) {
    const cells = ks.map((k) => {
      const row = rows.find((r) => r.arm === arm && r.k === k);
      return row ? `${(100 * row.mean).toFixed(2)} ± ${(100 * row.std).toFixed(2)}${row.runs < 3 ? ` (n=${row.runs})` : ''}` : '—';
    });
    lines.push(`| ${ARM_TITLES[arm]} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Whether each fine-tuning arm beats from-scratch at every K (on the means). */
export function beatsScratch(rows: readonly SummaryRow[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const row of rows) {
    if (row.arm === 'scratch') continue;
    const scratch = rows.find((r) => r.arm === 'scratch' && r.k === row.k);
    if (scratch) out[`${row.arm}@K=${row.k}`] = row.mean > scratch.mean;
  }
  return out;
}

/** Writes table.md, accuracy.svg/png and report.html into `dir`; returns the report path. */
export async function writeExperimentReport(dir: string, results: readonly ExperimentResult[], arms: readonly Arm[], ks: readonly number[], meta: Record<string, unknown>): Promise<string> {
  const rows = summarize(results, arms, ks);
  const table = formatTable(rows, arms, ks);
  writeFileAtomic(join(dir, 'table.md'), table);
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify({ meta, rows, beatsScratch: beatsScratch(rows) }, null, 2)}\n`);
  let chart = '';
  if (rows.length > 0) {
    const spec = barChart({
      rows: rows.map((r) => ({ labels: `K=${r.k}`, method: ARM_TITLES[r.arm], accuracy: r.mean })),
      x: 'labels', y: 'accuracy', color: 'method', title: 'Test accuracy (mean over seeds) by labels per class', yTitle: 'test accuracy', yDomain: [0, 1], labels: '.3f',
    });
    await writeChart(join(dir, 'accuracy'), spec);
    chart = '<img src="accuracy.svg" alt="accuracy by labels per class and method">';
  }
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const htmlRows = table.trim().split('\n').filter((_, i) => i !== 1).map((line, i) => {
    const cells = line.split('|').slice(1, -1).map((c) => escape(c.trim()));
    const tag = i === 0 ? 'th' : 'td';
    return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  });
  const html = [
    '<!DOCTYPE html>', '<html><head><meta charset="utf-8"><title>zerograd few-label experiment</title>',
    '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1000px;margin:24px auto}td,th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>',
    '<h1>Few-label fine-tuning on MNIST</h1>',
    `<p>Test accuracy on the full test split, mean ± sample standard deviation over seeds.</p><table>${htmlRows.join('')}</table>`,
    chart, '<h2>Settings</h2>', `<pre>${escape(JSON.stringify(meta, null, 2))}</pre>`, '</body></html>',
  ].join('\n');
  const path = join(dir, 'report.html');
  writeFileAtomic(path, html);
  return path;
}
