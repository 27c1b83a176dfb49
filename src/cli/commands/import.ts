// `zerograd import SOURCE --out DIR --arch resnet18|resnet34|resnet50|resnet`: a torchvision ResNet state dict
// (.pth/.pt from torch.save, or .safetensors) as a zerograd model folder. Keys are mapped by a plan computed from
// the architecture; unknown, missing and mismatched keys are named; int64 num_batches_tracked is skipped.
import type { Command } from 'commander';
import { builtin } from '../../platform/node.js';
import { folderConfig, writeModelFolder } from '../../io/model-folder.js';
import { checkFinite } from '../../io/model-config.js';
import { readStateDict } from '../../io/state-dict.js';
import { mapStateDict, resnetOptions, resnetPlan, sequentialOf, TORCHVISION_RESNETS } from '../../io/torchvision.js';
import { UsageError, ZerogradError } from '../../errors.js';
import { describeFsError } from '../../data/files.js';
import { parseInteger } from '../pipeline.js';

const { mkdirSync } = builtin('fs');

/** Flags of `zerograd import`. */
export interface ImportFlags {
  out: string;
  arch: string;
  imageSize: string;
  name?: string;
}

const ARCHS = [...Object.keys(TORCHVISION_RESNETS), 'resnet'];

/** torchvision's normalization (mean 0.485/0.456/0.406, std 0.229/0.224/0.225) averaged over channels: config.json holds one mean and std. */
export const IMAGENET_NORMALIZATION = { kind: 'standardize', mean: 0.449, std: 0.226 } as const;

/** Registers the `import` sub-command. */
export function register(program: Command): void {
  program
    .command('import')
    .description('Write a zerograd model folder from a torchvision ResNet state dict (.pth/.pt saved by torch.save, or .safetensors); then run it with zerograd infer.')
    .argument('<source>', 'the state dict file: torch.save(model.state_dict(), path) (PyTorch >= 1.6) or safetensors')
    .requiredOption('--out <dir>', 'the model folder to write (created if missing; files written under temp names, then renamed)')
    .requiredOption('--arch <name>', `${ARCHS.join(', ')} (resnet: a torchvision-layout ResNet whose widths, depths and block are read from the file)`)
    .option('--image-size <n>', "the model's input side, recorded in config.json (ResNets take any size >= 32)", '224')
    .option('--name <name>', 'a name recorded in config.json')
    .action((source: string, flags: ImportFlags) => { runImport(source, flags); });
}

/** The work of `zerograd import`. */
export function runImport(source: string, flags: ImportFlags): void {
  if (!ARCHS.includes(flags.arch)) throw new UsageError(`--arch ${flags.arch}: not an architecture zerograd imports; expected one of ${ARCHS.join(', ')}`);
  const imageSize = parseInteger(flags.imageSize, '--image-size', 32);
  const { tensors: read, skipped: notTensors } = readStateDict(source);
  const keys = read.size;
  const options = resnetOptions(flags.arch, read, imageSize, source);
  const { tensors, skipped } = mapStateDict(read, resnetPlan(options), source);
  checkFinite(tensors, source);
  const inputShape = [options.channels, imageSize, imageSize];
  const config = folderConfig(sequentialOf({ type: 'ResNet', ...options }, inputShape), inputShape, {
    name: flags.name ?? `${flags.arch} (imported from ${source})`,
    preprocessing: { normalization: { ...IMAGENET_NORMALIZATION }, layout: 'image', rows: imageSize, cols: imageSize },
    classNames: Array.from({ length: options.numClasses }, (_, i) => String(i)),
  });
  try {
    mkdirSync(flags.out, { recursive: true });
  } catch (err) {
    throw new ZerogradError(`${flags.out}: cannot create the model folder (${describeFsError(err)})`);
  }
  writeModelFolder(flags.out, config, tensors);
  const values = [...tensors.values()].reduce((n, t) => n + t.values.length, 0);
  const { block, blocksPerStage, widths } = options;
  console.log(`read    ${source}: ${keys} tensors${notTensors.length > 0 ? ` (${notTensors.length} other entries ignored)` : ''}`);
  console.log(`model   ResNet, ${block} blocks ${JSON.stringify(blocksPerStage)}, widths ${JSON.stringify(widths)}, ${options.numClasses} classes, input (N, ${inputShape.join(', ')})`);
  console.log(`mapped  ${tensors.size} tensors (${values.toLocaleString('en-US')} values); skipped ${skipped.length} num_batches_tracked`);
  console.log(`wrote   ${flags.out}: config.json, model.safetensors (inputs are not preprocessed by zerograd infer: normalize them as torchvision does)`);
}
