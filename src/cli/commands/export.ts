// `zerograd export --model DIR --format onnx --out FILE.onnx`: writes the model as ONNX (pixels 0-1 in,
// probabilities out); `--check` runs the file in onnxruntime on MNIST test images and compares.
// `--format pytorch --out FOLDER` writes FOLDER/model.py and FOLDER/model.safetensors (logits out).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadMnist } from '../../data/mnist.js';
import { UsageError, ZerogradError } from '../../errors.js';
import { checkOnnx } from '../../export/check.js';
import { exportOnnx } from '../../export/onnx.js';
import { exportPytorch, PYTORCH_SOURCE_FILE, PYTORCH_WEIGHTS_FILE } from '../../export/pytorch.js';
import { loadModel, writeFilesAtomic } from '../../io/model-folder.js';
import { loadClassifier, positiveIntegerFlag, writeOutput } from '../../serve/load.js';

interface ExportFlags {
  model: string;
  format: string;
  out: string;
  check?: boolean;
  examples: string;
}

/** Largest probability difference accepted by --check. */
export const ONNX_TOLERANCE = 1e-4;

/** Registers the `export` sub-command. */
export function register(program: Command): void {
  program
    .command('export')
    .description('Export a saved model to ONNX (input: pixels 0-1, shape (batch, 1, 28, 28); output: class probabilities) or to PyTorch (a folder with model.py and model.safetensors; output: logits).')
    .requiredOption('--model <dir>', 'a saved model folder (e.g. models/mnist-cnn)')
    .requiredOption('--out <path>', 'onnx: the .onnx file to write; pytorch: the folder to write model.py and model.safetensors into (created if missing)')
    .option('--format <name>', 'onnx or pytorch', 'onnx')
    .option('--check', `onnx only: run the file in onnxruntime-node on MNIST test images and compare with zerograd (max abs difference <= ${ONNX_TOLERANCE})`)
    .option('--examples <n>', 'test images for --check', '256')
    .action((flags: ExportFlags) => runExport(flags));
}

/** The work of `zerograd export`. */
export async function runExport(flags: ExportFlags): Promise<void> {
  if (flags.format === 'pytorch') return runPytorchExport(flags);
  if (flags.format !== 'onnx') throw new UsageError(`--format must be onnx or pytorch, got '${flags.format}'`);
  if (!flags.out.toLowerCase().endsWith('.onnx')) throw new UsageError(`--out must name a .onnx file, got '${flags.out}'`);
  const examples = positiveIntegerFlag(flags.examples, '--examples', 1, 10_000) as number;
  const { loaded, classifier } = await loadClassifier(flags.model);
  const { config } = loaded;
  const bytes = exportOnnx(loaded.model, { name: config.name, normalization: config.preprocessing.normalization, classNames: config.classNames });
  const path = writeOutput(flags.out, bytes);
  console.log(`wrote ${path} (${(bytes.length / 1024).toFixed(1)} KiB, ONNX, input 'pixels' (batch, ${config.inputShape.join(', ')}), output 'probabilities' (batch, ${config.classNames.length}))`);
  if (!flags.check) return;
  const test = loadMnist().test;
  if (!test) throw new UsageError('--check: the embedded MNIST has no test split');
  const count = Math.min(examples, test.count);
  const features = test.rows * test.cols;
  const pixels = Float32Array.from(test.pixels.subarray(0, count * features), (v) => v / 255);
  const result = await checkOnnx(bytes, classifier, pixels);
  const ok = result.maxAbsDiff <= ONNX_TOLERANCE && result.labelMismatches === 0;
  console.log(`check: onnxruntime vs zerograd on ${result.examples} MNIST test images: max abs difference ${result.maxAbsDiff.toExponential(2)}, ${result.labelMismatches} label mismatches — ${ok ? 'OK' : 'FAILED'}`);
  if (!ok) throw new ZerogradError(`the ONNX file disagrees with zerograd by more than ${ONNX_TOLERANCE}`);
}

/** `--format pytorch`: OUT/model.py and OUT/model.safetensors, both replaced whole. */
function runPytorchExport(flags: ExportFlags): void {
  if (flags.check) throw new UsageError('--check runs ONNX files only; for --format pytorch run `python OUT/model.py` (a self-check) or compare with `zerograd infer`');
  if (flags.out.toLowerCase().endsWith('.onnx') || flags.out.toLowerCase().endsWith('.py')) throw new UsageError(`--out for --format pytorch names a folder, got '${flags.out}'`);
  const { model, config } = loadModel(flags.model);
  const exported = exportPytorch(model, {
    name: config.name, source: flags.model, normalization: config.preprocessing.normalization, channelStats: config.preprocessing.channelStats, classNames: config.classNames,
  });
  try {
    mkdirSync(flags.out, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${flags.out}: cannot create the folder (${(err as Error).message})`);
  }
  writeFilesAtomic(flags.out, { [PYTORCH_WEIGHTS_FILE]: exported.weights, [PYTORCH_SOURCE_FILE]: exported.source });
  const values = [...exported.tensors.values()].reduce((n, t) => n + t.values.length, 0);
  console.log(`wrote ${join(flags.out, PYTORCH_SOURCE_FILE)} (${exported.rootClass}) and ${join(flags.out, PYTORCH_WEIGHTS_FILE)} (${exported.tensors.size} tensors, ${values.toLocaleString('en-US')} values, ${(exported.weights.length / 1024).toFixed(1)} KiB)`);
  console.log(`input (N, ${config.inputShape.join(', ')}) normalized as config.json says (preprocess() in model.py); output logits (N, ${config.classNames.length}); load with load_model() from model.py`);
}
