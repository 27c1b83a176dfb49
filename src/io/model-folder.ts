// A saved model is a folder: model.safetensors (F32 weights by dotted name), config.json
// (format version, architecture, preprocessing, class names, recipe) and metrics.json.
// Saving writes every file under a temporary name first, then renames them; loading checks
// everything before a single weight is copied, so a bad folder never yields a half-loaded model.
import { existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors.js';

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

/** What to store beside the weights. */
export interface SaveInfo {
  name?: string;
  preprocessing: Preprocessing;
  classNames: readonly string[];
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

/** The model's parameters and buffers as F32 arrays, by dotted name. */
export function modelTensors(model: Sequential): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of model.stateDict()) out.set(name, { dtype: 'F32', shape: [...t.shape], values: Float32Array.from(t.data()) });
  return out;
}

/** Writes several files into `dir` so that each appears whole: all to temp names, then all renamed. */
export function writeFilesAtomic(dir: string, files: Record<string, Uint8Array | string>): void {
  const suffix = `.${process.pid}.${Date.now().toString(36)}.tmp`;
  const written: string[] = [];
  try {
    for (const [name, data] of Object.entries(files)) {
      writeFileSync(join(dir, name + suffix), data);
      written.push(name);
    }
  } catch (err) {
    for (const name of written) try { unlinkSync(join(dir, name + suffix)); } catch { /* already gone */ }
    throw err;
  }
  for (const name of written) renameSync(join(dir, name + suffix), join(dir, name));
}

/** Saves `model` into the folder `dir` (which must exist): weights, config and optionally metrics. */
export function saveModel(dir: string, model: Sequential, info: SaveInfo, metrics?: unknown): ModelConfig {
  if (model.inputShape === null) throw new ZerogradError('saveModel: the model has no input shape; build it first');
  const config: ModelConfig = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    ...(info.name ? { name: info.name } : {}),
    architecture: model.config(),
    inputShape: [...model.inputShape],
    preprocessing: info.preprocessing,
    classNames: [...info.classNames],
    ...(info.data ? { data: info.data } : {}),
    ...(info.recipe ? { recipe: info.recipe } : {}),
  };
  const files: Record<string, Uint8Array | string> = {
    [WEIGHTS_FILE]: encodeSafetensors(modelTensors(model), { format: 'pt' }),
    [CONFIG_FILE]: `${JSON.stringify(config, null, 2)}\n`,
  };
  if (metrics !== undefined) files[METRICS_FILE] = `${JSON.stringify(metrics, null, 2)}\n`;
  writeFilesAtomic(dir, files);
  return config;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZerogradError(`${path}: cannot read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ZerogradError(`${path}: not valid JSON (${(err as Error).message})`);
  }
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

/** Loads a model folder written by saveModel. Throws ZerogradError naming the problem; never returns a partly loaded model. */
export function loadModel(dir: string): LoadedModel {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ZerogradError(`${dir}: model folder not found`);
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(configPath)) throw new ZerogradError(`${dir}: not a model folder (no ${CONFIG_FILE})`);
  if (!existsSync(weightsPath)) throw new ZerogradError(`${dir}: no ${WEIGHTS_FILE} beside ${CONFIG_FILE}`);
  const config = checkModelConfig(readJson(configPath), configPath);
  // Building draws initial weights; keep the caller's random stream as it was.
  const rngState = globalRandom().getState();
  let model: Sequential;
  try {
    model = buildModel({ ...config.architecture, inputShape: config.inputShape }, `${configPath}: architecture`);
  } finally {
    globalRandom().setState(rngState);
  }
  const outputs = model.outputShape(config.inputShape);
  if (outputs.length !== 1 || outputs[0] !== config.classNames.length) {
    throw new ZerogradError(`${configPath}: the architecture outputs (${outputs.join(', ')}) but there are ${config.classNames.length} class names`);
  }
  const file = decodeSafetensors(readFileSync(weightsPath), weightsPath);
  loadWeights(model, file.tensors, weightsPath);
  const metricsPath = join(dir, METRICS_FILE);
  const metrics = existsSync(metricsPath) ? readJson(metricsPath) : null;
  return { model, config, metrics };
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
