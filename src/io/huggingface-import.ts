// Importing a Hugging Face model folder (config.json + model.safetensors, or its shards, or pytorch_model.bin) as a
// zerograd model: the architecture is read from config.json's `architectures` (or `model_type` and the keys),
// the weights are mapped by a plan computed from it (huggingface-vit.ts, huggingface-resnet.ts), and
// preprocessor_config.json's mean and std, and id2label's class names, go into config.json.
import type { Normalization } from '../data/dataset.js';
import { readRegularFile } from '../data/files.js';
import { DataError, UsageError } from '../errors.js';
import type { LayerConfig } from '../nn/module.js';
import { builtin } from '../platform/node.js';
import { HfFields, type HfConfig } from './huggingface-config.js';
import { hfResnetOptions, hfResnetPlan } from './huggingface-resnet.js';
import { hfVitOptions, hfVitPlan } from './huggingface-vit.js';
import { checkFinite, type ChannelStats } from './model-config.js';
import type { NamedArray } from './safetensors.js';
import { readStateDict, type StateTensor } from './state-dict.js';
import { mapStateDict, type PlannedTensor } from './torchvision.js';
import { importedConfig, type TorchvisionImport } from './torchvision-import.js';

const { existsSync, statSync } = builtin('fs');
const { join } = builtin('path');

/** The transformers classes `zerograd import` reads from a folder. */
export const HF_ARCHITECTURES = ['ViTModel', 'ViTForImageClassification', 'ResNetModel', 'ResNetForImageClassification'] as const;
export type HfArchitecture = (typeof HF_ARCHITECTURES)[number];

export interface HuggingFaceImportOptions {
  /** A ResNet's input side recorded in config.json (default: preprocessor_config.json's size, else 224; a ViT's comes from its config.json). */
  imageSize?: number;
  /** config.json's name (default: the architecture and the folder). */
  name?: string;
}

/** An imported Hugging Face model: as a torchvision import, plus the transformers class it was. */
export interface HuggingFaceImport extends TorchvisionImport {
  architecture: HfArchitecture;
  /** Keys in the file that transformers' class does not use either (e.g. vit.pooler.* under ViTForImageClassification). */
  unused: string[];
}

/** True when `path` is a folder (a Hugging Face model folder, as opposed to a state dict file). */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readJson(path: string, what: string): HfConfig {
  const text = readRegularFile(path, what).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)}); expected ${what}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError(`${path}: expected a JSON object (${what})`);
  return value as HfConfig;
}

/** The folder's weights by key: model.safetensors, its shards (model.safetensors.index.json), or pytorch_model.bin. */
function readWeights(folder: string): { tensors: Map<string, StateTensor>; files: string[]; notTensors: string[] } {
  const single = ['model.safetensors', 'pytorch_model.bin'].map((f) => join(folder, f)).find((f) => existsSync(f));
  if (single !== undefined) {
    const { tensors, skipped } = readStateDict(single);
    return { tensors, files: [single], notTensors: skipped };
  }
  const index = join(folder, 'model.safetensors.index.json');
  if (!existsSync(index)) throw new DataError(`${folder}: no model.safetensors, model.safetensors.index.json or pytorch_model.bin; expected a Hugging Face model folder's weights`);
  const map = readJson(index, 'a safetensors shard index').weight_map;
  if (typeof map !== 'object' || map === null) throw new DataError(`${index}: no weight_map object; expected a safetensors shard index`);
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  if (shards.some((s) => typeof s !== 'string' || s.includes('/') || s.includes('\\'))) throw new DataError(`${index}: weight_map names a shard that is not a file in the folder`);
  const tensors = new Map<string, StateTensor>();
  const files = (shards as string[]).map((s) => join(folder, s));
  for (const file of files) for (const [key, t] of readStateDict(file).tensors) tensors.set(key, t);
  return { tensors, files, notTensors: [] };
}

