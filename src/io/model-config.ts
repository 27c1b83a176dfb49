// The file-system-free half of model folders: config.json's shape and checks, building the model and
// copying weights in (all or nothing). Browser-safe; model-folder.ts adds reading and writing folders.
import type { Layout, Normalization } from '../data/dataset.js';
import { checkNormalization } from '../data/normalize.js';
import { DataError, ZerogradError } from '../errors.js';
import { buildModel } from '../models/build.js';
import type { Recipe } from '../models/recipe.js';
import type { LayerConfig, Module } from '../nn/module.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { tensor } from '../ops/create.js';
import { globalRandom } from '../tensor/engine.js';
import { formatShape } from '../tensor/shape.js';
import type { NamedArray } from './safetensors.js';

export const MODEL_FORMAT = 'zerograd-model';
export const MODEL_FORMAT_VERSION = 1;
export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.json';

/** How raw 0-255 pixels become the model's input. */
export interface Preprocessing {
  normalization: Normalization;
  layout: Layout;
  rows: number;
  cols: number;
  /**
   * Per-channel statistics the model was pretrained with, on 0-1 pixels (imported models; optional, newer
   * folders only): `normalization` holds their channel averages, finetune --from uses these.
   */
  channelStats?: ChannelStats;
}

/** One mean and one standard deviation per input channel, on 0-1 pixels. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Contents of config.json. */
export interface ModelConfig {
  format: typeof MODEL_FORMAT;
  version: number;
  name?: string;
  /** The Sequential config (with inputShape). */
  architecture: LayerConfig;
  inputShape: number[];
  preprocessing: Preprocessing;
  classNames: string[];
  /** The data source the model was trained on, e.g. 'mnist'. */
  data?: string;
  recipe?: Recipe;
}

/** A loaded model folder. */
export interface LoadedModel {
  model: Sequential;
  config: ModelConfig;
  /** metrics.json, when the folder has one. */
  metrics: unknown;
}

/** Validates config.json contents; every problem is a DataError naming the file and the field. */
export function checkModelConfig(value: unknown, where: string): ModelConfig {
  const fail = (message: string): never => { throw new DataError(`${where}: ${message}`); };
  const c = value as Partial<ModelConfig> | null;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail(`expected a JSON object, got ${describe(value)}`);
  const config = c as Partial<ModelConfig>;
  if (config.format !== MODEL_FORMAT) fail(`format is ${describe(config.format)}, expected "${MODEL_FORMAT}" (not a zerograd model folder?)`);
  if (typeof config.version !== 'number' || !Number.isInteger(config.version) || config.version < 1) {
    fail(`version must be a positive integer, got ${describe(config.version)}`);
  }
  if ((config.version as number) > MODEL_FORMAT_VERSION) {
    fail(`format version ${config.version} was written by a newer zerograd; this one reads up to version ${MODEL_FORMAT_VERSION} (upgrade zerograd)`);
  }
  if (config.name !== undefined && typeof config.name !== 'string') fail(`'name' must be a string, got ${describe(config.name)}`);
  if (config.data !== undefined && typeof config.data !== 'string') fail(`'data' must be a string, got ${describe(config.data)}`);
  if (config.recipe !== undefined && (typeof config.recipe !== 'object' || config.recipe === null || Array.isArray(config.recipe))) fail(`'recipe' must be an object, got ${describe(config.recipe)}`);
  if (typeof config.architecture !== 'object' || config.architecture === null || Array.isArray(config.architecture)) {
    fail(`'architecture' must be a layer config object, got ${describe(config.architecture)}`);
  }
  if (!Array.isArray(config.inputShape) || config.inputShape.length === 0 || !config.inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    fail(`'inputShape' must be a non-empty list of positive integers, got ${describe(config.inputShape)}`);
  }
  const p = config.preprocessing as Partial<Preprocessing> | undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) fail(`'preprocessing' must be an object { normalization, layout, rows, cols }, got ${describe(p)}`);
  const pre = p as Partial<Preprocessing>;
  const normalization = checkNormalization(pre.normalization, `${where}: preprocessing.normalization`); // a DataError
  if (pre.layout !== 'flat' && pre.layout !== 'image') fail(`preprocessing.layout must be 'flat' or 'image', got ${describe(pre.layout)}`);
  for (const key of ['rows', 'cols'] as const) {
    if (!Number.isSafeInteger(pre[key]) || (pre[key] as number) < 1) fail(`preprocessing.${key} must be a positive integer, got ${describe(pre[key])}`);
  }
  const stats = pre.channelStats;
  if (stats !== undefined) {
    const okList = (v: unknown, positive: boolean) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (typeof stats !== 'object' || stats === null || !okList(stats.mean, false) || !okList(stats.std, true) || stats.mean.length !== stats.std.length) {
      fail(`preprocessing.channelStats must be { mean: [numbers], std: [positive numbers] } of equal lengths, got ${describe(stats)}`);
    }
  }
  if (!Array.isArray(config.classNames) || config.classNames.length === 0 || !config.classNames.every((n) => typeof n === 'string')) {
    fail(`'classNames' must be a non-empty list of strings, got ${describe(config.classNames)}`);
  }
  return { ...(config as ModelConfig), preprocessing: { normalization, layout: pre.layout as Layout, rows: pre.rows as number, cols: pre.cols as number, ...(stats ? { channelStats: { mean: [...stats.mean], std: [...stats.std] } } : {}) } };
}

