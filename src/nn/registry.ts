// Building modules from JSON configs ({ "type": "Dense", "units": 128, ... }); new layer kinds
// register a factory here.
import { ZerogradError } from '../errors.js';
import { Activation, Dropout, Flatten, Reshape } from './layers/basic.js';
import { AvgPool2D, Conv2D, MaxPool2D, type Conv2DOptions } from './layers/conv.js';
import { Dense, type DenseOptions } from './layers/dense.js';
import { BatchNorm, LayerNorm } from './layers/norm.js';
import { Sequential } from './layers/sequential.js';
import { FeedForward, MultiHeadSelfAttention, TransformerBlock } from './layers/attention.js';
import { PatchEmbedding, VIT_DEFAULTS, VisionTransformer } from './layers/vit.js';
import { BottleneckBlock, RESNET_DEFAULTS, ResNet, ResidualBlock } from './layers/resnet.js';
import { LoraDense } from './lora.js';
import { ChannelNormalize, RepeatChannels, Resize } from './layers/resize.js';
import { LoraConv2D } from './lora-conv.js';
import type { ActivationName } from './activations.js';
import type { LayerConfig, Module } from './module.js';

export type LayerFactory = (config: LayerConfig) => Module;

const factories = new Map<string, LayerFactory>();

/** Makes `type` buildable from configs. */
export function registerLayer(type: string, factory: LayerFactory): void {
  factories.set(type, factory);
}

function num(config: LayerConfig, key: string, where: string, optional = false): number | undefined {
  const value = config[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ZerogradError(`${where}: '${key}' must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

registerLayer('Dense', (c) => new Dense(c as unknown as DenseOptions & LayerConfig));
registerLayer('Conv2D', (c) => new Conv2D(c as unknown as Conv2DOptions & LayerConfig));
registerLayer('MaxPool2D', (c) => new MaxPool2D({ poolSize: num(c, 'poolSize', 'MaxPool2D', true), stride: num(c, 'stride', 'MaxPool2D', true), padding: num(c, 'padding', 'MaxPool2D', true) }));
registerLayer('AvgPool2D', (c) => new AvgPool2D({ poolSize: num(c, 'poolSize', 'AvgPool2D', true), stride: num(c, 'stride', 'AvgPool2D', true), padding: num(c, 'padding', 'AvgPool2D', true) }));
registerLayer('Flatten', () => new Flatten());
registerLayer('Reshape', (c) => new Reshape(c.targetShape as number[]));
registerLayer('Dropout', (c) => new Dropout(num(c, 'rate', 'Dropout') as number));
registerLayer('Activation', (c) => new Activation(c.activation as ActivationName));
for (const [type, activation] of [['ReLU', 'relu'], ['Sigmoid', 'sigmoid'], ['Tanh', 'tanh'], ['Softmax', 'softmax'], ['GELU', 'gelu']] as const) {
  registerLayer(type, () => new Activation(activation));
}
registerLayer('BatchNorm', (c) => new BatchNorm({
  momentum: num(c, 'momentum', 'BatchNorm', true), eps: num(c, 'eps', 'BatchNorm', true), channels: num(c, 'channels', 'BatchNorm', true),
  activation: c.activation as ActivationName | undefined, // checked by the constructor
}));
registerLayer('LayerNorm', (c) => new LayerNorm({ eps: num(c, 'eps', 'LayerNorm', true), features: num(c, 'features', 'LayerNorm', true) }));
registerLayer('Sequential', (c) => {
  if (!Array.isArray(c.layers)) throw new ZerogradError(`Sequential: 'layers' must be an array of layer configs`);
  const layers = (c.layers as LayerConfig[]).map((l, i) => {
    try {
      return layerFromConfig(l);
    } catch (err) {
      throw new ZerogradError(`layers[${i}]: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return new Sequential(layers, { inputShape: c.inputShape as number[] | undefined, name: c.name as string | undefined });
});

/** The config's options without 'type'; a key outside `known` is an error that lists the known ones. */
function optionsOf<T>(config: LayerConfig, known: readonly string[]): T {
  const { type, ...options } = config;
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ZerogradError(`${type}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; known options: ${known.join(', ')}`);
  return options as T;
}

registerLayer('MultiHeadSelfAttention', (c) => new MultiHeadSelfAttention(optionsOf(c, ['dim', 'heads', 'dropout', 'qkvBias'])));
registerLayer('FeedForward', (c) => new FeedForward(optionsOf(c, ['dim', 'hidden', 'dropout'])));
registerLayer('TransformerBlock', (c) => new TransformerBlock(optionsOf(c, ['dim', 'heads', 'mlpRatio', 'dropout', 'eps', 'qkvBias'])));
registerLayer('PatchEmbedding', (c) => new PatchEmbedding(optionsOf(c, ['imageSize', 'patchSize', 'channels', 'dim'])));
registerLayer('VisionTransformer', (c) => new VisionTransformer(optionsOf(c, Object.keys(VIT_DEFAULTS))));
registerLayer('ResidualBlock', (c) => new ResidualBlock(optionsOf(c, ['inChannels', 'outChannels', 'stride'])));
registerLayer('BottleneckBlock', (c) => new BottleneckBlock(optionsOf(c, ['inChannels', 'width', 'stride'])));
registerLayer('LoraDense', (c) => {
  const { rank, alpha, ...dense } = optionsOf<DenseOptions & { rank: number; alpha: number }>(c, ['units', 'activation', 'useBias', 'kernelInitializer', 'inputDim', 'rank', 'alpha']);
  return new LoraDense(new Dense(dense), { rank, alpha });
});
registerLayer('Resize', (c) => new Resize(num(c, 'height', 'Resize') as number, num(c, 'width', 'Resize', true)));
registerLayer('ChannelNormalize', (c) => {
  if (!Array.isArray(c.mean) || !Array.isArray(c.std)) throw new ZerogradError(`ChannelNormalize: 'mean' and 'std' must be lists of numbers`);
  return new ChannelNormalize(c.mean as number[], c.std as number[]);
});
registerLayer('RepeatChannels', (c) => new RepeatChannels(num(c, 'channels', 'RepeatChannels') as number));
registerLayer('LoraConv2D', (c) => {
  const { rank, alpha, ...conv } = optionsOf<Conv2DOptions & { rank: number; alpha: number }>(c, ['filters', 'kernelSize', 'stride', 'padding', 'activation', 'useBias', 'kernelInitializer', 'inChannels', 'rank', 'alpha']);
  return new LoraConv2D(new Conv2D(conv), { rank, alpha });
});
registerLayer('ResNet', (c) => new ResNet(optionsOf(c, Object.keys(RESNET_DEFAULTS))));

/** Builds a module from its config; unknown types name the known ones. */
export function layerFromConfig(config: LayerConfig): Module {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new ZerogradError(`layer config must be an object with a string 'type', got ${JSON.stringify(config)}`);
  }
  const factory = factories.get(config.type);
  if (!factory) throw new ZerogradError(`unknown layer type '${config.type}'; known types: ${[...factories.keys()].join(', ')}`);
  return factory(config);
}
