// The seed's Keras program, translated line by line (the Python is in the comments): MNIST,
// Flatten -> Dense 128 relu -> Dense 10 softmax, Adam + sparse categorical cross-entropy, 5 epochs.
// Run: npx tsx examples/keras-seed.ts [--limit 2000] [--epochs 5] [--backend wasm|cpu]
// In your own project the imports read: import { init, manualSeed, keras } from 'zerograd';
import { parseArgs } from 'node:util';
import { init, manualSeed } from '../src/index.js';
import * as keras from '../src/keras/index.js';

const { values: flags } = parseArgs({
  options: { limit: { type: 'string' }, epochs: { type: 'string', default: '5' }, backend: { type: 'string', default: 'wasm' } },
});
await init(flags.backend === 'cpu' ? 'cpu' : 'wasm');
manualSeed(0); // Keras draws unseeded weights; a seed makes the run repeatable

// import tensorflow as tf
// mnist = tf.keras.datasets.mnist
const mnist = keras.datasets.mnist;

// (x_train, y_train), (x_test, y_test) = mnist.load_data()
let [[xTrain, yTrain], [xTest, yTest]] = mnist.loadData(flags.limit ? { limit: Number(flags.limit) } : {});
// x_train, x_test = x_train / 255.0, x_test / 255.0
[xTrain, xTest] = [xTrain.div(255), xTest.div(255)];

// model = tf.keras.models.Sequential([
//   tf.keras.layers.Flatten(input_shape=(28, 28)),
//   tf.keras.layers.Dense(128, activation='relu'),
//   tf.keras.layers.Dense(10, activation='softmax')
// ])
const model = new keras.Sequential([
  keras.layers.Flatten({ inputShape: [28, 28] }),
  keras.layers.Dense(128, { activation: 'relu' }),
  keras.layers.Dense(10, { activation: 'softmax' }),
]);
model.summary();

// model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

// model.fit(x_train, y_train, epochs=5)
await model.fit(xTrain, yTrain, { epochs: Number(flags.epochs) });

// model.evaluate(x_test, y_test)
const [loss, accuracy] = model.evaluate(xTest, yTest);
console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)}%`);