/** The transformers class of config.json: architectures[0], else model_type with the keys' head. */
function architectureOf(config: HfConfig, keys: ReadonlySet<string>, where: string): HfArchitecture {
  const { architectures, model_type: modelType } = config;
  const supported = (name: unknown): name is HfArchitecture => (HF_ARCHITECTURES as readonly unknown[]).includes(name);
  if (Array.isArray(architectures) && architectures.length > 0) {
    const found = architectures.find(supported);
    if (found === undefined) throw new DataError(`${where}: architectures ${JSON.stringify(architectures)} are not ones zerograd imports; expected ${HF_ARCHITECTURES.join(', ')}`);
    return found;
  }
  if (modelType === 'vit') return keys.has('classifier.weight') ? 'ViTForImageClassification' : 'ViTModel';
  if (modelType === 'resnet') return keys.has('classifier.1.weight') ? 'ResNetForImageClassification' : 'ResNetModel';
  throw new DataError(`${where}: no architectures and model_type ${JSON.stringify(modelType)}; expected "vit" or "resnet" (${HF_ARCHITECTURES.join(', ')})`);
}

/** id2label as a list in index order, or null when config.json has none. */
function labelsOf(config: HfConfig, where: string): string[] | null {
  const id2label = config.id2label;
  if (id2label === undefined || id2label === null) return null;
  if (typeof id2label !== 'object' || Array.isArray(id2label)) throw new DataError(`${where}: id2label must be an object {"0": "label", ...}`);
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels = Array.from({ length: entries.length }, (_, i) => (id2label as Record<string, unknown>)[String(i)]);
  if (labels.some((l) => typeof l !== 'string')) throw new DataError(`${where}: id2label's keys must be 0 to ${entries.length - 1} with string labels`);
  return labels as string[];
}

/** preprocessor_config.json, or {} when the folder has none. */
function preprocessorOf(folder: string): { config: HfConfig; path: string } {
  const path = join(folder, 'preprocessor_config.json');
  return { config: existsSync(path) ? readJson(path, 'a Hugging Face preprocessor config') : {}, path };
}

/** The side the image processor gives the model: size.shortest_edge (ConvNextImageProcessor) or a square size.height. */
function processedSide(preprocessor: { config: HfConfig; path: string }): number | null {
  const size = preprocessor.config.size as { shortest_edge?: unknown; height?: unknown; width?: unknown } | number | undefined;
  const side = typeof size === 'object' && size !== null ? (size.shortest_edge ?? (size.height === size.width ? size.height : undefined)) : size;
  if (side === undefined) return null;
  if (!Number.isSafeInteger(side) || (side as number) < 1) throw new DataError(`${preprocessor.path}: size ${JSON.stringify(size)} does not give a square side; expected {"shortest_edge": n} or {"height": n, "width": n}`);
  return side as number;
}

/** preprocessor_config.json's image_mean and image_std: averaged over channels (normalization) and per channel (channelStats). */
function normalizationOf(preprocessor: { config: HfConfig; path: string }, fallback: ChannelStats): { normalization: Normalization; channelStats?: ChannelStats } {
  const { config: p, path } = preprocessor;
  if (p.do_normalize === false) return { normalization: { kind: 'standardize', mean: 0, std: 1 } };
  const listOf = (value: unknown, key: string, values: number[]): number[] => {
    const list = value === undefined ? values : Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new DataError(`${path}: ${key} must be a number or a list of numbers`);
    return list as number[];
  };
  const average = (list: number[]): number => Math.round(list.reduce((a, b) => a + b, 0) / list.length * 1000) / 1000;
  const mean = listOf(p.image_mean, 'image_mean', fallback.mean);
  const std = listOf(p.image_std, 'image_std', fallback.std);
  const channelStats = mean.length === std.length && std.every((v) => v > 0) ? { mean, std } : undefined;
  return { normalization: { kind: 'standardize', mean: average(mean), std: average(std) }, ...(channelStats ? { channelStats } : {}) };
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }; // ConvNextImageProcessor's default (ResNets)
const HALF = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }; // ViTImageProcessor's default

/** An identity head (D -> D, zero bias): the model then outputs the features themselves. */
function identityHead(tensors: Map<string, NamedArray>, dim: number): void {
  const weight = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) weight[i * dim + i] = 1;
  tensors.set('0.head.weight', { dtype: 'F32', shape: [dim, dim], values: weight });
  tensors.set('0.head.bias', { dtype: 'F32', shape: [dim], values: new Float32Array(dim) });
}

