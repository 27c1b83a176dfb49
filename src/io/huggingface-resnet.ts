// Hugging Face ResNetModel and ResNetForImageClassification (transformers' models/resnet/modeling_resnet.py) as
// zerograd's ResNet with the 'imagenet' stem: the options read from config.json (transformers' ResNetConfig
// defaults: resnet-50's layout) and the key plan, which is torchvision's plan (resnetPlan) with HF's names: the
// numerics are the same (7x7/2 conv, batch norm eps 1e-5, ReLU, 3x3/2 max pool; basic or bottleneck layers with
// the stride on the 3x3 conv and a 1x1 conv + batch norm shortcut where the width or stride changes).
import { DataError } from '../errors.js';
import { RESNET_DEFAULTS, BottleneckBlock, type ResNetOptions } from '../nn/layers/resnet.js';
import type { HfFields } from './huggingface-config.js';
import { resnetPlan, type PlannedTensor } from './torchvision.js';

/** The ResNet options of a HF ResNet config.json; `numClasses` is num_labels, or the feature width for ResNetModel. */
export function hfResnetOptions(fields: HfFields, numLabels: number | null, imageSize: number): Required<ResNetOptions> {
  const { where } = fields;
  const layerType = fields.string('layer_type', 'bottleneck');
  if (layerType !== 'basic' && layerType !== 'bottleneck') throw new DataError(`${where}: layer_type is ${JSON.stringify(layerType)}, expected "basic" or "bottleneck"`);
  const act = fields.string('hidden_act', 'relu');
  if (act !== 'relu') throw new DataError(`${where}: hidden_act is ${JSON.stringify(act)}; zerograd's ResNet uses "relu"`);
  if (fields.bool('downsample_in_first_stage', false)) throw new DataError(`${where}: downsample_in_first_stage is true; zerograd's ResNet keeps the first stage's resolution (as resnet-18 to -152 do)`);
  const bottleneck = layerType === 'bottleneck';
  if (bottleneck && fields.bool('downsample_in_bottleneck', false)) throw new DataError(`${where}: downsample_in_bottleneck is true (the stride on the first 1x1 conv); zerograd's bottleneck puts it on the 3x3 conv, as resnet-50 does`);
  const hiddenSizes = fields.ints('hidden_sizes', [256, 512, 1024, 2048]);
  const depths = fields.ints('depths', [3, 4, 6, 3]);
  if (depths.length !== hiddenSizes.length) throw new DataError(`${where}: depths has ${depths.length} stages, hidden_sizes ${hiddenSizes.length}; expected one depth per stage`);
  const expansion = bottleneck ? BottleneckBlock.expansion : 1;
  if (hiddenSizes.some((h) => h % expansion !== 0)) throw new DataError(`${where}: hidden_sizes ${JSON.stringify(hiddenSizes)} are not multiples of 4, as bottleneck layers need`);
  const widths = hiddenSizes.map((h) => h / expansion);
  const embedding = fields.int('embedding_size', 64);
  if (embedding !== widths[0]) {
    throw new DataError(`${where}: embedding_size ${embedding} differs from ${bottleneck ? 'hidden_sizes[0] / 4' : 'hidden_sizes[0]'} (${widths[0]}); zerograd's ResNet stem is as wide as its first stage`);
  }
  return {
    ...RESNET_DEFAULTS, channels: fields.int('num_channels', 3), imageSize, stem: 'imagenet', block: layerType, widths, blocksPerStage: depths,
    numClasses: numLabels ?? hiddenSizes[hiddenSizes.length - 1],
  };
}

/** A torchvision ResNet key as transformers names it (`prefix`: 'resnet.' for ResNetForImageClassification). */
export function hfResnetKey(torchvisionKey: string, prefix: string): string {
  const stage = (i: string, j: string) => `${prefix}encoder.stages.${Number(i) - 1}.layers.${j}`;
  const rules: [RegExp, (...m: string[]) => string][] = [
    [/^conv1\.weight$/, () => `${prefix}embedder.embedder.convolution.weight`],
    [/^bn1\.(\w+)$/, (x) => `${prefix}embedder.embedder.normalization.${x}`],
    [/^layer(\d+)\.(\d+)\.conv(\d)\.weight$/, (i, j, k) => `${stage(i, j)}.layer.${Number(k) - 1}.convolution.weight`],
    [/^layer(\d+)\.(\d+)\.bn(\d)\.(\w+)$/, (i, j, k, x) => `${stage(i, j)}.layer.${Number(k) - 1}.normalization.${x}`],
    [/^layer(\d+)\.(\d+)\.downsample\.0\.weight$/, (i, j) => `${stage(i, j)}.shortcut.convolution.weight`],
    [/^layer(\d+)\.(\d+)\.downsample\.1\.(\w+)$/, (i, j, x) => `${stage(i, j)}.shortcut.normalization.${x}`],
    [/^fc\.(weight|bias)$/, (x) => `classifier.1.${x}`],
  ];
  for (const [pattern, name] of rules) {
    const m = pattern.exec(torchvisionKey);
    if (m) return name(...m.slice(1));
  }
  throw new DataError(`hfResnetKey: no Hugging Face name for ${torchvisionKey}`); // resnetPlan names only the keys above
}

/** The tensors of a ResNet with `options`, keyed as transformers names them; ResNetModel (`classifier` false) has no fc. */
export function hfResnetPlan(options: Readonly<Required<ResNetOptions>>, prefix: string, classifier: boolean): PlannedTensor[] {
  return resnetPlan(options)
    .filter((p) => classifier || !p.source.startsWith('fc.'))
    .map((p) => ({ ...p, source: hfResnetKey(p.source, prefix) }));
}
