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

function seedModel(): Sequential {
  manualSeed(3);
  return new Sequential([layers.Flatten({ inputShape: [28, 28] }), layers.Dense(16, { activation: 'relu' }), layers.Dense(10, { activation: 'softmax' })]);
}

describe('keras facade', () => {
  beforeAll(async () => { await init('cpu'); });

  it('compiles, fits, evaluates and predicts', async () => {
    const model = seedModel();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    expect(history.history).toHaveLength(2);
    const [loss, accuracy] = model.evaluate(x, y, { verbose: 0 });
    expect(loss).toBeGreaterThan(0);
    expect(accuracy).toBeGreaterThanOrEqual(0);
    const probabilities = model.predict(x.head(5));
    expect(probabilities.shape).toEqual([5, 10]);
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
