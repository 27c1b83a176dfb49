// A model spec = architecture (a Sequential config) + training recipe (optimizer, learning rate,
// batch size, epochs, schedule, augmentation, preprocessing). Presets and `--model FILE.json`
// share this shape; `checkModelSpec` validates JSON read from a file with messages that name the field.
import type { AugmentOptions } from '../data/augment.js';
import { UsageError } from '../errors.js';
import type { LayerConfig } from '../nn/module.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ScheduleConfig } from '../optim/schedules.js';
import { SGD } from '../optim/sgd.js';
import type { Tensor } from '../tensor/tensor.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'sgd'];

/** How to train a model: everything `zerograd train` needs besides the data. */
export interface Recipe {
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  epochs: number;
  weightDecay?: number;
  /** SGD only. */
  momentum?: number;
  nesterov?: boolean;
  /** Learning-rate schedule over the whole run (default constant). */
  schedule?: ScheduleConfig;
  /** On-the-fly augmentation of training batches (null/absent = none). */
  augment?: AugmentOptions | null;
  /** Clip the global gradient norm to this value. */
  clipNorm?: number;
  /** Pixel normalization fitted on the train split: x/255 ('scale') or standardized. */
  normalize: 'scale' | 'standardize';
  /** Fraction of the training set held out for validation (default none). */
  validationSplit?: number;
}

/** A named architecture plus its recipe. */
export interface ModelSpec {
  name: string;
  description?: string;
  /** A Sequential config with `inputShape`, e.g. [1, 28, 28]. */
  architecture: LayerConfig;
  recipe: Recipe;
}

/** The optimizer a recipe names, over `params`. */
export function createOptimizer(recipe: Recipe, params: readonly Tensor[]): Optimizer {
  const weightDecay = recipe.weightDecay ?? 0;
  switch (recipe.optimizer) {
    case 'adam': return new Adam(params, { lr: recipe.lr, weightDecay });
    case 'adamw': return new AdamW(params, { lr: recipe.lr, weightDecay: recipe.weightDecay });
    case 'sgd': return new SGD(params, { lr: recipe.lr, momentum: recipe.momentum ?? 0, nesterov: recipe.nesterov ?? false, weightDecay });
    default: throw new UsageError(`unknown optimizer '${String(recipe.optimizer)}'; expected ${OPTIMIZER_NAMES.join(', ')}`);
  }
}

// ---- validation of JSON read from files ----

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positive(value: unknown, where: string, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${where} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalNumber(value: unknown, where: string, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${where} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

const SCHEDULE_TYPES = ['constant', 'step', 'cosine', 'onecycle'];

/** Checks a recipe object; `where` names it in messages (e.g. 'model.json recipe'). */
export function checkRecipe(value: unknown, where = 'recipe'): Recipe {
  if (!isObject(value)) throw new UsageError(`${where} must be an object`);
  const optimizer = value.optimizer ?? 'adam';
  if (typeof optimizer !== 'string' || !OPTIMIZER_NAMES.includes(optimizer as OptimizerName)) {
    throw new UsageError(`${where}.optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${JSON.stringify(optimizer)}`);
  }
  const normalize = value.normalize ?? 'standardize';
  if (normalize !== 'scale' && normalize !== 'standardize') throw new UsageError(`${where}.normalize must be 'scale' or 'standardize', got ${JSON.stringify(normalize)}`);
  const schedule = value.schedule;
  if (schedule !== undefined && (!isObject(schedule) || !SCHEDULE_TYPES.includes(String(schedule.type)))) {
    throw new UsageError(`${where}.schedule must be an object with type ${SCHEDULE_TYPES.join(' | ')}, got ${JSON.stringify(schedule)}`);
  }
  const augment = value.augment;
  if (augment !== undefined && augment !== null && augment !== false && !isObject(augment)) {
    throw new UsageError(`${where}.augment must be an object of augmentation ranges, or null`);
  }
  const recipe: Recipe = {
    optimizer: optimizer as OptimizerName,
    lr: positive(value.lr ?? 0.001, `${where}.lr`, false),
    batchSize: positive(value.batchSize ?? 32, `${where}.batchSize`, true),
    epochs: positive(value.epochs ?? 5, `${where}.epochs`, true),
    normalize,
  };
  const weightDecay = optionalNumber(value.weightDecay, `${where}.weightDecay`, 0);
  const momentum = optionalNumber(value.momentum, `${where}.momentum`, 0, 1);
  const clipNorm = optionalNumber(value.clipNorm, `${where}.clipNorm`, 0);
  const validationSplit = optionalNumber(value.validationSplit, `${where}.validationSplit`, 0, 0.99);
  if (weightDecay !== undefined) recipe.weightDecay = weightDecay;
  if (momentum !== undefined) recipe.momentum = momentum;
  if (value.nesterov !== undefined) recipe.nesterov = value.nesterov === true;
  if (schedule !== undefined) recipe.schedule = schedule as unknown as ScheduleConfig;
  if (isObject(augment)) recipe.augment = augment as AugmentOptions;
  if (clipNorm !== undefined && clipNorm > 0) recipe.clipNorm = clipNorm;
  if (validationSplit !== undefined && validationSplit > 0) recipe.validationSplit = validationSplit;
  return recipe;
}

/**
 * Checks a model spec read from JSON: `{ name?, architecture: {type: 'Sequential', ...}, recipe? }`,
 * or a bare Sequential config (then the default recipe applies).
 */
export function checkModelSpec(value: unknown, where: string, fallbackName: string): ModelSpec {
  if (!isObject(value)) throw new UsageError(`${where}: expected a JSON object with 'architecture' and 'recipe'`);
  const architecture = value.type === 'Sequential' ? value : value.architecture;
  if (!isObject(architecture) || architecture.type !== 'Sequential' || !Array.isArray(architecture.layers)) {
    throw new UsageError(`${where}: 'architecture' must be a Sequential config { "type": "Sequential", "inputShape": [1, 28, 28], "layers": [...] }`);
  }
  const inputShape = architecture.inputShape;
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new UsageError(`${where}: architecture.inputShape must be a list of positive integers such as [1, 28, 28] or [784], got ${JSON.stringify(inputShape)}`);
  }
  const recipe = checkRecipe(value.type === 'Sequential' ? {} : (value.recipe ?? {}), `${where} recipe`);
  const name = typeof value.name === 'string' && value.type !== 'Sequential' ? value.name : fallbackName;
  return {
    name,
    ...(typeof value.description === 'string' ? { description: value.description } : {}),
    architecture: architecture as LayerConfig,
    recipe,
  };
}
