// The search space of `zerograd tune`: lists of values for learning rate, batch size, hidden
// units, dropout and weight decay; the grid of their combinations, a seeded random sample of it,
// and `applyCandidate`, which writes one combination into a model spec.
import { Random } from '../data/rng.js';
import { UsageError } from '../errors.js';
import type { ModelSpec } from '../models/recipe.js';
import type { LayerConfig } from '../nn/module.js';

/** The hyper-parameters `tune` can search. */
export type SearchParam = 'lr' | 'batchSize' | 'hidden' | 'dropout' | 'weightDecay';
export const SEARCH_PARAMS: readonly SearchParam[] = ['lr', 'batchSize', 'hidden', 'dropout', 'weightDecay'];

/** The flag that sets each parameter's values. */
export const PARAM_FLAGS: Readonly<Record<SearchParam, string>> = {
  lr: '--lr', batchSize: '--batch-size', hidden: '--hidden', dropout: '--dropout', weightDecay: '--weight-decay',
};

/** Values to try per parameter; a parameter left out keeps the model spec's own value. */
export type SearchSpace = Partial<Record<SearchParam, number[]>>;

/** One point of the space. */
export type Candidate = Partial<Record<SearchParam, number>>;

/** The default space: 3 x 3 x 3 x 2 x 2 = 108 combinations around the seed MLP's recipe. */
export const DEFAULT_SPACE: Readonly<Required<SearchSpace>> = {
  lr: [0.0003, 0.001, 0.003],
  batchSize: [32, 64, 128],
  hidden: [64, 128, 256],
  dropout: [0, 0.2],
  weightDecay: [0, 0.0001],
};

/** Checks one parameter's list (integers for batch size and hidden units, dropout in [0, 1)). */
export function checkValues(param: SearchParam, values: readonly number[]): number[] {
  const flag = PARAM_FLAGS[param];
  if (values.length === 0) throw new UsageError(`${flag}: give at least one value`);
  for (const v of values) {
    const ok = param === 'batchSize' || param === 'hidden' ? Number.isInteger(v) && v >= 1
      : param === 'dropout' ? v >= 0 && v < 1
        : param === 'weightDecay' ? Number.isFinite(v) && v >= 0
          : Number.isFinite(v) && v > 0;
    if (!ok) {
      const expected = { lr: 'positive numbers', batchSize: 'positive integers', hidden: 'positive integers', dropout: 'rates in [0, 1)', weightDecay: 'numbers >= 0' }[param];
      throw new UsageError(`${flag}: expected a comma-separated list of ${expected}, got ${v}`);
    }
  }
  return [...new Set(values)];
}

/** Every combination of the space, in a fixed order (the last parameter varies fastest). */
export function gridCandidates(space: SearchSpace): Candidate[] {
  let candidates: Candidate[] = [{}];
  for (const param of SEARCH_PARAMS) {
    const values = space[param];
    if (!values) continue;
    candidates = candidates.flatMap((c) => values.map((v) => ({ ...c, [param]: v })));
  }
  return candidates;
}

/** `trials` distinct combinations drawn from the grid with a seeded RNG (all of them when fewer). */
export function randomCandidates(space: SearchSpace, trials: number, seed: number): Candidate[] {
  const grid = gridCandidates(space);
  if (trials >= grid.length) return grid;
  const order = new Random(seed).permutation(grid.length);
  return Array.from(order.subarray(0, trials), (i) => grid[i]);
}

/** `lr=0.001 batch=32 hidden=128 dropout=0.2 wd=0` text of a candidate. */
export function describeCandidate(candidate: Candidate): string {
  const short: Record<SearchParam, string> = { lr: 'lr', batchSize: 'batch', hidden: 'hidden', dropout: 'dropout', weightDecay: 'wd' };
  return SEARCH_PARAMS.filter((p) => candidate[p] !== undefined).map((p) => `${short[p]}=${candidate[p]}`).join(' ');
}

// ---- writing a candidate into a spec ----

function isDense(layer: LayerConfig): boolean {
  return layer.type === 'Dense';
}

/** The hidden Dense layers (every Dense but the last) get `units`. */
function setHiddenUnits(layers: LayerConfig[], units: number, specName: string): void {
  const dense = layers.flatMap((layer, i) => (isDense(layer) ? [i] : []));
  if (dense.length < 2) throw new UsageError(`--hidden: model '${specName}' has no hidden Dense layer to resize (it needs a Dense layer before the output layer)`);
  for (const i of dense.slice(0, -1)) layers[i] = { ...layers[i], units };
}

/**
 * Sets the rate of the model's Dropout layers; a model without any gets one before each Dense
 * layer that follows another Dense layer, and before the output layer (for the MLP: after the
 * hidden layer). A rate of 0 on such a model leaves it unchanged.
 */
function setDropout(layers: LayerConfig[], rate: number): LayerConfig[] {
  if (layers.some((l) => l.type === 'Dropout')) return layers.map((l) => (l.type === 'Dropout' ? { ...l, rate } : l));
  if (rate === 0) return layers;
  const lastDense = layers.map(isDense).lastIndexOf(true);
  const out: LayerConfig[] = [];
  let seenDense = false;
  layers.forEach((layer, i) => {
    if (isDense(layer) && (seenDense || i === lastDense)) out.push({ type: 'Dropout', rate });
    if (isDense(layer)) seenDense = true;
    out.push(layer);
  });
  return out;
}

/** A copy of `spec` with the candidate's values written into its architecture and recipe. */
export function applyCandidate(spec: ModelSpec, candidate: Candidate): ModelSpec {
  const out = structuredClone(spec);
  const { recipe } = out;
  if (candidate.lr !== undefined) recipe.lr = candidate.lr;
  if (candidate.batchSize !== undefined) recipe.batchSize = candidate.batchSize;
  if (candidate.weightDecay !== undefined) {
    if (candidate.weightDecay > 0) recipe.weightDecay = candidate.weightDecay;
    else delete recipe.weightDecay;
  }
  const layersOf = (): LayerConfig[] => {
    const layers = out.architecture.layers;
    if (!Array.isArray(layers)) throw new UsageError(`model '${spec.name}': the architecture has no layer list to change`);
    return layers as LayerConfig[];
  };
  if (candidate.hidden !== undefined) setHiddenUnits(layersOf(), candidate.hidden, spec.name);
  if (candidate.dropout !== undefined) out.architecture = { ...out.architecture, layers: setDropout(layersOf(), candidate.dropout) };
  return out;
}
