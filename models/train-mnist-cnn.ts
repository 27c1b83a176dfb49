// Trains the shipped model models/mnist-cnn with the library (the `cnn` preset and its recipe):
// `node --import tsx models/train-mnist-cnn.ts [--epochs N] [--seed S] [--out DIR]`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, manualSeed } from '../src/index.js';
import { loadMnist, prepare } from '../src/data/index.js';
import { saveModel } from '../src/io/index.js';
import { buildModel, createOptimizer, preset } from '../src/models/index.js';
import { evaluate, fit } from '../src/train/index.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const epochs = Number(flag('epochs', '3'));
const seed = Number(flag('seed', '1'));
const out = flag('out', 'models/mnist-cnn');
const spec = preset('cnn');
spec.recipe.epochs = epochs;

const backend = await init('wasm');
manualSeed(seed);
const model = buildModel(spec.architecture, 'cnn preset');
const data = prepare(loadMnist(), { normalize: spec.recipe.normalize, layout: 'image' });
const started = performance.now();
const history = await fit(model, data.train, {
  epochs, batchSize: spec.recipe.batchSize, optimizer: createOptimizer(spec.recipe, model.parameters()),
  schedule: spec.recipe.schedule, seed, progress: 'lines',
});
const seconds = (performance.now() - started) / 1000;
const test = evaluate(model, data.test!);
console.log(`test accuracy ${(test.accuracy * 100).toFixed(2)}%  loss ${test.loss.toFixed(4)}  (${seconds.toFixed(0)} s)`);
mkdirSync(out, { recursive: true });
const command = `node --import tsx models/train-mnist-cnn.ts --epochs ${epochs} --seed ${seed} --out ${out}`;
saveModel(out, model, {
  name: 'mnist-cnn',
  preprocessing: { normalization: data.normalization, layout: 'image', rows: 28, cols: 28 },
  classNames: [...data.train.classNames],
  data: 'mnist',
  recipe: spec.recipe,
}, {
  test: { accuracy: test.accuracy, loss: test.loss, count: test.count },
  history: history.history,
  training: { command, seed, epochs, seconds, threads: (backend as { threads?: number }).threads ?? 1, date: new Date().toISOString() },
});
writeFileSync(join(out, 'TRAINING.md'), [
  '# mnist-cnn', '',
  `The \`cnn\` preset (${spec.description}), trained on the MNIST train split (60,000 images), seed ${seed}, ${epochs} epochs.`, '',
  '```', command, '```', '',
  `Test accuracy ${(test.accuracy * 100).toFixed(2)}% on the 10,000 MNIST test images; ${seconds.toFixed(0)} s of training on the wasm backend, ${new Date().toISOString().slice(0, 10)}.`, '',
].join('\n'));
process.exit(0);
