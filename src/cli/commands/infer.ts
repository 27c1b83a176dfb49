// `zerograd infer --model DIR --input X.npy --out Y.npy`: runs a model folder on a NumPy array in the
// model's input layout (no preprocessing) and writes its logits, float32 (N, classes), as .npy.
// The array-in / array-out path NumPy and PyTorch users expect.
import type { Command } from 'commander';
import { DataError, UsageError } from '../../errors.js';
import { loadModel } from '../../io/model-folder.js';
import { readNpy, encodeNpy } from '../../io/npy.js';
import type { Sequential } from '../../nn/layers/sequential.js';
import { tensor } from '../../ops/create.js';
import { writeOutput } from '../../serve/load.js';
import { noGrad, scope } from '../../tensor/engine.js';
import { activateBackend, parseInteger } from '../pipeline.js';

/** Flags of `zerograd infer`. */
export interface InferFlags {
  model: string;
  input: string;
  out: string;
  batchSize: string;
  backend: string;
  threads?: string;
}

/** Registers the `infer` sub-command. */
export function register(program: Command): void {
  program
    .command('infer')
    .description("Run a saved model on a NumPy .npy array in the model's input layout (no preprocessing) and write its logits, float32 (N, classes), as .npy.")
    .requiredOption('--model <dir>', 'a saved model folder (e.g. models/mnist-cnn)')
    .requiredOption('--input <file>', ".npy array of shape (N, ...input shape), e.g. (N, 1, 28, 28) or (N, 784); one example without the batch axis is read as N = 1; float32 or any little-endian number dtype")
    .requiredOption('--out <file>', '.npy file for the logits, float32 (N, classes); written atomically')
    .option('--batch-size <n>', 'examples per forward pass', '256')
    .option('--backend <name>', 'wasm or cpu', 'wasm')
    .option('--threads <n>', 'worker threads of the wasm backend')
    .action(async (flags: InferFlags) => { await runInfer(flags); });
}

const formatShape = (shape: readonly (number | string)[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

/** The number of examples in an array of `shape` for a model taking `inputShape`, or a DataError naming both shapes. */
export function examplesIn(shape: readonly number[], inputShape: readonly number[], where: string): number {
  const same = (a: readonly number[]): boolean => a.length === inputShape.length && a.every((d, i) => d === inputShape[i]);
  if (shape.length === inputShape.length + 1 && same(shape.slice(1))) return shape[0];
  if (same(shape)) return 1;
  throw new DataError(`${where}: an array of shape ${formatShape(shape)} does not fit the model's input ${formatShape(['N', ...inputShape])} (or one example ${formatShape(inputShape)}); reshape it, e.g. x.reshape(-1, ${inputShape.join(', ')})`);
}

/** Logits of `count` examples (C order, `inputShape` each), `batchSize` at a time: (count * classes) values and the class count. */
export function logitsOf(model: Sequential, values: Float32Array, count: number, inputShape: readonly number[], batchSize: number, classes: number): Float32Array {
  const features = inputShape.reduce((p, d) => p * d, 1);
  model.eval();
  const out = new Float32Array(count * classes);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const batch = values.subarray(start * features, (start + size) * features);
    const logits = noGrad(() => scope(() => model.forwardLogits(tensor(batch, { shape: [size, ...inputShape] })).data() as Float32Array)); // (B, ...input) -> (B, classes)
    if (logits.length !== size * classes) throw new DataError(`infer: the model gave ${logits.length / size} outputs per example, its config names ${classes} classes`);
    out.set(logits, start * classes);
  }
  return out;
}

/** The work of `zerograd infer`. */
export async function runInfer(flags: InferFlags): Promise<void> {
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  if (!flags.out.endsWith('.npy')) throw new UsageError(`--out ${flags.out}: expected a .npy file name`);
  await activateBackend(flags.backend, threads);
  const { model, config } = loadModel(flags.model);
  const input = readNpy(flags.input);
  const count = examplesIn(input.shape, config.inputShape, flags.input);
  const classes = config.classNames.length;
  const logits = logitsOf(model, input.values, count, config.inputShape, batchSize, classes);
  writeOutput(flags.out, encodeNpy(logits, [count, classes]));
  console.log(`model   ${flags.model} (input ${formatShape(['N', ...config.inputShape])}, ${classes} classes)`);
  console.log(`input   ${flags.input}: ${formatShape(input.shape)} ${input.descr}${input.descr === '<f4' ? '' : ' (read as float32)'}`);
  console.log(`wrote   ${flags.out}: logits ${formatShape([count, classes])} float32`);
}
