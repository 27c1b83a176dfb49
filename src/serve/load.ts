// Loading a model folder for the deployment commands: start the engine, load and check the folder,
// wrap it in a DigitClassifier. Also writes output files with a clear error when the folder is missing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { init, type BackendName } from '../backend/registry.js';
import { writeFileAtomic } from '../data/files.js';
import { UsageError } from '../errors.js';
import { loadModel, readModelFolderFiles, type LoadedModel } from '../io/model-folder.js';
import { DigitClassifier } from './classifier.js';

export interface LoadOptions {
  /** Backend (default wasm). */
  backend?: BackendName;
  /** Worker threads of the wasm backend (default: all cores). */
  threads?: number;
}

/** A loaded model folder and its classifier, on a started backend. */
export async function loadClassifier(dir: string, options: LoadOptions = {}): Promise<{ loaded: LoadedModel; classifier: DigitClassifier }> {
  await init(options.backend ?? 'wasm', { threads: options.threads });
  const loaded = loadModel(dir);
  return { loaded, classifier: new DigitClassifier(loaded.model, loaded.config) };
}

/** The raw config.json and model.safetensors bytes of a folder (what the web page downloads; regular files only, bounded reads). */
export function readModelFiles(dir: string): { config: Uint8Array; weights: Uint8Array } {
  return readModelFolderFiles(dir);
}

/** Parses a positive integer flag, or throws a UsageError naming it. */
export function positiveIntegerFlag(value: string | undefined, flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

/** Writes an output file atomically; a missing folder or an unwritable path is a UsageError. */
export function writeOutput(path: string, data: Uint8Array | string, flag = '--out'): string {
  const full = resolve(path);
  const folder = dirname(full);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`${flag} ${path}: folder ${folder} does not exist`);
  try {
    writeFileAtomic(full, data);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot write (${(err as Error).message})`);
  }
  return full;
}
