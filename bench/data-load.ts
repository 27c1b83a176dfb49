// Benchmark of the data layer: MNIST and Fashion-MNIST load times, feature memory, batch
// gathering and augmentation cost per batch of 64. Run: node --import tsx bench/data-load.ts
import { Augmenter, batches, DEFAULT_AUGMENT, loadFashionMnist, loadMnist, prepare, Random } from '../src/data/index.js';

const BATCH = 64;
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (t: number): string => `${t.toFixed(0)} ms`;

function time<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const result = fn();
  return [result, performance.now() - started];
}

/** Fastest of `runs` timings (the machine may be shared; the minimum is the least disturbed). */
function best(runs: number, fn: () => unknown): number {
  let fastest = Infinity;
  for (let k = 0; k < runs; k++) fastest = Math.min(fastest, time(fn)[1]);
  return fastest;
}

const baseline = process.memoryUsage().arrayBuffers;

// ---- MNIST: read IDX files, then bytes -> standardized float32 (train stats only)
const [raw, readMs] = time(() => loadMnist());
const [features, prepareMs] = time(() => prepare(raw, { normalize: 'standardize', layout: 'image' }));
const total = raw.train.count + (raw.test?.count ?? 0);
const floatBytes = features.train.images.byteLength + (features.test?.images.byteLength ?? 0);
const memory = process.memoryUsage().arrayBuffers - baseline;
console.log('MNIST');
console.log(`  read IDX (${total} images)        ${ms(readMs)}`);
console.log(`  to float32 + standardize       ${ms(prepareMs)}   (mean ${features.normalization.mean.toFixed(4)}, std ${features.normalization.std.toFixed(4)})`);
console.log(`  total, ready to train          ${ms(readMs + prepareMs)} (first run)`);
console.log(`  memory: float32 ${mb(floatBytes)} + uint8 ${mb(raw.train.pixels.byteLength + (raw.test?.pixels.byteLength ?? 0))}; array buffers grew ${mb(memory)}`);

// ---- Batches: one shuffled epoch over the train split (gathering only)
const rng = new Random(0);
const beforeEpoch = process.memoryUsage().arrayBuffers;
const [steps, epochMs] = time(() => {
  let count = 0;
  for (const batch of batches(features.train, { batchSize: BATCH, shuffle: true, rng })) count += batch.size > 0 ? 1 : 0;
  return count;
});
console.log(`  shuffled epoch, ${steps} batches of ${BATCH}: ${ms(epochMs)} (${((epochMs * 1000) / steps).toFixed(1)} µs/batch)`);
console.log(`  array buffers allocated by the epoch: ${mb(process.memoryUsage().arrayBuffers - beforeEpoch)} (no per-epoch copies)`);
const bestTotal = best(3, () => prepare(loadMnist(), { normalize: 'standardize', layout: 'image' }));
console.log(`  total, ready to train          ${ms(bestTotal)} (best of 3 more runs)`);

// ---- Augmentation on batches of 64 real digits
function augmentCost(label: string, augmenter: Augmenter): void {
  const src = features.train.images.subarray(0, BATCH * 784);
  const dst = new Float32Array(src.length);
  const fill = (0 - features.normalization.mean) / features.normalization.std;
  for (let k = 0; k < 20; k++) augmenter.apply(src, dst, BATCH, 28, 28, fill); // warm up
  const rounds = 30;
  const perBatch = best(10, () => { for (let k = 0; k < rounds; k++) augmenter.apply(src, dst, BATCH, 28, 28, fill); }) / rounds;
  console.log(`  ${label.padEnd(28)} ${(perBatch * 1000).toFixed(0)} µs/batch of ${BATCH}, ${((perBatch * 1000) / BATCH).toFixed(2)} µs/image, ${((perBatch * 938) / 1000).toFixed(2)} s per 60k epoch`);
}
console.log('Augmentation');
augmentCost('affine', new Augmenter(DEFAULT_AUGMENT, 1));
augmentCost('affine + elastic (1 px, 4x4)', new Augmenter({ ...DEFAULT_AUGMENT, elastic: 1 }, 1));
augmentCost('elastic only', new Augmenter({ translate: 0, rotate: 0, scale: 0, shear: 0, elastic: 1 }, 1));

// ---- Fashion-MNIST: ~155 MB of JSON, parsed only when asked for
const [fashion, fashionMs] = time(() => loadFashionMnist());
const fashionBest = best(2, () => loadFashionMnist());
console.log('Fashion-MNIST');
console.log(`  parse JSON + seeded split (${fashion.train.count}/${fashion.test?.count}) ${ms(fashionMs)} first run, ${ms(fashionBest)} best of 2 more`);
console.log(`  process rss ${mb(process.memoryUsage().rss)}`);
