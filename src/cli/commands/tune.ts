// `zerograd tune`: grid or random search over learning rate, batch size, hidden units, dropout
// and weight decay; each candidate is scored by k-fold cross-validation on the TRAINING split.
// Writes results.json, table.md, a chart, report.html and best.json (a spec `train --model` reads).
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { barChart } from '../../report/charts.js';
import { writeFileAtomic } from '../../report/files.js';
import { writeFigures, writeJson, writePage } from '../../tune/page.js';
import { bestSpec, runSearch, type TrialResult } from '../../tune/search.js';
import {
  applyCandidate, checkValues, DEFAULT_SPACE, describeCandidate, gridCandidates, PARAM_FLAGS, randomCandidates, SEARCH_PARAMS, type SearchParam, type SearchSpace,
} from '../../tune/search-space.js';
import { alignedTable, markdownTable, percent, type TextTable } from '../../tune/tables.js';
import { parseInteger } from '../pipeline.js';
import { dataOptions, setupCv, type CvDataFlags } from './cv.js';

/** Flags of `zerograd tune`. */
export interface TuneFlags extends CvDataFlags {
  search: string;
  trials: string;
  lr: string;
  batchSize: string;
  hidden: string;
  dropout: string;
  weightDecay: string;
  out: string;
}

/** Registers the `tune` sub-command. */
export function register(program: Command): void {
  const command = program
    .command('tune')
    .description('Grid or random search over lr, batch size, hidden units, dropout and weight decay, each candidate scored by k-fold CV on the training split; saves the best configuration as a model spec for `zerograd train --model`.');
  dataOptions(command, '3')
    .option('--search <kind>', 'grid (every combination) or random (--trials combinations drawn from the grid)', 'random')
    .option('--trials <n>', 'candidates of a random search', '8')
    .option('--lr <list>', 'learning rates to try; one value fixes it', list(DEFAULT_SPACE.lr))
    .option('--batch-size <list>', 'batch sizes to try', list(DEFAULT_SPACE.batchSize))
    .option('--hidden <list>', "hidden units of the model's hidden Dense layers; 'keep' leaves the model's", list(DEFAULT_SPACE.hidden))
    .option('--dropout <list>', "dropout rates before the Dense layers; 'keep' leaves the model's", list(DEFAULT_SPACE.dropout))
    .option('--weight-decay <list>', 'weight decay (L2 for adam/sgd, decoupled for adamw)', list(DEFAULT_SPACE.weightDecay))
    .option('--out <dir>', 'output folder', 'runs/tune')
    .action(async (flags: TuneFlags) => { await runTune(flags); });
}

