// zerograd's composite layers (attention, transformer blocks, ViT, basic and bottleneck blocks, ResNet) as the Python
// classes of pytorch-classes.ts: the constructor call that rebuilds each, and which zerograd child becomes
// which PyTorch attribute. A new composite layer, or a new option of one, is one entry here.
import { ZerogradError } from '../errors.js';
import { childNamed, type FeedForward, type MultiHeadSelfAttention, type TransformerBlock } from '../nn/layers/attention.js';
import type { LayerNorm } from '../nn/layers/norm.js';
import type { BottleneckBlock, RESNET_DEFAULTS, ResNet, ResidualBlock } from '../nn/layers/resnet.js';
import { Sequential } from '../nn/layers/sequential.js';
import type { PatchEmbedding, VIT_DEFAULTS, VisionTransformer } from '../nn/layers/vit.js';
import type { Module } from '../nn/module.js';
import { dotted, isLeaf, putLeaf, type TorchState } from './pytorch-tensors.js';

/** A Python literal for a config value. */
export function py(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ZerogradError(`export: cannot write ${value} as a Python number`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(', ')}]`;
  if (value === null || value === undefined) return 'None';
  throw new ZerogradError(`export: cannot write ${JSON.stringify(value)} as a Python literal`);
}

/** One zerograd child as a PyTorch attribute; `asConv` [C, p, p] turns a Linear into the Conv2d it equals. */
export interface ChildName {
  zg: string;
  torch: string;
  module: Module;
  asConv?: readonly number[];
}

/** How one composite layer type exports. */
export interface CompositeSpec {
  /** The Python class (a key of PYTHON_CLASSES). */
  pythonClass: string;
  /** Its attribute name when it sits in a Sequential ('vit' -> self.vit1). */
  attribute: string;
  /** The Python expression that builds it, e.g. `ResNet(channels=1, widths=[4, 8], ...)`. */
  constructorCall(module: Module): string;
  children(module: Module): ChildName[];
  /** Its own parameters (zerograd name, PyTorch name). */
  parameters?(module: Module): [string, string][];
  /** Classes this instance needs besides pythonClass and what PYTHON_CLASSES says it uses (a ResNet's block class). */
  uses?(module: Module): string[];
}

const same = (module: Module, names: readonly string[]): ChildName[] => names.map((name) => ({ zg: name, torch: name, module: childNamed(module, name) }));

/** Keyword arguments, leaving out those equal to their Python default. */
export function keywords(entries: [string, unknown, unknown][]): string {
  return entries.filter(([, value, fallback]) => value !== fallback).map(([key, value]) => `, ${key}=${py(value)}`).join('');
}

/**
 * Refuses config fields outside `known` by name: an option added to a zerograd layer later would otherwise
 * export as if it were absent (wrong numbers, no error). Adding its Python side here and in
 * pytorch-classes.ts, then its name to the list, lets it through.
 */
function checkFields(module: Module, known: readonly string[]): void {
  const config = module.config();
  const unknown = Object.keys(config).filter((key) => key !== 'type' && !known.includes(key));
  if (unknown.length > 0) throw new ZerogradError(`export: ${config.type} option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} not supported by the PyTorch exporter yet (it knows ${known.join(', ')})`);
}

/**
 * The ResNet and ViT options the Python classes implement, written out: derived from RESNET_DEFAULTS they would
 * let a new option through unseen (as the stem and block options once were). The stem ('cifar' 3x3, 'imagenet'
 * 7x7/2 + max pool) and block ('basic', 'bottleneck') are passed on; imageSize is only checked by zerograd.
 */
export const RESNET_FIELDS: readonly (keyof typeof RESNET_DEFAULTS)[] = ['channels', 'imageSize', 'widths', 'blocksPerStage', 'numClasses', 'stem', 'block'];
export const VIT_FIELDS: readonly (keyof typeof VIT_DEFAULTS)[] = ['imageSize', 'channels', 'patchSize', 'dim', 'depth', 'heads', 'mlpRatio', 'pool', 'numClasses', 'dropout', 'layerNormEps', 'qkvBias', 'headActivation'];

function resnetCall(module: Module): string {
  checkFields(module, RESNET_FIELDS);
  const o = (module as ResNet).options;
  const options = keywords([['stem', o.stem, 'cifar'], ['block', o.block, 'basic']]);
  return `ResNet(channels=${py(o.channels)}, widths=${py(o.widths)}, blocks_per_stage=${py(o.blocksPerStage)}, num_classes=${py((module as ResNet).numClasses)}${options})`;
}

/** Shortcut children of a residual block, as torchvision's downsample.0 (conv) and downsample.1 (batch norm). */
function downsample(m: Module, hasProjection: boolean): ChildName[] {
  if (!hasProjection) return [];
  return [
    { zg: 'shortcutConv', torch: 'downsample.0', module: childNamed(m, 'shortcutConv') },
    { zg: 'shortcutBn', torch: 'downsample.1', module: childNamed(m, 'shortcutBn') },
  ];
}

function blockCall(module: Module): string {
  const block = module as TransformerBlock;
  const eps = childNamed<LayerNorm>(block, 'norm1').eps;
  return `TransformerBlock(dim=${py(block.dim)}, heads=${py(block.heads)}, hidden=${py(block.mlpRatio * block.dim)}, dropout=${py(block.dropout)}, eps=${py(eps)}${block.qkvBias ? '' : ', qkv_bias=False'})`;
}

/** The ViT's own keyword arguments beyond the shape ones: eps, q/k/v biases, the head's activation, where not the defaults. */
function vitExtras(vit: VisionTransformer): string {
  const eps = childNamed<LayerNorm>(vit, 'norm').eps;
  const activation = vit.head.activation;
  return `${eps !== 1e-6 ? `, eps=${py(eps)}` : ''}${vit.options.qkvBias ? '' : ', qkv_bias=False'}${activation !== 'linear' ? `, head_activation=${py(activation)}` : ''}`;
}

/** The composite layers by config type. */
export const COMPOSITES: Readonly<Record<string, CompositeSpec>> = Object.freeze({
  MultiHeadSelfAttention: {
    pythonClass: 'Attention', attribute: 'attn',
    constructorCall: (m) => { const a = m as MultiHeadSelfAttention; return `Attention(dim=${py(a.dim)}, heads=${py(a.heads)}, dropout=${py(a.dropout)}${a.qkvBias ? '' : ', qkv_bias=False'})`; },
    children: (m) => [...same(m, ['q', 'k', 'v']), { zg: 'out', torch: 'proj', module: childNamed(m, 'out') }],
  },
  FeedForward: {
    pythonClass: 'FeedForward', attribute: 'mlp',
    constructorCall: (m) => { const f = m as FeedForward; return `FeedForward(dim=${py(f.dim)}, hidden=${py(f.hidden)}, dropout=${py(f.dropout)})`; },
    children: (m) => same(m, ['fc1', 'fc2']),
  },
  TransformerBlock: {
    pythonClass: 'TransformerBlock', attribute: 'block',
    constructorCall: blockCall,
    children: (m) => same(m, ['norm1', 'attn', 'norm2', 'mlp']),
  },
  PatchEmbedding: {
    pythonClass: 'PatchEmbedding', attribute: 'patch_embed',
    constructorCall: (m) => { const p = m as PatchEmbedding; return `PatchEmbedding(channels=${py(p.channels)}, patch_size=${py(p.patchSize)}, dim=${py(p.dim)})`; },
    children: (m) => { const p = m as PatchEmbedding; return [{ zg: 'proj', torch: 'proj', module: childNamed(m, 'proj'), asConv: [p.channels, p.patchSize, p.patchSize] }]; },
  },
  VisionTransformer: {
    pythonClass: 'VisionTransformer', attribute: 'vit',
    constructorCall: (m) => {
      const vit = m as VisionTransformer;
      checkFields(vit, VIT_FIELDS);
      const o = vit.options;
      return `VisionTransformer(image_size=${py(o.imageSize)}, channels=${py(o.channels)}, patch_size=${py(o.patchSize)}, dim=${py(o.dim)}, depth=${py(o.depth)}, heads=${py(o.heads)}, mlp_ratio=${py(o.mlpRatio)}, pool=${py(o.pool)}, num_classes=${py(vit.numClasses)}, dropout=${py(o.dropout)}${vitExtras(vit)})`;
    },
    children: (m) => [{ zg: 'patchEmbed', torch: 'patch_embed', module: childNamed(m, 'patchEmbed') }, ...same(m, ['blocks', 'norm', 'head'])],
    parameters: (m) => [['posEmbed', 'pos_embed'], ...((m as VisionTransformer).clsToken ? [['clsToken', 'cls_token'] as [string, string]] : [])],
  },
  ResidualBlock: {
    pythonClass: 'BasicBlock', attribute: 'block',
    constructorCall: (m) => { const b = m as ResidualBlock; return `BasicBlock(in_channels=${py(b.inChannels)}, out_channels=${py(b.outChannels)}, stride=${py(b.stride)})`; },
    children: (m) => [...same(m, ['conv1', 'bn1', 'conv2', 'bn2']), ...downsample(m, (m as ResidualBlock).hasProjection)],
  },
  BottleneckBlock: {
    pythonClass: 'Bottleneck', attribute: 'block',
    constructorCall: (m) => { const b = m as BottleneckBlock; return `Bottleneck(in_channels=${py(b.inChannels)}, width=${py(b.width)}, stride=${py(b.stride)})`; },
    children: (m) => [...same(m, ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3']), ...downsample(m, (m as BottleneckBlock).hasProjection)],
  },
  ResNet: {
    pythonClass: 'ResNet', attribute: 'resnet',
    constructorCall: resnetCall,
    uses: (m) => [(m as ResNet).options.block === 'bottleneck' ? 'Bottleneck' : 'BasicBlock'],
    // stemPool (the imagenet stem's max pool) has no weights
    children: (m) => [
      { zg: 'stem', torch: 'conv1', module: childNamed(m, 'stem') },
      { zg: 'stemBn', torch: 'bn1', module: childNamed(m, 'stemBn') },
      ...childNamed<Sequential>(m, 'stages').layers.map((stage, i) => ({ zg: `stages.${i}`, torch: `layer${i + 1}`, module: stage })),
      { zg: 'head', torch: 'fc', module: childNamed(m, 'head') },
    ],
  },
});

/** The spec of a composite module, or null for other layers. */
export function compositeOf(module: Module): CompositeSpec | null {
  return COMPOSITES[module.config().type] ?? null;
}

/** The Python classes `module` (exported through `spec`) needs directly, the ones it uses first. */
export function classesOf(spec: CompositeSpec, module: Module): string[] {
  return [...(spec.uses?.(module) ?? []), spec.pythonClass];
}

/**
 * Writes the tensors of `module` (at zerograd prefix `zg`, PyTorch prefix `torch`): leaf layers directly,
 * composites through their specs, a Sequential inside a composite as an nn.Sequential (children 0, 1, ...).
 */
export function putModule(state: TorchState, module: Module, zg: string, torch: string, asConv?: readonly number[]): void {
  if (isLeaf(module)) return putLeaf(state, module, zg, torch, asConv);
  if (module instanceof Sequential) {
    module.layers.forEach((layer, i) => putModule(state, layer, dotted(zg, String(i)), dotted(torch, String(i))));
    return;
  }
  const spec = compositeOf(module);
  if (!spec) {
    if (module.stateDict().size === 0) return;
    throw new ZerogradError(`export: ${module.config().type} at '${zg}' has weights but no PyTorch mapping`);
  }
  const own = new Map(module.stateDict());
  for (const [zgName, torchName] of spec.parameters?.(module) ?? []) {
    const t = own.get(zgName);
    if (!t) throw new ZerogradError(`export: ${module.config().type} at '${zg}' has no tensor '${zgName}'`);
    state.put(dotted(torch, torchName), { dtype: 'F32', shape: [...t.shape], values: Float32Array.from(t.data()) }, dotted(zg, zgName));
  }
  for (const child of spec.children(module)) putModule(state, child.module, dotted(zg, child.zg), dotted(torch, child.torch), child.asConv);
}
