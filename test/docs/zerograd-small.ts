// What the documentation snippets import as 'zerograd' in the tests: the whole library, with MNIST cut to
// 2,000 training and 500 test images so that every snippet runs in seconds on CI's two cores.
import { loadMnist as loadFullMnist } from '../../src/data/mnist.js';
import { subset } from '../../src/data/split.js';
import type { ImageSet, Splits } from '../../src/data/dataset.js';
import * as realKeras from '../../src/keras/index.js';

export * from '../../src/index.js';

const first = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function loadMnist(): Splits<ImageSet, ImageSet> {
  const full = loadFullMnist();
  return { train: subset(full.train, first(2000)), test: subset(full.test, first(500)) };
}

/** keras.datasets.mnist.loadData() on 2,000 / 500 images, as in loadMnist above. */
function loadData(): realKeras.datasets.MnistData {
  const [[xTrain, yTrain], [xTest, yTest]] = realKeras.datasets.mnist.loadData();
  return [[xTrain.head(2000), yTrain.head(2000)], [xTest.head(500), yTest.head(500)]];
}

export const keras = { ...realKeras, datasets: { ...realKeras.datasets, mnist: { loadData } } };
