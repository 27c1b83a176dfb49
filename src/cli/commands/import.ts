// `zerograd import SOURCE --out DIR --arch resnet18|resnet34|resnet50|resnet|vit_b_16|...|vit`: a torchvision
// ResNet or VisionTransformer state dict (.pth/.pt from torch.save, or .safetensors) as a zerograd model folder.
// Keys are mapped by a plan computed from the architecture; unknown, missing and mismatched keys are named;
// int64 num_batches_tracked is skipped.
import type { Command } from 'commander';
import { builtin } from '../../platform/node.js';
import { folderConfig, writeModelFolder } from '../../io/model-folder.js';
import { checkFinite } from '../../io/model-config.js';
import { readStateDict } from '../../io/state-dict.js';
import { mapStateDict, resnetOptions, resnetPlan, sequentialOf, TORCHVISION_RESNETS, type PlannedTensor } from '../../io/torchvision.js';
import { TORCHVISION_VITS, vitOptions, vitPlan } from '../../io/torchvision-vit.js';
import type { StateTensor } from '../../io/torch-checkpoint.js';
import type { LayerConfig } from '../../nn/module.js';
import { UsageError, ZerogradError } from '../../errors.js';
import { describeFsError } from '../../data/files.js';
import { parseInteger } from '../pipeline.js';

const { mkdirSync } = builtin('fs');

/** Flags of `zerograd import`. */
export interface ImportFlags {
  out: string;
  arch: string;
  imageSize?: string;
  heads?: string;
  name?: string;
}

const RESNETS = [...Object.keys(TORCHVISION_RESNETS), 'resnet'];
const VITS = [...Object.keys(TORCHVISION_VITS), 'vit'];
const ARCHS = [...RESNETS, ...VITS];

/** torchvision's normalization (mean 0.485/0.456/0.406, std 0.229/0.224/0.225) averaged over channels: config.json holds one mean and std. */
export const IMAGENET_NORMALIZATION = { kind: 'standardize', mean: 0.449, std: 0.226 } as const;

/** Registers the `import` sub-command. */
export function register(program: Command): void {
  program
    .command('import')
    .description('Write a zerograd model folder from a torchvision ResNet or VisionTransformer state dict (.pth/.pt saved by torch.save, or .safetensors); then run it with zerograd infer.')
    .argument('<source>', 'the state dict file: torch.save(model.state_dict(), path) (PyTorch >= 1.6) or safetensors')
    .requiredOption('--out <dir>', 'the model folder to write (created if missing; files written under temp names, then renamed)')
    .requiredOption('--arch <name>', `${ARCHS.join(', ')} (resnet, vit: a torchvision-layout model whose widths, depths and block or patch size are read from the file)`)
    .option('--image-size <n>', "the model's input side, recorded in config.json (default: 224 for ResNets, which take any size >= 32; a ViT's from its position embeddings)")
    .option('--heads <n>', 'attention heads of --arch vit (default: width / 64, as in ViT-B and ViT-L)')
    .option('--name <name>', 'a name recorded in config.json')
    .action((source: string, flags: ImportFlags) => { runImport(source, flags); });
}

/** The work of `zerograd import`. */
export function runImport(source: string, flags: ImportFlags): void {
  if (!ARCHS.includes(flags.arch)) throw new UsageError(`--arch ${flags.arch}: not an architecture zerograd imports; expected one of ${ARCHS.join(', ')}`);
  const givenSize = flags.imageSize === undefined ? undefined : parseInteger(flags.imageSize, '--image-size', 32);
  const heads = flags.heads === undefined ? undefined : parseInteger(flags.heads, '--heads', 1);
  if (heads !== undefined && flags.arch !== 'vit') throw new UsageError(`--heads applies to --arch vit only (${flags.arch} has its own)`);
  const { tensors: read, skipped: notTensors } = readStateDict(source);
  const keys = read.size;
  const { layer, plan, summary } = architectureOf(flags.arch, read, source, givenSize, heads);
  const { tensors, skipped } = mapStateDict(read, plan, source);
  checkFinite(tensors, source);
  const { channels, imageSize, numClasses } = layer as unknown as { channels: number; imageSize: number; numClasses: number };
  const inputShape = [channels, imageSize, imageSize];
  const config = folderConfig(sequentialOf(layer, inputShape), inputShape, {
    name: flags.name ?? `${flags.arch} (imported from ${source})`,
    preprocessing: { normalization: { ...IMAGENET_NORMALIZATION }, layout: 'image', rows: imageSize, cols: imageSize },
    classNames: Array.from({ length: numClasses }, (_, i) => String(i)),
  });
  try {
    mkdirSync(flags.out, { recursive: true });
  } catch (err) {
    throw new ZerogradError(`${flags.out}: cannot create the model folder (${describeFsError(err)})`);
  }
  writeModelFolder(flags.out, config, tensors);
  const values = [...tensors.values()].reduce((n, t) => n + t.values.length, 0);
  console.log(`read    ${source}: ${keys} tensors${notTensors.length > 0 ? ` (${notTensors.length} other entries ignored)` : ''}`);
  console.log(`model   ${summary}, ${numClasses} classes, input (N, ${inputShape.join(', ')})`);
  console.log(`mapped  ${tensors.size} tensors (${values.toLocaleString('en-US')} values)${skipped.length > 0 ? `; skipped ${skipped.length} num_batches_tracked` : ''}`);
  console.log(`wrote   ${flags.out}: config.json, model.safetensors (inputs are not preprocessed by zerograd infer: normalize them as torchvision does)`);
}

/** The layer config, key plan and a one-line description of `arch` for the state dict `read`. */
function architectureOf(arch: string, read: ReadonlyMap<string, StateTensor>, source: string, imageSize?: number, heads?: number): { layer: LayerConfig; plan: PlannedTensor[]; summary: string } {
  if (RESNETS.includes(arch)) {
    const o = resnetOptions(arch, read, imageSize ?? 224, source);
    return { layer: { type: 'ResNet', ...o }, plan: resnetPlan(o), summary: `ResNet, ${o.block} blocks ${JSON.stringify(o.blocksPerStage)}, widths ${JSON.stringify(o.widths)}` };
  }
  const o = vitOptions(arch, read, source, heads, imageSize);
  return { layer: { type: 'VisionTransformer', ...o }, plan: vitPlan(o), summary: `VisionTransformer, ${o.depth} blocks of width ${o.dim}, ${o.heads} heads, MLP ${o.mlpRatio * o.dim}, ${o.patchSize}x${o.patchSize} patches` };
}
