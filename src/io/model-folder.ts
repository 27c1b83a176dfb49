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
  checkModelConfig, CONFIG_FILE, METRICS_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION, modelFromParts, modelTensors, WEIGHTS_FILE,
  type LoadedModel, type ModelConfig, type Preprocessing,
} from './model-config.js';
import { describeFsError, readRegularFile } from '../data/files.js';
import { decodeSafetensors, safetensorsParts, type NamedArray } from './safetensors.js';
import { readZipEntries, zipEntryData } from './zip.js';

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

/** A model folder's files as bytes, read from the folder or from a zip of it (metrics optional). */
export interface ModelFiles {
  config: Uint8Array;
  weights: Uint8Array;
  metrics: Uint8Array | null;
  /** Where each file came from, for error messages: the folder, or 'archive.zip:folder'. */
  where: string;
}

/** The model files inside a zip archive: at its root or in its one top-level folder (as the web page's download holds them). */
function modelFilesOfZip(path: string): ModelFiles {
  const bytes = readRegularFile(path, 'a model archive (zip)');
  const entries = readZipEntries(bytes, path);
  const configs = [...entries.keys()].filter((name) => name === CONFIG_FILE || new RegExp(`^[^/]+/${CONFIG_FILE}$`).test(name));
  if (configs.length !== 1) {
    const names = [...entries.keys()].slice(0, 6).join(', ');
    throw new DataError(`${path}: a model archive holds one ${CONFIG_FILE} (at its root or in one folder); this zip has ${configs.length} (entries: ${names || 'none'})`);
  }
  const prefix = configs[0].slice(0, -CONFIG_FILE.length);
  const read = (name: string) => {
    const entry = entries.get(prefix + name);
    return entry ? zipEntryData(bytes, entry, path) : null;
  };
  const weights = read(WEIGHTS_FILE);
  if (!weights) throw new DataError(`${path}: no ${prefix}${WEIGHTS_FILE} beside ${prefix}${CONFIG_FILE}`);
  return { config: read(CONFIG_FILE) as Uint8Array, weights, metrics: read(METRICS_FILE), where: `${path}:${prefix.replace(/\/$/, '') || '.'}` };
}

/** The raw files of a model folder or of a zip archive of one (regular files only, bounded reads). */
export function readModelFilesAt(path: string): ModelFiles {
  if (!existsSync(path)) throw new DataError(`${path}: model folder not found`);
  if (!statSync(path).isDirectory()) {
    if (statSync(path).isFile() && path.toLowerCase().endsWith('.zip')) return modelFilesOfZip(path);
    throw new DataError(`${path}: is not a folder; expected a model folder with ${CONFIG_FILE} and ${WEIGHTS_FILE} (or a .zip of one)`);
  }
  const configPath = join(path, CONFIG_FILE);
  const weightsPath = join(path, WEIGHTS_FILE);
  if (!existsSync(configPath)) throw new DataError(`${path}: not a model folder (no ${CONFIG_FILE})`);
  if (!existsSync(weightsPath)) throw new DataError(`${path}: no ${WEIGHTS_FILE} beside ${CONFIG_FILE}`);
  const metricsPath = join(path, METRICS_FILE);
  return {
    config: readRegularFile(configPath, 'a JSON file', MAX_JSON_BYTES),
    weights: readRegularFile(weightsPath, 'model weights (safetensors)'),
    metrics: existsSync(metricsPath) ? readRegularFile(metricsPath, 'a JSON file', MAX_JSON_BYTES) : null,
    where: path,
  };
}

function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Loads a model folder written by saveModel (or a zip of one, as the web page downloads it). Throws
 * a DataError naming the file and the problem (config.json fields, safetensors layout, NaN or
 * infinite weights, non-regular files); never returns a partly loaded model.
 */
export function loadModel(dir: string): LoadedModel {
  const files = readModelFilesAt(dir);
  const configPath = join(files.where, CONFIG_FILE);
  const weightsPath = join(files.where, WEIGHTS_FILE);
  const config = checkModelConfig(parseJson(files.config, configPath), configPath);
  const model = modelFromParts(config, decodeSafetensors(files.weights, weightsPath).tensors, configPath, weightsPath);
  const metrics = files.metrics ? parseJson(files.metrics, join(files.where, METRICS_FILE)) : null;
  return { model, config, metrics };
}

/** The raw config.json and model.safetensors bytes of a folder or model zip (what the web page downloads). */
export function readModelFolderFiles(dir: string): { config: Uint8Array; weights: Uint8Array } {
  const { config, weights } = readModelFilesAt(dir);
  return { config, weights };
}