/**
 * Reads a Hugging Face model folder of a ViTModel, ViTForImageClassification, ResNetModel or
 * ResNetForImageClassification and maps it onto zerograd's VisionTransformer or ResNet. Unknown, missing,
 * mismatched and non-float keys are named in one DataError, as for torchvision files.
 */
export function importHuggingFace(folder: string, options: HuggingFaceImportOptions = {}): HuggingFaceImport {
  const where = join(folder, 'config.json');
  const hf = readJson(where, 'a Hugging Face model config');
  const fields = new HfFields(hf, where);
  const { tensors: read, files, notTensors } = readWeights(folder);
  const keysRead = read.size;
  const architecture = architectureOf(hf, new Set(read.keys()), where);
  const classifier = architecture.endsWith('ForImageClassification');
  const labels = classifier ? labelsOf(hf, where) : null;
  const numLabels = labels?.length ?? fields.int('num_labels', 2); // transformers' default num_labels is 2
  if (labels !== null && hf.num_labels !== undefined && hf.num_labels !== labels.length) throw new DataError(`${where}: num_labels ${JSON.stringify(hf.num_labels)} but id2label has ${labels.length} labels`);
  let layer: LayerConfig;
  let plan: PlannedTensor[];
  let summary: string;
  let identity = 0;
  let unusedPrefix: string | null = null;
  let normalization: { normalization: Normalization; channelStats?: ChannelStats };
  const preprocessor = preprocessorOf(folder);
  if (architecture.startsWith('ViT')) {
    if (options.imageSize !== undefined) throw new UsageError(`--image-size: a ViT's image size is config.json's image_size (its position embeddings are for that size)`);
    const prefix = classifier ? 'vit.' : '';
    const { options: o, head } = hfVitOptions(fields, classifier, read.has('pooler.dense.weight'), numLabels);
    if (classifier) unusedPrefix = 'vit.pooler.'; // ViTForImageClassification is built without the pooler
    if (head === 'identity') identity = o.dim;
    layer = { type: 'VisionTransformer', ...o };
    plan = hfVitPlan(o, prefix, head);
    summary = `VisionTransformer, ${o.depth} blocks of width ${o.dim}, ${o.heads} heads, MLP ${o.mlpRatio * o.dim}, ${o.patchSize}x${o.patchSize} patches, layer norm eps ${o.layerNormEps}${o.qkvBias ? '' : ', no q/k/v bias'}; output: ${head === 'classifier' ? 'classifier on the class token' : head === 'pooler' ? `pooler (dense + ${o.headActivation})` : 'the class token (no pooler in the file)'}`;
    normalization = normalizationOf(preprocessor, HALF);
  } else {
    const o = hfResnetOptions(fields, classifier ? numLabels : null, options.imageSize ?? processedSide(preprocessor) ?? 224);
    if (!classifier) identity = o.numClasses;
    layer = { type: 'ResNet', ...o };
    plan = hfResnetPlan(o, classifier ? 'resnet.' : '', classifier);
    summary = `ResNet, ${o.block} blocks ${JSON.stringify(o.blocksPerStage)}, widths ${JSON.stringify(o.widths)}; output: ${classifier ? 'classifier on the pooled features' : 'the pooled features'}`;
    normalization = normalizationOf(preprocessor, IMAGENET);
  }
  const unused = unusedPrefix === null ? [] : [...read.keys()].filter((k) => k.startsWith(unusedPrefix as string));
  for (const key of unused) read.delete(key);
  const { tensors, skipped } = mapStateDict(read, plan, files.length === 1 ? files[0] : `${folder} (${files.length} shards)`);
  if (identity > 0) identityHead(tensors, identity);
  checkFinite(tensors, folder);
  const config = importedConfig(layer, options.name ?? `${architecture} (imported from ${folder})`, normalization.normalization, labels ?? undefined, normalization.channelStats);
  return { config, tensors, keysRead, skipped, notTensors, summary: `${architecture}: ${summary}`, architecture, unused };
}
