// `zerograd explain --model DIR IMAGE --out FILE.png`: a saliency map of the predicted class (or
// --target), by integrated gradients or gradient × input, drawn over the preprocessed digit.
import type { Command } from 'commander';
import { DEFAULT_MAX_IMAGE_PIXELS, encodePng, readDigitFile } from '../../data/image.js';
import { UsageError } from '../../errors.js';
import { digitImage, saliencyOverlay, sideBySide } from '../../explain/overlay.js';
import { saliency, SALIENCY_METHODS, type SaliencyMethod } from '../../explain/saliency.js';
import { loadClassifier, positiveIntegerFlag, writeOutput } from '../../serve/load.js';

interface ExplainFlags {
  model: string;
  out: string;
  method: string;
  steps: string;
  target?: string;
  scale: string;
  threads?: string;
  maxImagePixels?: string;
}

/** Registers the `explain` sub-command. */
export function register(program: Command): void {
  program
    .command('explain')
    .description('Write a PNG of the digit beside its saliency map: red pixels raise the class score, blue ones lower it.')
    .argument('<image>', 'a PNG or JPEG file')
    .requiredOption('--model <dir>', 'a saved model folder (e.g. models/mnist-cnn)')
    .requiredOption('--out <file.png>', 'where to write the picture')
    .option('--method <name>', `${SALIENCY_METHODS.join(' or ')}`, 'integrated-gradients')
    .option('--steps <n>', 'path steps of integrated gradients', '32')
    .option('--target <class>', 'explain this class instead of the predicted one (index or class name)')
    .option('--scale <n>', 'pixels per input pixel in the picture', '10')
    .option('--threads <n>', 'worker threads of the WebAssembly engine (default: all cores)')
    .option('--max-image-pixels <n>', 'refuse images with more pixels (width x height) than this, before decoding', String(DEFAULT_MAX_IMAGE_PIXELS))
    .action((image: string, flags: ExplainFlags) => runExplain(image, flags));
}

/** The work of `zerograd explain`. */
export async function runExplain(image: string, flags: ExplainFlags): Promise<void> {
  if (!SALIENCY_METHODS.includes(flags.method as SaliencyMethod)) throw new UsageError(`--method must be ${SALIENCY_METHODS.join(' or ')}, got '${flags.method}'`);
  if (!flags.out.toLowerCase().endsWith('.png')) throw new UsageError(`--out must name a .png file, got '${flags.out}'`);
  const steps = positiveIntegerFlag(flags.steps, '--steps', 1, 256) as number;
  const scale = positiveIntegerFlag(flags.scale, '--scale', 1, 64) as number;
  const maxPixels = positiveIntegerFlag(flags.maxImagePixels, '--max-image-pixels', 1, 2 ** 28);
  const { loaded, classifier } = await loadClassifier(flags.model, { threads: positiveIntegerFlag(flags.threads, '--threads', 1, 64) });
  const pixels = readDigitFile(image, { maxPixels });
  const [prediction] = classifier.predict(pixels);
  const target = flags.target === undefined ? prediction.label : parseTarget(flags.target, classifier.classNames);
  const background = classifier.normalize(new Float32Array(1))[0]; // a blank pixel, as the model sees it
  const scores = saliency(classifier.model, classifier.normalize(pixels), target, { method: flags.method as SaliencyMethod, steps, baseline: background });
  const { rows, cols } = loaded.config.preprocessing;
  const picture = sideBySide([digitImage(pixels, rows, cols, scale), saliencyOverlay(pixels, scores, rows, cols, scale)], cols * scale, rows * scale);
  const path = writeOutput(flags.out, encodePng(new Uint8Array(picture.data.buffer), picture.width, picture.height, 4));
  const method = flags.method === 'gradient-input' ? 'gradient × input' : `integrated gradients (${steps} steps)`;
  console.log(`predicted ${prediction.className} (${(prediction.probabilities[prediction.label] * 100).toFixed(1)}%); ${method} for class ${classifier.classNames[target]}`);
  console.log(`wrote ${path}`);
}

function parseTarget(text: string, classNames: readonly string[]): number {
  const byName = classNames.indexOf(text);
  if (byName >= 0) return byName;
  const index = Number(text);
  if (Number.isInteger(index) && index >= 0 && index < classNames.length) return index;
  throw new UsageError(`--target must be a class index 0..${classNames.length - 1} or one of ${classNames.join(', ')}, got '${text}'`);
}
