// The file-system-free half of model folders: config.json's shape and checks, building the model and
// copying weights in (all or nothing). Browser-safe; model-folder.ts adds reading and writing folders.
import type { Layout, Normalization } from '../data/dataset.js';
import { checkNormalization } from '../data/normalize.js';
import { ZerogradError } from '../errors.js';
import { buildModel } from '../models/build.js';
import type { Recipe } from '../models/recipe.js';
import type { LayerConfig } from '../nn/module.js';
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

/** Validates config.json contents; every message names the file and the field. */
export function checkModelConfig(value: unknown, where: string): ModelConfig {
  const c = value as Partial<ModelConfig> | null;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new ZerogradError(`${where}: expected a JSON object`);
  if (c.format !== MODEL_FORMAT) throw new ZerogradError(`${where}: format is ${JSON.stringify(c.format)}, expected "${MODEL_FORMAT}" (not a zerograd model folder?)`);
  if (typeof c.version !== 'number' || !Number.isInteger(c.version) || c.version < 1) {
    throw new ZerogradError(`${where}: version must be a positive integer, got ${JSON.stringify(c.version)}`);
  }
  if (c.version > MODEL_FORMAT_VERSION) {
    throw new ZerogradError(`${where}: format version ${c.version} was written by a newer zerograd; this one reads up to version ${MODEL_FORMAT_VERSION} (upgrade zerograd)`);
  }
  if (typeof c.architecture !== 'object' || c.architecture === null) throw new ZerogradError(`${where}: 'architecture' must be a layer config object`);
  if (!Array.isArray(c.inputShape) || !c.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ZerogradError(`${where}: 'inputShape' must be a list of positive integers, got ${JSON.stringify(c.inputShape)}`);
  }
  const p = c.preprocessing as Partial<Preprocessing> | undefined;
  if (typeof p !== 'object' || p === null) throw new ZerogradError(`${where}: 'preprocessing' must be an object { normalization, layout, rows, cols }`);
  const normalization = checkNormalization(p.normalization, `${where}: preprocessing.normalization`);
  if (p.layout !== 'flat' && p.layout !== 'image') throw new ZerogradError(`${where}: preprocessing.layout must be 'flat' or 'image', got ${JSON.stringify(p.layout)}`);
  if (!Number.isInteger(p.rows) || !Number.isInteger(p.cols)) throw new ZerogradError(`${where}: preprocessing.rows and .cols must be integers`);
  if (!Array.isArray(c.classNames) || !c.classNames.every((n) => typeof n === 'string')) {
    throw new ZerogradError(`${where}: 'classNames' must be a list of strings`);
  }
  return { ...(c as ModelConfig), preprocessing: { normalization, layout: p.layout, rows: p.rows as number, cols: p.cols as number } };
}

/**
 * Builds the model of a checked config and loads `tensors` into it; `configWhere`/`weightsWhere`
 * name the sources in errors. The caller's random stream is left as it was.
 */
export function modelFromParts(config: ModelConfig, tensors: ReadonlyMap<string, NamedArray>, configWhere: string, weightsWhere: string): Sequential {
  // Building draws initial weights; keep the caller's random stream as it was.
  const rngState = globalRandom().getState();
  let model: Sequential;
  try {
    model = buildModel({ ...config.architecture, inputShape: config.inputShape }, `${configWhere}: architecture`);
  } finally {
    globalRandom().setState(rngState);
  }
  const outputs = model.outputShape(config.inputShape);
  if (outputs.length !== 1 || outputs[0] !== config.classNames.length) {
    throw new ZerogradError(`${configWhere}: the architecture outputs (${outputs.join(', ')}) but there are ${config.classNames.length} class names`);
  }
  loadWeights(model, tensors, weightsWhere);
  return model;
}

/** Checks names, dtypes and shapes of `tensors` against the model, then copies them in (all or nothing). */
export function loadWeights(model: Sequential, tensors: ReadonlyMap<string, NamedArray>, where: string, allowedDTypes: readonly string[] = ['F32']): void {
  const own = model.stateDict();
  const missing = [...own.keys()].filter((k) => !tensors.has(k));
  const extra = [...tensors.keys()].filter((k) => !own.has(k));
  if (missing.length > 0) throw new ZerogradError(`${where}: missing tensors ${missing.join(', ')} (the architecture expects them)`);
  if (extra.length > 0) throw new ZerogradError(`${where}: unexpected tensors ${extra.join(', ')} (not in the architecture)`);
  for (const [name, target] of own) {
    const source = tensors.get(name) as NamedArray;
    if (!allowedDTypes.includes(source.dtype)) throw new ZerogradError(`${where}: tensor '${name}' is ${source.dtype}, expected ${allowedDTypes.join(' or ')}`);
    if (source.shape.length !== target.shape.length || source.shape.some((d, i) => d !== target.shape[i])) {
      throw new ZerogradError(`${where}: tensor '${name}' has shape ${formatShape(source.shape)}, the architecture expects ${formatShape(target.shape)}`);
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
