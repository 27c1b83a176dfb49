// The Keras-style facade: compile/fit/evaluate/predict on a tiny set, one-hot and sparse labels
// training identically, and clear errors when it is misused.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/backend/registry.js';
import { oneHot } from '../../src/data/labels.js';
import { layers, NDArray, Sequential } from '../../src/keras/index.js';
import { manualSeed } from '../../src/tensor/engine.js';
import { syntheticSet } from '../data/helpers.js';

const set = syntheticSet(64);
const x = new NDArray(set.pixels, [64, 28, 28]).div(255);
const y = new NDArray(set.labels, [64]);

/** A learnable set: each class lights its own two rows (with a seeded jitter), so a model can score far above chance. */
function rowsSet(count: number): { x: NDArray; y: NDArray; labels: Uint8Array } {
  const pixels = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = n % 10;
    for (let i = 0; i < 784; i++) pixels[n * 784 + i] = ((n * 131 + i * 17) % 97) / 400; // background texture
    for (let i = labels[n] * 2 * 28 + 28; i < labels[n] * 2 * 28 + 84; i++) pixels[n * 784 + i] = 1;
  }
  return { x: new NDArray(pixels, [count, 28, 28]), y: new NDArray(labels, [count]), labels };
}

function seedModel(): Sequential {
  manualSeed(3);
  return new Sequential([layers.Flatten({ inputShape: [28, 28] }), layers.Dense(16, { activation: 'relu' }), layers.Dense(10, { activation: 'softmax' })]);
}

describe('keras facade', () => {
  beforeAll(async () => { await init('cpu'); });

  it('compiles, fits, evaluates and predicts', async () => {
    const model = seedModel();
    const learnable = rowsSet(64);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(learnable.x, learnable.y, { epochs: 3, batchSize: 16, verbose: 0 });
    expect(history.history).toHaveLength(3);
    const [loss, accuracy] = model.evaluate(learnable.x, learnable.y, { verbose: 0 });
    // evaluate() agrees with predict(): accuracy of the argmax and mean cross-entropy, computed here.
    const all = model.predict(learnable.x);
    expect(all.shape).toEqual([64, 10]);
    let correct = 0;
    let crossEntropy = 0;
    for (let n = 0; n < 64; n++) {
      const row = Array.from(all.values.subarray(n * 10, n * 10 + 10));
      if (row.indexOf(Math.max(...row)) === learnable.labels[n]) correct++;
      crossEntropy -= Math.log(row[learnable.labels[n]]);
    }
    expect(accuracy).toBe(correct / 64);
    expect(loss).toBeCloseTo(crossEntropy / 64, 6);
    expect(accuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(loss).toBeLessThan(history.history[0].loss);
    const probabilities = model.predict(learnable.x.head(5));
    expect(probabilities.shape).toEqual([5, 10]);
    expect(Array.from(probabilities.values)).toEqual(Array.from(all.values.subarray(0, 50)));
    const rowSum = Array.from(probabilities.values.subarray(0, 10)).reduce((a, b) => a + b, 0);
    expect(rowSum).toBeCloseTo(1, 5);
  });

  it('trains the same with one-hot labels and categorical cross-entropy', async () => {
    const sparse = seedModel();
    sparse.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const a = await sparse.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const dense = seedModel();
    dense.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
    const b = await dense.fit(x, new NDArray(oneHot(set.labels, 10), [64, 10]), { epochs: 1, batchSize: 16, verbose: 0 });
    expect(b.history[0].loss).toBe(a.history[0].loss);
  });

  it('says what is wrong when misused', async () => {
    expect(() => new Sequential([layers.Flatten(), layers.Dense(10, { activation: 'softmax' })])).toThrow(/give the first layer an inputShape/);
    const model = seedModel();
    await expect(model.fit(x, y)).rejects.toThrow(/call compile\(\{ optimizer, loss, metrics \}\) first/);
    expect(() => model.compile({ optimizer: 'rmsprop' as 'adam', loss: 'sparseCategoricalCrossentropy' })).toThrow(/optimizer must be one of adam, adamw, sgd/);
    expect(() => model.compile({ optimizer: 'adam', loss: 'mse' as 'categoricalCrossentropy' })).toThrow(/loss must be/);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    await expect(model.fit(x, y)).rejects.toThrow(/categoricalCrossentropy expects one-hot y of shape \(N, classes\), got y of shape \(64\)/);
    await expect(model.fit(x, y.head(10))).rejects.toThrow(/x has 64 examples, y has 10/);
  });
});
