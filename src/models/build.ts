// Builds the Sequential model of an architecture config (weights drawn from the global RNG).
import { UsageError, ZerogradError } from '../errors.js';
import type { LayerConfig } from '../nn/module.js';
import { layerFromConfig } from '../nn/registry.js';
import { Sequential } from '../nn/layers/sequential.js';

/** A built Sequential model from `architecture`; `where` names the source in error messages. */
export function buildModel(architecture: LayerConfig, where = 'architecture'): Sequential {
  let model;
  try {
    model = layerFromConfig(architecture);
  } catch (err) {
    if (err instanceof ZerogradError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
  if (!(model instanceof Sequential)) throw new UsageError(`${where}: the model must be a Sequential config, got type '${architecture.type}'`);
  if (model.inputShape === null) throw new UsageError(`${where}: the Sequential config needs an inputShape such as [1, 28, 28]`);
  return model;
}