/** A value for an error message: JSON, shortened. */
function describe(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Refuses NaN and infinite weights, naming the first bad tensor, its first bad index and the file. */
export function checkFinite(tensors: ReadonlyMap<string, NamedArray>, where: string): void {
  for (const [name, array] of tensors) {
    if (array.dtype === 'I32') continue;
    const values = array.values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v - v !== 0) { // NaN or ±Infinity
        let bad = 0;
        for (let j = i; j < values.length; j++) if (values[j] - values[j] !== 0) bad++;
        throw new DataError(`${where}: tensor '${name}' holds ${bad} non-finite value${bad === 1 ? '' : 's'} (first: ${v} at index ${i}); the weights are corrupt or training diverged`);
      }
    }
  }
}

/**
 * Builds the model of a checked config and loads `tensors` into it; `configWhere`/`weightsWhere`
 * name the sources in errors (all DataErrors). NaN or infinite weights are refused before building.
 * The caller's random stream is left as it was.
 */
export function modelFromParts(config: ModelConfig, tensors: ReadonlyMap<string, NamedArray>, configWhere: string, weightsWhere: string): Sequential {
  checkFinite(tensors, weightsWhere);
  // Building draws initial weights; keep the caller's random stream as it was.
  const rngState = globalRandom().getState();
  let model: Sequential;
  let outputs: number[];
  try {
    model = buildModel({ ...config.architecture, inputShape: config.inputShape }, `${configWhere}: architecture`);
    outputs = model.outputShape(config.inputShape);
  } catch (err) {
    // Whatever stops an architecture from building is a problem of config.json.
    if (err instanceof DataError) throw err;
    if (err instanceof ZerogradError) throw new DataError(err.message.startsWith(configWhere) ? err.message : `${configWhere}: architecture: ${err.message}`);
    throw new DataError(`${configWhere}: architecture cannot be built (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`);
  } finally {
    globalRandom().setState(rngState);
  }
  if (outputs.length !== 1 || outputs[0] !== config.classNames.length) {
    throw new DataError(`${configWhere}: the architecture outputs (${outputs.join(', ')}) but there are ${config.classNames.length} class names`);
  }
  loadWeights(model, tensors, weightsWhere);
  return model;
}

/** Checks names, dtypes and shapes of `tensors` against the model, then copies them in (all or nothing). */
export function loadWeights(model: Module, tensors: ReadonlyMap<string, NamedArray>, where: string, allowedDTypes: readonly string[] = ['F32']): void {
  const own = model.stateDict();
  const missing = [...own.keys()].filter((k) => !tensors.has(k));
  const extra = [...tensors.keys()].filter((k) => !own.has(k));
  if (missing.length > 0) throw new DataError(`${where}: missing tensors ${missing.join(', ')} (the architecture expects them)`);
  if (extra.length > 0) throw new DataError(`${where}: unexpected tensors ${extra.join(', ')} (not in the architecture)`);
  for (const [name, target] of own) {
    const source = tensors.get(name) as NamedArray;
    if (!allowedDTypes.includes(source.dtype)) throw new DataError(`${where}: tensor '${name}' is ${source.dtype}, expected ${allowedDTypes.join(' or ')}`);
    if (source.shape.length !== target.shape.length || source.shape.some((d, i) => d !== target.shape[i])) {
      throw new DataError(`${where}: tensor '${name}' has shape ${formatShape(source.shape)}, the architecture expects ${formatShape(target.shape)}`);
    }
  }
  const state = new Map([...own].map(([name, target]) => {
    const source = tensors.get(name) as NamedArray;
    return [name, tensor(source.values, { shape: source.shape, backend: target.backend })] as const;
  }));
  try {
    model.loadStateDict(state);
  } finally {
    for (const t of state.values()) t.dispose();
  }
}

/** The model's parameters and buffers as F32 arrays, by dotted name (what model.safetensors holds). */
export function modelTensors(model: Module): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of model.stateDict()) out.set(name, { dtype: 'F32', shape: [...t.shape], values: Float32Array.from(t.data()) });
  return out;
}
