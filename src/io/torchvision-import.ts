// Importing a torchvision ResNet or VisionTransformer state dict file as a zerograd model: the architecture of an
// `arch` name, its key plan, the mapped float32 weights and config.json's contents. `zerograd import` writes them
// as a model folder; modelFromParts(config, tensors, ...) builds the model in memory.
import type { Normalization } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import type { LayerConfig } from '../nn/module.js';
import { checkFinite, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ChannelStats, type ModelConfig } from './model-config.js';
import type { NamedArray } from './safetensors.js';
import { readStateDict } from './state-dict.js';
import type { StateTensor } from './torch-checkpoint.js';
import { mapStateDict, resnetOptions, resnetPlan, sequentialOf, TORCHVISION_RESNETS, type PlannedTensor } from './torchvision.js';
import { TORCHVISION_VITS, vitOptions, vitPlan } from './torchvision-vit.js';

/** The `arch` names importTorchvision takes: resnet18/34/50, resnet, vit_b_16/b_32/l_16, vit. */
export const IMPORT_ARCHS: readonly string[] = [...Object.keys(TORCHVISION_RESNETS), 'resnet', ...Object.keys(TORCHVISION_VITS), 'vit'];

/** torchvision's normalization (mean 0.485/0.456/0.406, std 0.229/0.224/0.225) averaged over channels: config.json holds one mean and std. */
export const IMAGENET_NORMALIZATION = { kind: 'standardize', mean: 0.449, std: 0.226 } as const;
/** torchvision's per-channel ImageNet statistics (config.json's preprocessing.channelStats). */
export const IMAGENET_CHANNEL_STATS: Readonly<ChannelStats> = Object.freeze({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });

export interface TorchvisionImportOptions {
  /** One of IMPORT_ARCHS; `resnet` and `vit` read their sizes from the keys. */
  arch: string;
  /** The input side (default: 224 for ResNets; a ViT's from its position embeddings). */
  imageSize?: number;
  /** Attention heads of `vit` (default: width / 64). */
  heads?: number;
  /** config.json's name (default: the arch and the file). */
  name?: string;
}

/** An imported model: config.json's contents, the F32 weights by zerograd name, and what was read and left out. */
export interface TorchvisionImport {
  config: ModelConfig;
  tensors: Map<string, NamedArray>;
  /** Tensors in the file. */
  keysRead: number;
  /** int64 num_batches_tracked buffers left out. */
  skipped: string[];
  /** Entries of the file that are not tensors (ignored). */
  notTensors: string[];
  /** One line: the architecture as read. */
  summary: string;
}

/** The layer config, key plan and a one-line description of `arch` for the state dict `read`. */
function architectureOf(read: ReadonlyMap<string, StateTensor>, where: string, options: TorchvisionImportOptions): { layer: LayerConfig; plan: PlannedTensor[]; summary: string } {
  const { arch, imageSize, heads } = options;
  if (arch in TORCHVISION_RESNETS || arch === 'resnet') {
    const o = resnetOptions(arch, read, imageSize ?? 224, where);
    return { layer: { type: 'ResNet', ...o }, plan: resnetPlan(o), summary: `ResNet, ${o.block} blocks ${JSON.stringify(o.blocksPerStage)}, widths ${JSON.stringify(o.widths)}` };
  }
  const o = vitOptions(arch, read, where, heads, imageSize);
  return { layer: { type: 'VisionTransformer', ...o }, plan: vitPlan(o), summary: `VisionTransformer, ${o.depth} blocks of width ${o.dim}, ${o.heads} heads, MLP ${o.mlpRatio * o.dim}, ${o.patchSize}x${o.patchSize} patches` };
}

/**
 * Reads a torchvision state dict file (.pth/.pt or .safetensors) and maps it onto `options.arch`. Unknown, missing,
 * mismatched and non-float keys are named in one DataError; NaN or infinite weights are refused. Holds the file
 * and its decoded tensors at most (about 2x the weights).
 */
export function importTorchvision(path: string, options: TorchvisionImportOptions): TorchvisionImport {
  const { arch, heads } = options; // checked before the file is read
  if (!IMPORT_ARCHS.includes(arch)) throw new UsageError(`--arch ${arch}: not an architecture zerograd imports; expected one of ${IMPORT_ARCHS.join(', ')}`);
  if (heads !== undefined && arch !== 'vit') throw new UsageError(`--heads applies to --arch vit only (${arch} has its own)`);
  const { tensors: read, skipped: notTensors } = readStateDict(path);
  const keysRead = read.size;
  const { layer, plan, summary } = architectureOf(read, path, options);
  const { tensors, skipped } = mapStateDict(read, plan, path);
  checkFinite(tensors, path);
  const config = importedConfig(layer, options.name ?? `${options.arch} (imported from ${path})`, IMAGENET_NORMALIZATION, undefined, IMAGENET_CHANNEL_STATS);
  return { config, tensors, keysRead, skipped, notTensors, summary };
}

/** config.json's contents for an imported ResNet or VisionTransformer `layer` (class names default to '0', '1', ...; channelStats per-channel statistics). */
export function importedConfig(layer: LayerConfig, name: string, normalization: Normalization, classNames?: string[], channelStats?: ChannelStats): ModelConfig {
  const { channels, imageSize, numClasses } = layer as unknown as { channels: number; imageSize: number; numClasses: number };
  const inputShape = [channels, imageSize, imageSize];
  return {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    name,
    architecture: sequentialOf(layer, inputShape),
    inputShape,
    preprocessing: { normalization: { ...normalization }, layout: 'image', rows: imageSize, cols: imageSize, ...(channelStats ? { channelStats: { mean: [...channelStats.mean], std: [...channelStats.std] } } : {}) },
    classNames: classNames ?? Array.from({ length: numClasses }, (_, i) => String(i)),
  };
}
