// How much slower a CNN training epoch gets with on-the-fly augmentation (issue 3's target:
// at most 10%). Trains the `cnn` preset with fit() on the same slice with and without
// augmentation, interleaved, and compares the fastest epoch of each.
// Usage: npm run bench -- augment-overhead [--limit 6400] [--repeats 3]
// Writes bench/results/augment-overhead.json and the "Augmentation overhead" section of BENCHMARKS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import * as zg from '../src/index.js';
import { replaceSection } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export async function main(args: string[]): Promise<void> {
  const limit = flag(args, '--limit', 6400);
  const repeats = flag(args, '--repeats', 3);
  await zg.init('wasm');
  const { train } = zg.prepare(zg.loadMnist(), { normalize: 'standardize', layout: 'image' });
  const slice = { ...train, count: limit, images: train.images.subarray(0, limit * 784), labels: train.labels.subarray(0, limit), shape: [limit, 1, 28, 28] };
  const spec = zg.preset('cnn');
  const epochSeconds = async (augment: boolean): Promise<number> => {
    zg.manualSeed(0);
    const model = zg.buildModel(spec.architecture);
    const optimizer = zg.createOptimizer(spec.recipe, model.parameters());
    const t0 = performance.now();
    await zg.fit(model, slice as zg.Dataset, { epochs: 1, batchSize: 64, optimizer, augment: augment ? zg.DEFAULT_AUGMENT : null, progress: 'none' });
    return (performance.now() - t0) / 1000;
  };
  const plain: number[] = [];
  const augmented: number[] = [];
  const load = loadavg()[0];
  for (let r = 0; r < repeats; r++) {
    plain.push(await epochSeconds(false));
    augmented.push(await epochSeconds(true));
    console.log(`repeat ${r + 1}: plain ${plain[r].toFixed(2)} s, augmented ${augmented[r].toFixed(2)} s`);
  }
  const best = (xs: number[]) => Math.min(...xs);
  const overhead = best(augmented) / best(plain) - 1;
  const result = { limit, repeats, plainSeconds: plain, augmentedSeconds: augmented, overhead, loadAverage: load };
  console.log(`augmentation overhead: ${(overhead * 100).toFixed(1)}% (best epoch ${best(augmented).toFixed(2)} s vs ${best(plain).toFixed(2)} s)`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/augment-overhead.json'), JSON.stringify(result, null, 2));
  const body = [
    '## Augmentation overhead',
    '',
    `\`npm run bench -- augment-overhead --limit ${limit} --repeats ${repeats}\`: one epoch of the \`cnn\` preset (batch 64, wasm) over ${limit} MNIST images with and without on-the-fly augmentation (default affine), interleaved; fastest of ${repeats}. Load average ${load.toFixed(1)} at the start.`,
    '',
    '| epoch | fastest (s) | all runs (s) |',
    '|---|---|---|',
    `| without augmentation | ${best(plain).toFixed(2)} | ${plain.map((s) => s.toFixed(2)).join(', ')} |`,
    `| with augmentation | ${best(augmented).toFixed(2)} | ${augmented.map((s) => s.toFixed(2)).join(', ')} |`,
    '',
    `Overhead: **${(overhead * 100).toFixed(1)}%** (target: at most 10%).`,
  ].join('\n');
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'augment-overhead', body));
}
