// `zerograd import SOURCE --out DIR [--arch resnet18|resnet34|resnet50|resnet|vit_b_16|...|vit]`: a torchvision
// ResNet or VisionTransformer state dict (.pth/.pt from torch.save, or .safetensors; --arch needed), or a Hugging
// Face model folder (config.json + model.safetensors; the architecture is read from config.json), as a zerograd
// model folder (io/torchvision-import.ts and io/huggingface-import.ts do the work: keys mapped by a plan computed
// from the architecture, unknown, missing and mismatched keys named, int64 num_batches_tracked skipped).
import type { Command } from 'commander';
import { builtin } from '../../platform/node.js';
import { writeModelFolder } from '../../io/model-folder.js';
import { HF_ARCHITECTURES, importHuggingFace, isFolder } from '../../io/huggingface-import.js';
import { IMPORT_ARCHS, importTorchvision, type TorchvisionImport } from '../../io/torchvision-import.js';
import { UsageError, ZerogradError } from '../../errors.js';
import { describeFsError } from '../../data/files.js';
import { parseInteger } from '../pipeline.js';

const { mkdirSync } = builtin('fs');

/** Flags of `zerograd import`. */
export interface ImportFlags {
  out: string;
  arch?: string;
  imageSize?: string;
  heads?: string;
  name?: string;
}

/** Registers the `import` sub-command. */
export function register(program: Command): void {
  program
    .command('import')
    .description('Write a zerograd model folder from a torchvision ResNet or VisionTransformer state dict (.pth/.pt saved by torch.save, or .safetensors), or from a Hugging Face model folder (config.json + model.safetensors) of a ' + `${HF_ARCHITECTURES.join(', ')}; then run it with zerograd infer.`)
    .argument('<source>', 'a state dict file (torch.save(model.state_dict(), path), PyTorch >= 1.6, or safetensors), or a Hugging Face model folder')
    .requiredOption('--out <dir>', 'the model folder to write (created if missing; files written under temp names, then renamed)')
    .option('--arch <name>', `for a state dict file (required): ${IMPORT_ARCHS.join(', ')} (resnet, vit: a torchvision-layout model whose widths, depths and block or patch size are read from the file); a Hugging Face folder's comes from its config.json`)
    .option('--image-size <n>', "the model's input side, recorded in config.json (default: 224 for ResNets, which take any size >= 32; a ViT's from its position embeddings or config.json)")
    .option('--heads <n>', 'attention heads of --arch vit (default: width / 64, as in ViT-B and ViT-L)')
    .option('--name <name>', 'a name recorded in config.json')
    .action((source: string, flags: ImportFlags) => { runImport(source, flags); });
}

/** The work of `zerograd import`. */
export function runImport(source: string, flags: ImportFlags): void {
  const imageSize = flags.imageSize === undefined ? undefined : parseInteger(flags.imageSize, '--image-size', 32);
  const heads = flags.heads === undefined ? undefined : parseInteger(flags.heads, '--heads', 1);
  const folder = isFolder(source);
  if (folder && flags.arch !== undefined) throw new UsageError(`--arch ${flags.arch}: ${source} is a Hugging Face folder, whose architecture comes from its config.json; --arch is for state dict files`);
  if (folder && heads !== undefined) throw new UsageError(`--heads: ${source} is a Hugging Face folder, whose attention heads come from its config.json`);
  if (!folder && flags.arch === undefined) throw new UsageError(`--arch is required for a state dict file such as ${source} (one of ${IMPORT_ARCHS.join(', ')}); a Hugging Face folder needs none`);
  const imported: TorchvisionImport & { unused?: string[] } = folder
    ? importHuggingFace(source, { imageSize, name: flags.name })
    : importTorchvision(source, { arch: flags.arch as string, imageSize, heads, name: flags.name });
  const { config, tensors, skipped, notTensors } = imported;
  const unused = imported.unused ?? [];
  try {
    mkdirSync(flags.out, { recursive: true });
  } catch (err) {
    throw new ZerogradError(`${flags.out}: cannot create the model folder (${describeFsError(err)})`);
  }
  writeModelFolder(flags.out, config, tensors);
  const values = [...tensors.values()].reduce((n, t) => n + t.values.length, 0);
  console.log(`read    ${source}: ${imported.keysRead} tensors${notTensors.length > 0 ? ` (${notTensors.length} other entries ignored)` : ''}`);
  console.log(`model   ${imported.summary}, ${config.classNames.length} classes, input (N, ${config.inputShape.join(', ')})`);
  const left = [skipped.length > 0 ? `${skipped.length} num_batches_tracked` : '', unused.length > 0 ? `${unused.length} unused by transformers too (${unused.join(', ')})` : ''].filter((s) => s !== '');
  console.log(`mapped  ${tensors.size} tensors (${values.toLocaleString('en-US')} values)${left.length > 0 ? `; skipped ${left.join(', ')}` : ''}`);
  console.log(`wrote   ${flags.out}: config.json, model.safetensors (inputs are not preprocessed by zerograd infer: normalize them as ${folder ? "the model's preprocessor_config.json says" : 'torchvision does'})`);
}
