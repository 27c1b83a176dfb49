// Measures few-shot fine-tuning of the shipped CNN as the page runs it (fineTuneFewShot, 120 steps): five
// synthetic mirrored drawings per taught digit, with and without rehearsal (20 MNIST training images per
// class), for each strategy; scores mirrored and plain synthetic digits (10 per class) and the first 1,000
// MNIST test digits. Prints a markdown table. Usage: node --import tsx scripts/measure-few-shot.ts [MODEL_DIR]
import { init } from '../src/backend/registry.js';
import { loadMnist } from '../src/data/mnist.js';
import { preprocessDigit } from '../src/data/preprocess.js';
import { renderStrokes } from '../src/data/strokes.js';
import { FEW_SHOT_STRATEGIES, fineTuneFewShot, scoreFewShot, type FewShotExample } from '../src/finetune/few-shot.js';
import { decodeReplaySet } from '../src/finetune/replay-set.js';
import { loadModel } from '../src/io/model-folder.js';
import { replaySetFor } from '../src/serve/replay.js';
import { handwrittenSet, type HandStyle } from '../test/helpers/handwriting.js';

const modelDir = process.argv[2] ?? 'models/mnist-cnn';
await init('wasm', { threads: 1 });
const drawn = (style: HandStyle, perClass: number, seed: number): FewShotExample[] =>
  handwrittenSet(style, perClass, seed).map(({ digit, strokes }) => ({ label: digit, pixels: preprocessDigit(renderStrokes(strokes)) }));
const mirrored = drawn('mirrored', 10, 99);
const plain = drawn('plain', 10, 98);
const test = loadMnist().test;
const mnist = Array.from({ length: 1000 }, (_, i) => ({ label: test.labels[i], pixels: Float32Array.from(test.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255) }));
const replay = decodeReplaySet(replaySetFor('mnist') as Uint8Array);
const taught = [[7], [2, 3, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
const pct = (x: number) => `${(100 * x).toFixed(1)}`;
const base = loadModel(modelDir);
console.log(`model ${modelDir}: mirrored ${pct(scoreFewShot(base.model, mirrored, base.config).accuracy)}%, plain ${pct(scoreFewShot(base.model, plain, base.config).accuracy)}%, MNIST ${pct(scoreFewShot(base.model, mnist, base.config).accuracy)}% before fine-tuning\n`);
console.log('| taught (5 mirrored drawings each) | strategy | rehearsal | taught digits, mirrored | all mirrored | plain drawn | MNIST test (1,000) | seconds |');
console.log('|---|---|---|---|---|---|---|---|');
for (const digits of taught) {
  const examples = drawn('mirrored', 5, 1).filter((e) => digits.includes(e.label));
  for (const strategy of FEW_SHOT_STRATEGIES) {
    for (const rehearse of [false, true]) {
      const { model, config } = loadModel(modelDir);
      const result = await fineTuneFewShot(model, config, examples, { strategy, holdout: 0, replay: rehearse ? replay : undefined });
      const score = (set: FewShotExample[]) => pct(scoreFewShot(model, set, config).accuracy);
      const label = digits.length === 10 ? 'all ten' : digits.join(', ');
      console.log(`| ${label} | ${strategy} | ${rehearse ? '200 images' : 'none'} | ${score(mirrored.filter((e) => digits.includes(e.label)))} | ${score(mirrored)} | ${score(plain)} | ${score(mnist)} | ${result.seconds.toFixed(2)} |`);
    }
  }
}
