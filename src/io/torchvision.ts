// torchvision checkpoints as zerograd models: which architecture a `--arch` name is, and the key plan that maps
// a torchvision 0.14 ResNet state dict (conv1, bn1, layer{1-4}.{j}.conv1 / bn1 / downsample.0 / downsample.1, fc)
// onto zerograd's ResNet inside a Sequential (0.stem, 0.stemBn, 0.stages.{i}.{j}.conv1 / shortcutConv, 0.head).
// The plan is computed from the architecture alone, so importing never builds a model with weights of its own.
import { DataError, UsageError } from '../errors.js';
import type { LayerConfig } from '../nn/module.js';
import { BottleneckBlock, RESNET_DEFAULTS, stageDepths, type ResNetOptions } from '../nn/layers/resnet.js';
import type { NamedArray } from './safetensors.js';
import type { StateTensor } from './torch-checkpoint.js';

/** One tensor the architecture needs: its torchvision key and shape there, its zerograd name and shape. */
export interface PlannedTensor {
  source: string;
  sourceShape: number[];
  target: string;
  shape: number[];
  /** Turns the source's values into the target's (default: as they are); `read` gives other source tensors. */
  convert?: (values: Float32Array, read: (key: string) => Float32Array) => Float32Array;
}

/** (rows, cols) values as (cols, rows): torch's Linear holds (out, in), zerograd's Dense (in, out). */
export function transposed(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const tile = 32; // tiles of 32x32 keep reads and writes in cache (a 3072x768 matrix: 24 ms, 42 without)
  for (let r0 = 0; r0 < rows; r0 += tile) {
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const [r1, c1] = [Math.min(r0 + tile, rows), Math.min(c0 + tile, cols)];
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = values[r * cols + c];
    }
  }
  return out;
}

/** A Linear's weight (out, in) as a Dense's (in, out). */
export const linearWeight = (source: string, target: string, out: number, inputs: number): PlannedTensor =>
  ({ source, sourceShape: [out, inputs], target, shape: [inputs, out], convert: (v) => transposed(v, out, inputs) });

/** A tensor copied as it is. */
export const same = (source: string, target: string, shape: number[]): PlannedTensor => ({ source, sourceShape: shape, target, shape });

