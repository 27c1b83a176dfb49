// A saved model is a folder: model.safetensors (F32 weights by dotted name), config.json
// (format version, architecture, preprocessing, class names, recipe) and metrics.json.
// Saving writes every file under a temporary name first, then renames them; loading checks
// everything before a single weight is copied, so a bad folder never yields a half-loaded model.
// Only regular files are read (never more than their stat size); every fs error names its path.
import { builtin } from '../platform/node.js';
import { DataError, ZerogradError } from '../errors.js';
import type { Recipe } from '../models/recipe.js';
import type { Sequential } from '../nn/layers/sequential.js';
import type { LayerConfig } from '../nn/module.js';
import {
  checkModelConfig, CONFIG_FILE, METRICS_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION, modelFromParts, WEIGHTS_FILE,
  type LoadedModel, type ModelConfig, type Preprocessing,
} from './model-config.js';
import { describeFsError, readRegularFile } from '../data/files.js';
import { decodeSafetensors, safetensorsParts, type NamedArray } from './safetensors.js';

const { closeSync, existsSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } = builtin('fs');
const { join } = builtin('path');

// The file-free half (config checks, building, weight loading) lives in model-config.ts so that
// browsers can load models too; it is re-exported here for existing imports.
export * from './model-config.js';

/** What to store beside the weights. */
export interface SaveInfo {
  name?: string;
  preprocessing: Preprocessing;
  classNames: readonly string[];
  data?: string;
  recipe?: Recipe;
}

/** The model's parameters and buffers as F32 arrays, by dotted name. */
export function modelTensors(model: Sequential): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of model.stateDict()) out.set(name, { dtype: 'F32', shape: [...t.shape], values: Float32Array.from(t.data()) });
  return out;
}

/**
 * Writes several files into `dir` so that each appears whole: all to temp names, then all renamed.
 * A failure (ENOSPC, EACCES, EISDIR, a missing folder...) removes the temp files and throws a
 * ZerogradError naming the path.
 */
export function writeFilesAtomic(dir: string, files: Record<string, Uint8Array | string | readonly Uint8Array[]>): void {
  const suffix = `.${process.pid}.${Date.now().toString(36)}.tmp`;
  const pending = new Set<string>();
  const cleanUp = (): void => {
    for (const name of pending) try { unlinkSync(join(dir, name + suffix)); } catch { /* already gone */ }
  };
  for (const [name, data] of Object.entries(files)) {
    try {
      pending.add(name);
      if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(join(dir, name + suffix), data);
      else writeParts(join(dir, name + suffix), data);
    } catch (err) {
      cleanUp();
      throw new ZerogradError(`${join(dir, name)}: cannot write (${describeFsError(err)})`);
    }
  }
  for (const name of Object.keys(files)) {
    try {
      renameSync(join(dir, name + suffix), join(dir, name));
      pending.delete(name);
    } catch (err) {
      cleanUp();
      throw new ZerogradError(`${join(dir, name)}: cannot replace it with the new file (${describeFsError(err)})`);
    }
  }
}

/** Writes `parts` one after another into a new file at `path` (no buffer of the whole file). */
function writeParts(path: string, parts: readonly Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const part of parts) for (let at = 0; at < part.length;) at += writeSync(fd, part, at, part.length - at);
  } finally {
    closeSync(fd);
  }
}

/** Saves `model` into the folder `dir` (which must exist): weights, config and optionally metrics. */
export function saveModel(dir: string, model: Sequential, info: SaveInfo, metrics?: unknown): ModelConfig {
  if (model.inputShape === null) throw new ZerogradError('saveModel: the model has no input shape; build it first');
  const config = folderConfig(model.config(), model.inputShape, info);
  writeModelFolder(dir, config, modelTensors(model), metrics);
  return config;
}

/** config.json's contents for an architecture (a Sequential config), its input shape and `info`. */
export function folderConfig(architecture: LayerConfig, inputShape: readonly number[], info: SaveInfo): ModelConfig {
  return {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    ...(info.name ? { name: info.name } : {}),
    architecture,
    inputShape: [...inputShape],
    preprocessing: info.preprocessing,
    classNames: [...info.classNames],
    ...(info.data ? { data: info.data } : {}),
    ...(info.recipe ? { recipe: info.recipe } : {}),
  };
}

/** Writes a model folder from its config and F32 weights by dotted name (each file under a temp name, then renamed; the weights in parts). */
export function writeModelFolder(dir: string, config: ModelConfig, tensors: Map<string, NamedArray>, metrics?: unknown): void {
  const files: Record<string, Uint8Array | string | Uint8Array[]> = {
    [WEIGHTS_FILE]: safetensorsParts(tensors, { format: 'pt' }),
    [CONFIG_FILE]: `${JSON.stringify(config, null, 2)}\n`,
  };
  if (metrics !== undefined) files[METRICS_FILE] = `${JSON.stringify(metrics, null, 2)}\n`;
  writeFilesAtomic(dir, files);
}

/** The most bytes read from config.json or metrics.json: far above any real one, far below memory. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

function readJson(path: string): unknown {
  const text = readRegularFile(path, 'a JSON file', MAX_JSON_BYTES).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Loads a model folder written by saveModel. Throws a DataError naming the file and the problem
 * (config.json fields, safetensors layout, NaN or infinite weights, non-regular files); never
 * returns a partly loaded model.
 */
export function loadModel(dir: string): LoadedModel {
  if (!existsSync(dir)) throw new DataError(`${dir}: model folder not found`);
  if (!statSync(dir).isDirectory()) throw new DataError(`${dir}: is not a folder; expected a model folder with ${CONFIG_FILE} and ${WEIGHTS_FILE}`);
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(configPath)) throw new DataError(`${dir}: not a model folder (no ${CONFIG_FILE})`);
  if (!existsSync(weightsPath)) throw new DataError(`${dir}: no ${WEIGHTS_FILE} beside ${CONFIG_FILE}`);
  const config = checkModelConfig(readJson(configPath), configPath);
  const model = modelFromParts(config, decodeSafetensors(readRegularFile(weightsPath, 'model weights (safetensors)'), weightsPath).tensors, configPath, weightsPath);
  const metricsPath = join(dir, METRICS_FILE);
  const metrics = existsSync(metricsPath) ? readJson(metricsPath) : null;
  return { model, config, metrics };
}

/** The raw config.json and model.safetensors bytes of a folder (regular files only, bounded reads). */
export function readModelFolderFiles(dir: string): { config: Buffer; weights: Buffer } {
  return { config: readRegularFile(join(dir, CONFIG_FILE), 'a JSON file', MAX_JSON_BYTES), weights: readRegularFile(join(dir, WEIGHTS_FILE), 'model weights (safetensors)') };
}