function parseList(text: string, param: SearchParam): number[] | undefined {
  if (text.trim() === 'keep') return undefined;
  const values = text.split(',').map((part) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${PARAM_FLAGS[param]}: '${part}' is not a number; expected a comma-separated list such as ${list(DEFAULT_SPACE[param])}`);
    return value;
  });
  return checkValues(param, values);
}

function list(values: readonly number[]): string {
  return values.join(',');
}

/** The space the flags describe. */
export function spaceFromFlags(flags: Pick<TuneFlags, 'lr' | 'batchSize' | 'hidden' | 'dropout' | 'weightDecay'>): SearchSpace {
  const space: SearchSpace = {};
  for (const param of SEARCH_PARAMS) {
    const values = parseList(flags[param], param);
    if (values) space[param] = values;
  }
  return space;
}

/** The ranked results as a table (best first). */
export function resultsTable(ranked: readonly TrialResult[], space: SearchSpace): TextTable {
  const params = SEARCH_PARAMS.filter((p) => space[p] !== undefined);
  const titles: Record<SearchParam, string> = { lr: 'lr', batchSize: 'batch', hidden: 'hidden', dropout: 'dropout', weightDecay: 'weight decay' };
  return {
    header: ['rank', 'trial', ...params.map((p) => titles[p]), 'cv accuracy (mean ± std)', 'cv loss', 'macro F1', 'seconds'],
    rows: ranked.map((r, i) => {
      const { accuracy, loss, macro_f1: f1 } = r.summary.metrics;
      return [
        String(i + 1), String(r.trial), ...params.map((p) => String(r.candidate[p])),
        `${percent(accuracy.mean)} ± ${percent(accuracy.std)}`, loss.mean.toFixed(4), f1.mean.toFixed(4), r.seconds.toFixed(1),
      ];
    }),
  };
}

/** The work of `zerograd tune`. */
export async function runTune(flags: TuneFlags): Promise<void> {
  if (flags.search !== 'grid' && flags.search !== 'random') throw new UsageError(`--search must be grid or random, got '${flags.search}'`);
  const trials = parseInteger(flags.trials, '--trials', 1);
  const space = spaceFromFlags(flags);
  const setup = await setupCv(flags);
  const { spec, folds, seed, data } = setup;
  const candidates = flags.search === 'grid' ? gridCandidates(space) : randomCandidates(space, trials, seed);
  // Check every candidate applies to this model before training anything.
  for (const c of candidates) applyCandidate(spec, c);
  const out = resolve(flags.out);
  const gridSize = gridCandidates(space).length;
  console.log(`tune         ${spec.name}: ${flags.search} search, ${candidates.length} of ${gridSize} combinations, each scored by ${folds}-fold CV on ${data.train.count.toLocaleString('en-US')} training examples (the test split is not used)`);
  console.log(`space        ${SEARCH_PARAMS.filter((p) => space[p]).map((p) => `${PARAM_FLAGS[p].slice(2)} {${space[p]?.join(', ')}}`).join(' · ')}`);
  console.log(`recipe       ${spec.recipe.optimizer}, ${spec.recipe.epochs} epoch${spec.recipe.epochs === 1 ? '' : 's'} per fold · seed ${seed} · ${setup.backend}`);
  const started = performance.now();
  const ranked = await runSearch(spec, data.train, {
    candidates, folds, seed,
    onTrial: (r, n) => {
      const acc = r.summary.metrics.accuracy;
      console.log(`trial ${String(r.trial).padStart(String(n).length)}/${n}  ${describeCandidate(r.candidate).padEnd(52)} cv accuracy ${percent(acc.mean)} ± ${percent(acc.std)}  (${r.seconds.toFixed(1)} s)`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const best = ranked[0];
  const tuned = bestSpec(spec, best, folds, setup.specEpochs);
  const table = resultsTable(ranked, space);
  console.log('');
  console.log(alignedTable(table).trimEnd());

  const settings = { model: spec.name, search: flags.search, trials: candidates.length, gridSize, folds, seed, epochs: spec.recipe.epochs, trainExamples: data.train.count, data: data.description, backend: setup.backend, seconds };
  writeJson(join(out, 'results.json'), { settings, space, results: ranked, best: { trial: best.trial, candidate: best.candidate, summary: best.summary } });
  writeJson(join(out, 'best.json'), tuned);
  writeFileAtomic(join(out, 'table.md'), markdownTable(table));
  const shown = ranked.slice(0, 20);
  const figures = await writeFigures(out, [{
    name: 'trials',
    spec: barChart({
      rows: shown.map((r) => ({ trial: `#${r.trial}`, accuracy: r.summary.metrics.accuracy.mean })), x: 'trial', y: 'accuracy',
      title: `Mean ${folds}-fold CV accuracy per trial, best first`, xTitle: 'trial', yTitle: 'CV accuracy', labels: '.3f',
      yDomain: [Math.max(0, Math.min(...shown.map((r) => r.summary.metrics.accuracy.mean)) - 0.05), 1], width: Math.max(420, 36 * shown.length),
    }),
    caption: `The ${shown.length === ranked.length ? '' : `${shown.length} best of the `}${ranked.length} trials; the table above lists each trial's settings.`,
  }]);
  const page = writePage(out, `zerograd tune: ${spec.name}`, [
    { kind: 'paragraph', text: `${flags.search === 'grid' ? 'Grid' : 'Random'} search: ${candidates.length} of ${gridSize} combinations, each scored by stratified ${folds}-fold cross-validation on ${data.train.count} training examples. The test split was not used; evaluate the best configuration once with zerograd train --model ${join(out, 'best.json')}.` },
    { kind: 'heading', text: 'Results (best first)' }, { kind: 'table', table },
    ...figures,
    { kind: 'heading', text: 'Best configuration (best.json)' }, { kind: 'code', text: JSON.stringify(tuned, null, 2) },
  ]);
  const acc = best.summary.metrics.accuracy;
  console.log('');
  console.log(`best         trial ${best.trial}: ${describeCandidate(best.candidate)}, cv accuracy ${percent(acc.mean)} ± ${percent(acc.std)}`);
  console.log(`saved        ${join(out, 'best.json')} (train it: zerograd train --model ${join(out, 'best.json')}), results.json, table.md, trials.svg; report ${page}`);
}
