// Loading a model from bytes already in memory (config.json text or object + model.safetensors
// bytes), for places without a file system: the web page and HTTP uploads. Same checks as loadModel.
import { DataError } from '../errors.js';
import { checkModelConfig, modelFromParts, type LoadedModel } from './model-config.js';
import { decodeSafetensors } from './safetensors.js';

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
