// `zerograd predict --model DIR IMAGE...`: classifies PNG/JPEG images of handwritten digits (any size,
// any colors; MNIST-style preprocessing) and prints each label with its top-3 probabilities, or JSON.
// An unreadable image gets an error line in its place; the others are still classified; exit 1 then.
import type { Command } from 'commander';
import { DEFAULT_MAX_IMAGE_PIXELS, readDigitFile } from '../../data/image.js';
import { DataError, ZerogradError } from '../../errors.js';
import { loadClassifier, positiveIntegerFlag } from '../../serve/load.js';

interface PredictFlags {
  model: string;
  json?: boolean;
  top: string;
  threads?: string;
  maxImagePixels?: string;
}

/** Registers the `predict` sub-command. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('Classify PNG/JPEG images of handwritten digits with a saved model; prints the label and the top-3 probabilities.')
    .argument('<images...>', 'PNG or JPEG files (any size; dark ink on light paper or the reverse)')
    .requiredOption('--model <dir>', 'a saved model folder (e.g. models/mnist-cnn)')
    .option('--json', 'print a JSON array, one object per image')
    .option('--top <k>', 'how many classes to list', '3')
    .option('--threads <n>', 'worker threads of the WebAssembly engine (default: all cores)')
    .option('--max-image-pixels <n>', 'refuse images with more pixels (width x height) than this, before decoding', String(DEFAULT_MAX_IMAGE_PIXELS))
    .action((images: string[], flags: PredictFlags) => runPredict(images, flags));
}

/** The work of `zerograd predict`: every readable image is classified; each unreadable one gets an error line, and the command fails at the end. */
export async function runPredict(images: string[], flags: PredictFlags): Promise<void> {
  const k = positiveIntegerFlag(flags.top, '--top', 1, 1000) as number;
  const maxPixels = positiveIntegerFlag(flags.maxImagePixels, '--max-image-pixels', 1, 2 ** 28);
  const { classifier } = await loadClassifier(flags.model, { threads: positiveIntegerFlag(flags.threads, '--threads', 1, 64) });
  const errors = new Map<number, string>(); // image index -> why it was not classified
  const good: number[] = [];
  const inputs: Float32Array[] = [];
  images.forEach((file, i) => {
    try {
      const digit = readDigitFile(file, { maxPixels });
      if (digit.length !== classifier.features) throw new DataError(`${file}: preprocesses to ${digit.length} values, the model expects ${classifier.features}`);
      good.push(i);
      inputs.push(digit);
    } catch (err) {
      if (!(err instanceof ZerogradError)) throw err;
      errors.set(i, err.message.includes(file) ? err.message : `${file}: ${err.message}`);
    }
  });
  const pixels = new Float32Array(good.length * classifier.features);
  inputs.forEach((digit, n) => pixels.set(digit, n * classifier.features));
  const predictions = new Map(good.length > 0 ? classifier.predict(pixels).map((p, n) => [good[n], p] as const) : []);
  if (flags.json) {
    const rows = images.map((file, i) => {
      const p = predictions.get(i);
      if (!p) return { file, error: errors.get(i) };
      return { file, label: p.label, className: p.className, probabilities: p.probabilities.map(round6), top: classifier.top(p, k).map((t) => ({ ...t, probability: round6(t.probability) })) };
    });
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const width = Math.max(...images.map((f) => f.length));
    images.forEach((file, i) => {
      const p = predictions.get(i);
      if (!p) {
        if (images.length > 1) console.error(`zerograd: ${errors.get(i)}`); // one image: main prints its error once
        return;
      }
      const top = classifier.top(p, k).map((t) => `${t.className} ${(t.probability * 100).toFixed(1)}%`).join('  ');
      console.log(`${file.padEnd(width)}  ${p.className}   (${top})`);
    });
  }
  if (images.length === 1 && errors.size === 1) throw new DataError(errors.get(0) as string);
  if (errors.size > 0) throw new DataError(`${errors.size} of ${images.length} images could not be classified (see the lines above)`);
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;
