// Loading a model from bytes already in memory (config.json text or object + model.safetensors
// bytes), for places without a file system: the web page and HTTP uploads. Same checks as loadModel.
// modelToBytes is the way back: the files of a model folder as bytes (the page's download).
import { DataError } from '../errors.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { checkModelConfig, CONFIG_FILE, METRICS_FILE, modelFromParts, modelTensors, WEIGHTS_FILE, type LoadedModel, type ModelConfig } from './model-config.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Builds and fills a model from a config (JSON text or parsed) and safetensors bytes; `where` names the source in errors. */
export function modelFromBytes(config: string | unknown, weights: Uint8Array, where = 'model', metrics: unknown = null): LoadedModel {
  let json = config;
  if (typeof config === 'string') {
    try {
      json = JSON.parse(config);
    } catch (err) {
      throw new DataError(`${where}/config.json: not valid JSON (${(err as Error).message})`);
    }
  }
  const checked = checkModelConfig(json, `${where}/config.json`);
  const tensors = decodeSafetensors(weights, `${where}/model.safetensors`).tensors;
  const model = modelFromParts(checked, tensors, `${where}/config.json`, `${where}/model.safetensors`);
  return { model, config: checked, metrics };
}

/** A model folder's files as bytes, by file name: config.json (with `config`'s fields), model.safetensors and, given metrics, metrics.json. */
export function modelToBytes(model: Sequential, config: ModelConfig, metrics?: unknown): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {
    [CONFIG_FILE]: `${JSON.stringify({ ...config, architecture: model.config(), inputShape: [...config.inputShape] }, null, 2)}\n`,
    [WEIGHTS_FILE]: encodeSafetensors(modelTensors(model), { format: 'pt' }),
  };
  if (metrics !== undefined) files[METRICS_FILE] = `${JSON.stringify(metrics, null, 2)}\n`;
  return files;
}
