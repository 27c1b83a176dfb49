// A CNN on MNIST with zerograd's own API (PyTorch-like): data -> standardized image tensors ->
// Sequential of Conv2D/MaxPool2D/Dense -> fit() with a validation split and early stopping ->
// evaluate() -> per-class table -> a model folder that `zerograd predict` and `serve` load.
// Run: npx tsx examples/cnn.ts [--limit 2000] [--epochs 3] [--out runs/example-cnn] [--backend wasm|cpu]
// In your own project the imports read: import { ... } from 'zerograd';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Adam, classificationReport, Conv2D, Dense, EarlyStopping, evaluate, fit, Flatten, formatClassificationTable, init, loadMnist,
  manualSeed, MaxPool2D, prepare, saveModel, Sequential, subset,
} from '../src/index.js';

// ---- flags ----
const { values: flags } = parseArgs({
  options: {
    limit: { type: 'string' }, epochs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'runs/example-cnn' }, backend: { type: 'string', default: 'wasm' },
  },
});
const limit = flags.limit === undefined ? Infinity : Number(flags.limit);
const first = (n: number): number[] => Array.from({ length: Math.min(n, limit) }, (_, i) => i);

await init(flags.backend === 'cpu' ? 'cpu' : 'wasm');
manualSeed(0);

// ---- data: bytes -> standardized (N, 1, 28, 28) features; labels stay class indices ----
const raw = loadMnist();
if (!raw.test) throw new Error('MNIST has no test split');
const splits = { train: subset(raw.train, first(raw.train.count)), test: subset(raw.test, first(raw.test.count)) };
const { train, test, normalization } = prepare(splits, { normalize: 'standardize', layout: 'image' });
if (!test) throw new Error('unreachable: the test split was given');

// ---- model: conv 32 -> pool -> conv 64 -> pool -> dense 10 ----
const model = new Sequential([
  new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }), // (B, 1, 28, 28) -> (B, 32, 26, 26)
  new MaxPool2D({ poolSize: 2 }), //                                -> (B, 32, 13, 13)
  new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }), // -> (B, 64, 11, 11)
  new MaxPool2D({ poolSize: 2 }), //                                -> (B, 64, 5, 5)
  new Flatten(), //                                                 -> (B, 1600)
  new Dense({ units: 10, activation: 'softmax' }), //               -> (B, 10)
], { inputShape: [1, 28, 28], name: 'cnn' });
console.log(model.summary());

// ---- training: Adam, cosine schedule, 10% validation, stop when validation loss stalls ----
const history = await fit(model, train, {
  epochs: Number(flags.epochs), batchSize: 64, optimizer: new Adam(model.parameters(), { lr: 1e-3 }),
  validationSplit: 0.1, schedule: { type: 'cosine' }, callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true })],
});

// ---- evaluation on the test split ----
const result = evaluate(model, test);
const report = classificationReport(result.labels, result.predictions, 10);
console.log(`\ntest accuracy ${(100 * result.accuracy).toFixed(2)}%  loss ${result.loss.toFixed(4)}  (${result.count} images, ${history.history.length} epochs)\n`);
console.log(formatClassificationTable(report, train.classNames));

// ---- a model folder for `zerograd predict --model <dir> digit.png` and `zerograd serve` ----
mkdirSync(flags.out, { recursive: true });
saveModel(flags.out, model, {
  name: 'example-cnn', classNames: train.classNames, data: 'mnist',
  preprocessing: { normalization, layout: 'image', rows: 28, cols: 28 },
}, { test: { accuracy: result.accuracy, loss: result.loss }, history: history.history });
console.log(`saved ${flags.out}`);
