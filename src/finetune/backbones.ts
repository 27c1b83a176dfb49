// Named backbone configurations for `zerograd pretrain --backbone NAME`: the library defaults
// (vit, resnet: 1.2 M and 0.7 M parameters), the small ViT that pretrains within 30 minutes on
// two shared cores (vit-tiny, the shipped one), a ResNet family from 0.48 M to 6.3 M parameters
// (resnet-small, resnet, resnet-large) and micro versions for tests.
import { UsageError } from '../errors.js';
import { Backbone } from '../nn/layers/backbone.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { LayerConfig } from '../nn/module.js';
import { buildModel } from '../models/build.js';
import { isInputAdapter } from './adapt-input.js';

export interface BackboneSpec {
  description: string;
  /** The backbone's layer config (type VisionTransformer or ResNet). */
  config: LayerConfig;
}

export const BACKBONES: Readonly<Record<string, BackboneSpec>> = Object.freeze({
  vit: { description: 'ViT 7x7 patches, dim 128, depth 6, 4 heads, MLP x4, class token (1.2 M parameters)', config: { type: 'VisionTransformer' } },
  'vit-tiny': {
    description: 'ViT 7x7 patches, dim 64, depth 4, 4 heads, MLP x2, mean pooling (0.14 M parameters)',
    config: { type: 'VisionTransformer', dim: 64, depth: 4, heads: 4, mlpRatio: 2, pool: 'mean' },
  },
  'vit-micro': { description: 'ViT for tests: dim 16, depth 1, 2 heads', config: { type: 'VisionTransformer', dim: 16, depth: 1, heads: 2, mlpRatio: 2, pool: 'mean' } },
  'resnet-small': {
    description: 'ResNet widths 20-40-80-160, 1 block per stage, 28-14-7-4 px (0.48 M parameters, 20 M multiply-adds per image)',
    config: { type: 'ResNet', widths: [20, 40, 80, 160], blocksPerStage: 1 },
  },
  resnet: { description: 'ResNet widths 32-64-128, 2 blocks per stage, 28-14-7 px (0.70 M parameters, 81 M multiply-adds per image)', config: { type: 'ResNet' } },
  'resnet-large': {
    description: 'ResNet widths 48-96-192-384, 2 blocks per stage, 28-14-7-4 px (6.3 M parameters, 256 M multiply-adds per image)',
    config: { type: 'ResNet', widths: [48, 96, 192, 384], blocksPerStage: 2 },
  },
  'resnet-micro': { description: 'ResNet for tests: widths 4-8, 1 block per stage', config: { type: 'ResNet', widths: [4, 8], blocksPerStage: 1 } },
});

/** The input shape every backbone here takes: one 28x28 channel. */
export const BACKBONE_INPUT: readonly number[] = [1, 28, 28];

/**
 * The Backbone of a model that is a Sequential holding exactly one (what pretrain saves and finetune loads),
 * possibly behind input adaptation layers (Resize, RepeatChannels, ChannelNormalize: an adapted imported model).
 */
export function backboneOf(model: Sequential, where: string): Backbone {
  const last = model.layers[model.layers.length - 1];
  if (!(last instanceof Backbone) || !model.layers.slice(0, -1).every(isInputAdapter)) {
    const types = model.layers.map((layer) => layer.constructor.name).join(', ');
    throw new UsageError(`${where}: not a pretrained backbone (a model folder holding one VisionTransformer or ResNet, as 'zerograd pretrain' writes); it holds [${types}]`);
  }
  return last;
}

/** A freshly initialised backbone (inside a Sequential with its input shape) from a name in BACKBONES. */
export function buildBackbone(name: string): { model: Sequential; backbone: Backbone; spec: BackboneSpec } {
  const spec = BACKBONES[name];
  if (!spec) throw new UsageError(`unknown backbone '${name}'; expected one of ${Object.keys(BACKBONES).join(', ')}`);
  const model = buildModel({ type: 'Sequential', inputShape: [...BACKBONE_INPUT], layers: [spec.config] }, `--backbone ${name}`);
  return { model, backbone: backboneOf(model, `--backbone ${name}`), spec };
}