/** The torchvision ResNets `zerograd import --arch` names; `resnet` reads widths, depths and block from the file. */
export const TORCHVISION_RESNETS: Record<string, { block: 'basic' | 'bottleneck'; blocksPerStage: number[] }> = {
  resnet18: { block: 'basic', blocksPerStage: [2, 2, 2, 2] },
  resnet34: { block: 'basic', blocksPerStage: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', blocksPerStage: [3, 4, 6, 3] },
};
const TORCHVISION_WIDTHS = [64, 128, 256, 512];

const BN_KEYS: [string, string][] = [['weight', 'weight'], ['bias', 'bias'], ['running_mean', 'runningMean'], ['running_var', 'runningVar']];

/** The tensors of a ResNet with `options` (a Sequential's layer 0), keyed as torchvision names them. */
export function resnetPlan(options: Readonly<Required<ResNetOptions>>): PlannedTensor[] {
  const plan: PlannedTensor[] = [];
  const conv = (source: string, target: string, out: number, inC: number, k: number) => plan.push(same(`${source}.weight`, `0.${target}.weight`, [out, inC, k, k]));
  const bn = (source: string, target: string, channels: number) => {
    for (const [from, to] of BN_KEYS) plan.push(same(`${source}.${from}`, `0.${target}.${to}`, [channels]));
  };
  const { widths, channels, stem, block, numClasses } = options;
  conv('conv1', 'stem', widths[0], channels, stem === 'imagenet' ? 7 : 3);
  bn('bn1', 'stemBn', widths[0]);
  let inChannels = widths[0];
  stageDepths(options).forEach((depth, i) => {
    for (let j = 0; j < depth; j++) {
      const [from, to] = [`layer${i + 1}.${j}`, `stages.${i}.${j}`];
      const width = widths[i];
      const out = block === 'bottleneck' ? width * BottleneckBlock.expansion : width;
      if (block === 'bottleneck') {
        conv(`${from}.conv1`, `${to}.conv1`, width, inChannels, 1);
        bn(`${from}.bn1`, `${to}.bn1`, width);
        conv(`${from}.conv2`, `${to}.conv2`, width, width, 3);
        bn(`${from}.bn2`, `${to}.bn2`, width);
        conv(`${from}.conv3`, `${to}.conv3`, out, width, 1);
        bn(`${from}.bn3`, `${to}.bn3`, out);
      } else {
        conv(`${from}.conv1`, `${to}.conv1`, out, inChannels, 3);
        bn(`${from}.bn1`, `${to}.bn1`, out);
        conv(`${from}.conv2`, `${to}.conv2`, out, out, 3);
        bn(`${from}.bn2`, `${to}.bn2`, out);
      }
      if ((i > 0 && j === 0) || inChannels !== out) { // stride 2 or a change of width: a projection shortcut
        conv(`${from}.downsample.0`, `${to}.shortcutConv`, out, inChannels, 1);
        bn(`${from}.downsample.1`, `${to}.shortcutBn`, out);
      }
      inChannels = out;
    }
  });
  plan.push(linearWeight('fc.weight', '0.head.weight', numClasses, inChannels), same('fc.bias', '0.head.bias', [numClasses]));
  return plan;
}

/** Batch norm's step counter: int64, no part of the numerics. */
const isSkippable = (key: string, t: StateTensor): boolean => key.endsWith('num_batches_tracked') && (t.dtype === 'I64' || t.dtype === 'I32');

/** The ResNet options of `arch` for the state dict `tensors` (numClasses from fc; `resnet`: everything from the keys). */
export function resnetOptions(arch: string, tensors: ReadonlyMap<string, StateTensor>, imageSize: number, where: string): Required<ResNetOptions> {
  const fc = tensors.get('fc.weight');
  if (fc === undefined || fc.shape.length !== 2) throw new DataError(`${where}: no fc.weight of shape (classes, features); not a torchvision ResNet state dict (keys: ${[...tensors.keys()].slice(0, 6).join(', ')}${tensors.size > 6 ? ', ...' : ''})`);
  const base = { ...RESNET_DEFAULTS, channels: 3, imageSize, stem: 'imagenet' as const, numClasses: fc.shape[0] };
  const known = TORCHVISION_RESNETS[arch];
  if (known) return { ...base, ...known, blocksPerStage: [...known.blocksPerStage], widths: [...TORCHVISION_WIDTHS] };
  if (arch !== 'resnet') throw new UsageError(`--arch ${arch}: not an architecture zerograd imports; expected one of ${[...Object.keys(TORCHVISION_RESNETS), 'resnet'].join(', ')}`);
  const depths: number[] = [];
  const widths: number[] = [];
  for (let i = 1; tensors.has(`layer${i}.0.conv1.weight`); i++) {
    let j = 0;
    while (tensors.has(`layer${i}.${j}.conv1.weight`)) j++;
    depths.push(j);
    widths.push((tensors.get(`layer${i}.0.conv1.weight`) as StateTensor).shape[0]);
  }
  if (depths.length === 0) throw new DataError(`${where}: no layer1.0.conv1.weight; not a torchvision ResNet state dict`);
  const block = tensors.has('layer1.0.conv3.weight') ? 'bottleneck' as const : 'basic' as const;
  return { ...base, widths, blocksPerStage: depths, block, channels: (tensors.get('conv1.weight')?.shape[1]) ?? 3 };
}

/** A list of names for a message: the first `limit`, then how many more. */
const listed = (names: string[], limit = 8): string => names.slice(0, limit).join(', ') + (names.length > limit ? `, ... (${names.length} in all)` : '');

/**
 * Moves the tensors of `source` to their zerograd names as `plan` says, as float32, converted where planned; every
 * unknown, missing, mismatched or non-float key is reported by name in one DataError. Entries are taken out of
 * `source` after their last use, so no more than one extra copy of one tensor exists at a time.
 */
export function mapStateDict(source: Map<string, StateTensor>, plan: readonly PlannedTensor[], where: string): { tensors: Map<string, NamedArray>; skipped: string[] } {
  const planned = new Set(plan.map((p) => p.source));
  const usesLeft = new Map<string, number>();
  for (const p of plan) usesLeft.set(p.source, (usesLeft.get(p.source) ?? 0) + 1);
  const skipped = [...source].filter(([key, t]) => !planned.has(key) && isSkippable(key, t)).map(([key]) => key);
  const unknown = [...source.keys()].filter((key) => !planned.has(key) && !skipped.includes(key));
  const missing = plan.filter((p) => !source.has(p.source)).map((p) => p.source);
  const problems: string[] = [];
  if (unknown.length > 0) problems.push(`unknown keys ${listed(unknown)}`);
  if (missing.length > 0) problems.push(`missing keys ${listed(missing)}`);
  const mismatched: string[] = [];
  const badTypes: string[] = [];
  const checked = new Set<string>();
  for (const p of plan) {
    const t = source.get(p.source);
    if (t === undefined || checked.has(p.source)) continue;
    checked.add(p.source);
    const want = p.sourceShape;
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) mismatched.push(`${p.source} is (${t.shape.join(', ')}), expected (${want.join(', ')})`);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64') badTypes.push(`${p.source} (${t.dtype})`);
  }
  if (mismatched.length > 0) problems.push(`shape mismatches: ${listed(mismatched, 6)}`);
  if (badTypes.length > 0) problems.push(`non-float tensors ${listed(badTypes)}`);
  if (problems.length > 0) throw new DataError(`${where}: does not fit the architecture: ${problems.join('; ')}`);

  const float32 = (key: string): Float32Array => {
    const t = source.get(key) as StateTensor;
    if (!(t.values instanceof Float32Array)) source.set(key, { ...t, values: Float32Array.from(t.values) }); // F64, once
    return (source.get(key) as StateTensor).values as Float32Array;
  };
  const tensors = new Map<string, NamedArray>();
  for (const p of plan) {
    const values = p.convert ? p.convert(float32(p.source), float32) : float32(p.source);
    const left = (usesLeft.get(p.source) as number) - 1;
    usesLeft.set(p.source, left);
    if (left === 0) source.delete(p.source);
    tensors.set(p.target, { dtype: 'F32', shape: [...p.shape], values });
  }
  return { tensors, skipped };
}

/** A Sequential architecture config around one imported layer, as config.json stores it. */
export const sequentialOf = (layer: LayerConfig, inputShape: number[]): LayerConfig => ({ type: 'Sequential', layers: [layer], inputShape });
