// Measures the page's "this may not be a digit" cue: three scores of a model's prediction (1 - max
// probability, entropy, energy = -logsumexp of the logits) on MNIST test digits, on synthetic drawn
// digits and on synthetic scribbles (zigzags, hatching, spirals, dashes, random walks), rendered like
// the pad draws them and preprocessed like the page. Prints AUROC and the rates at the threshold that
// keeps 95% of MNIST digits, as markdown. Usage: node --import tsx scripts/measure-ood.ts [MODEL_DIR]
import { init } from '../src/backend/registry.js';
import { loadMnist } from '../src/data/mnist.js';
import { preprocessDigit } from '../src/data/preprocess.js';
import { renderStrokes } from '../src/data/strokes.js';
import { tensor } from '../src/ops/create.js';
import { loadClassifier } from '../src/serve/load.js';
import { OOD_ENTROPY_THRESHOLD } from '../src/serve/ood.js';
import { noGrad, scope } from '../src/tensor/engine.js';
import { handwrittenSet, scribble, seeded } from '../test/helpers/handwriting.js';

const modelDir = process.argv[2] ?? 'models/mnist-cnn';
await init('wasm', { threads: 1 });
const { classifier } = await loadClassifier(modelDir);
type Scores = Record<'maxprob' | 'entropy' | 'energy', number[]>;

function scores(pixels: Float32Array): Scores {
  const n = pixels.length / classifier.features;
  const logits = noGrad(() => scope(() => classifier.model.forwardLogits(tensor(classifier.normalize(pixels), { shape: [n, ...classifier.inputShape] })).data() as Float32Array));
  const classes = logits.length / n;
  const out: Scores = { maxprob: [], entropy: [], energy: [] };
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const p = row.map((v) => Math.exp(v - lse));
    out.maxprob.push(1 - Math.max(...p));
    out.entropy.push(-p.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0));
    out.energy.push(-lse);
  }
  return out;
}
const stack = (rows: Float32Array[]) => {
  const out = new Float32Array(rows.length * 784);
  rows.forEach((r, i) => out.set(r, i * 784));
  return out;
};
const random = seeded(5);
const scribbles = scores(stack(Array.from({ length: 500 }, () => preprocessDigit(renderStrokes(scribble(random))))));
const drawn = scores(stack(handwrittenSet('plain', 50, 3).map(({ strokes }) => preprocessDigit(renderStrokes(strokes)))));
const test = loadMnist().test;
const count = 5000;
const mnist = scores(Float32Array.from(test.pixels.subarray(0, count * 784), (v) => v / 255));

function auroc(positive: number[], negative: number[]): number {
  let wins = 0;
  for (const a of positive) for (const b of negative) wins += a > b ? 1 : a === b ? 0.5 : 0;
  return wins / (positive.length * negative.length);
}
const rate = (values: number[], threshold: number) => values.filter((v) => v > threshold).length / values.length;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`model ${modelDir}; ${count} MNIST test digits, ${drawn.entropy.length} synthetic drawn digits, ${scribbles.entropy.length} synthetic scribbles\n`);
console.log('| score | AUROC scribbles vs MNIST | AUROC scribbles vs drawn digits | threshold (95% of MNIST kept) | scribbles flagged | drawn digits flagged |');
console.log('|---|---|---|---|---|---|');
for (const key of ['maxprob', 'entropy', 'energy'] as const) {
  const threshold = [...mnist[key]].sort((a, b) => a - b)[Math.floor(0.95 * count)];
  console.log(`| ${key} | ${auroc(scribbles[key], mnist[key]).toFixed(3)} | ${auroc(scribbles[key], drawn[key]).toFixed(3)} | ${threshold.toFixed(3)} | ${pct(rate(scribbles[key], threshold))} | ${pct(rate(drawn[key], threshold))} |`);
}
console.log(`\nThe page's cue: entropy > ${OOD_ENTROPY_THRESHOLD}: flags ${pct(rate(mnist.entropy, OOD_ENTROPY_THRESHOLD))} of MNIST digits, ${pct(rate(drawn.entropy, OOD_ENTROPY_THRESHOLD))} of drawn digits, ${pct(rate(scribbles.entropy, OOD_ENTROPY_THRESHOLD))} of scribbles.`);
