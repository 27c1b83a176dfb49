// `zerograd experiment finetune`: from scratch vs full / head / lora fine-tuning at K = 1, 10, 100
// labels per class over 3 seeds, on the full test split; table (mean ± std), plot and report.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../../errors.js';
import { beatsScratch, formatTable, runExperiment, summarize, writeExperimentReport } from '../../../finetune/experiment.js';
import { loadBackboneFolder, type Arm } from '../../../finetune/finetune-run.js';
import { activateBackend, parseInteger, prepareData } from '../../pipeline.js';
import { SHIPPED_BACKBONE } from '../finetune.js';

/** Flags of `zerograd experiment finetune`. */
export interface ExperimentFinetuneFlags {
  from: string;
  out: string;
  ks: string;
  seeds: string;
  arms: string;
  steps?: string;
  batchSize: string;
  limit?: string;
  quick?: boolean;
  backend: string;
  threads?: string;
}

function parseList(text: string, flag: string): number[] {
  return text.split(',').map((part) => parseInteger(part.trim(), flag, 0));
}

/** Adds `finetune` under `zerograd experiment`. */
export function builder(parent: Command): void {
  parent
    .command('finetune')
    .description('From scratch vs each fine-tuning strategy at K labels per class over seeds; writes results.json, table.md, accuracy.svg and report.html.')
    .option('--from <dir>', 'pretrained backbone folder', SHIPPED_BACKBONE)
    .option('--out <dir>', 'experiment folder (a rerun skips cells already in its results.json)', 'runs/experiment-finetune')
    .option('--ks <list>', 'labels per class', '1,10,100')
    .option('--seeds <list>', 'seeds', '0,1,2')
    .option('--arms <list>', 'scratch, full, head, lora', 'scratch,full,head,lora')
    .option('--steps <n>', 'optimizer steps per cell (default: by the labeled set size, 150-500)')
    .option('--batch-size <n>', 'examples per step', '64')
    .option('--limit <n>', 'use only the first N training and N test images')
    .option('--quick', 'CI-sized: K 1,10, seeds 0,1, 20 steps, 2,000 training and 1,000 test images')
    .option('--backend <name>', 'wasm or cpu', 'wasm')
    .option('--threads <n>', 'worker threads of the wasm backend (default: all cores)')
    .action(async (flags: ExperimentFinetuneFlags) => { await runExperimentFinetune(flags); });
}

/** The work of `zerograd experiment finetune`. */
export async function runExperimentFinetune(flags: ExperimentFinetuneFlags): Promise<void> {
  const arms = flags.arms.split(',').map((a) => a.trim()) as Arm[];
  const unknown = arms.find((a) => !['scratch', 'full', 'head', 'lora'].includes(a));
  if (unknown !== undefined) throw new UsageError(`--arms: unknown method '${unknown}'; expected scratch, full, head, lora`);
  const ks = flags.quick ? [1, 10] : parseList(flags.ks, '--ks');
  const seeds = flags.quick ? [0, 1] : parseList(flags.seeds, '--seeds');
  if (ks.some((k) => k < 1)) throw new UsageError(`--ks: labels per class must be >= 1, got ${flags.ks}`);
  const steps = flags.quick ? 20 : flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1);
  const limit = flags.quick ? 2000 : flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 10);
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  const out = resolve(flags.out);
  const from = loadBackboneFolder(resolve(flags.from));
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  const backend = await activateBackend(flags.backend, threads);
  const data = prepareData('mnist', { normalize: from.preprocessing.normalization, layout: 'image', limit });
  const test = flags.quick ? { ...data.test, count: Math.min(1000, data.test.count) } : data.test;
  console.log(`experiment   ${arms.join(', ')} × K ${ks.join(', ')} × seeds ${seeds.join(', ')}; backbone ${from.dir}; test ${test.count.toLocaleString('en-US')} images · ${backend} · ${out}`);
  const started = performance.now();
  const results = await runExperiment(from, data.train, test, { arms, ks, seeds, batchSize, ...(steps === undefined ? {} : { steps }) }, out);
  const meta = { from: from.dir, backbone: from.config.name ?? null, arms, ks, seeds, batchSize, steps: steps ?? 'default (150-500 by set size)', limit: limit ?? null, testCount: test.count, backend, seconds: (performance.now() - started) / 1000 };
  const report = await writeExperimentReport(out, results, arms, ks, meta);
  const rows = summarize(results, arms, ks);
  console.log('');
  console.log(formatTable(rows, arms, ks).trimEnd());
  const beats = beatsScratch(rows);
  const losses = Object.entries(beats).filter(([, ok]) => !ok).map(([cell]) => cell);
  console.log('');
  console.log(losses.length === 0 ? 'fine-tuned beats from-scratch in every cell' : `from-scratch is as good or better at: ${losses.join(', ')}`);
  console.log(`report       ${report}`);
}
