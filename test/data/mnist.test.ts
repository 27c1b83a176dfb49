import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx.js';
import { embeddedMnistDir, isIdxDir, loadMnist } from '../../src/data/mnist.js';
import { syntheticSet, tempDir, thrown } from './helpers.js';

describe('embedded MNIST', () => {
  // Load time is measured by bench/data-load.ts, not asserted here (shared machines are noisy).
  it('loads 60,000 + 10,000 labelled 28x28 digits', () => {
    expect(existsSync(join(embeddedMnistDir(), 'train-images-idx3-ubyte'))).toBe(true);
    const { train, test } = loadMnist();
    expect([train.count, train.rows, train.cols, train.pixels.length]).toEqual([60000, 28, 28, 60000 * 784]);
    expect(test?.count).toBe(10000);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test!.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect(train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(train.name).toBe('mnist/train');
  });
});

/** Writes an IDX folder with the given file names for images/labels of train and test. */
function writeIdxDir(dir: string, names: Record<string, Buffer>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(names)) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe('user IDX folders', () => {
  const root = tempDir();
  const train = syntheticSet(20);
  const test = syntheticSet(7);
  const files = {
    'train-images-idx3-ubyte': encodeIdxImages(train.pixels, 20, 28, 28),
    'train-labels-idx1-ubyte': encodeIdxLabels(train.labels),
    't10k-images-idx3-ubyte': encodeIdxImages(test.pixels, 7, 28, 28),
    't10k-labels-idx1-ubyte': encodeIdxLabels(test.labels),
  };

  it('reads the four standard files, raw', () => {
    const dir = writeIdxDir(join(root, 'raw'), files);
    expect(isIdxDir(dir)).toBe(true);
    const splits = loadMnist(dir);
    expect(splits.train.count).toBe(20);
    expect(splits.test?.count).toBe(7);
    expect(Array.from(splits.train.pixels)).toEqual(Array.from(train.pixels));
    expect(splits.train.name).toBe(`${dir}/train`);
  });

  it('reads .gz files and the Kaggle spelling (train-images.idx3-ubyte)', () => {
    const dir = writeIdxDir(join(root, 'gz'), {
      'train-images.idx3-ubyte.gz': gzipSync(files['train-images-idx3-ubyte']),
      'train-labels.idx1-ubyte.gz': gzipSync(files['train-labels-idx1-ubyte']),
      't10k-images-idx3-ubyte.gz': gzipSync(files['t10k-images-idx3-ubyte']),
      't10k-labels-idx1-ubyte.gz': gzipSync(files['t10k-labels-idx1-ubyte']),
    });
    const splits = loadMnist(dir);
    expect(Array.from(splits.test!.labels)).toEqual(Array.from(test.labels));
  });

  it('accepts a folder with only the training pair (test = null)', () => {
    const dir = writeIdxDir(join(root, 'trainonly'), {
      'train-images-idx3-ubyte': files['train-images-idx3-ubyte'],
      'train-labels-idx1-ubyte': files['train-labels-idx1-ubyte'],
    });
    expect(loadMnist(dir).test).toBeNull();
  });

  it('rejects image and label counts that differ', () => {
    const dir = writeIdxDir(join(root, 'mismatch'), {
      'train-images-idx3-ubyte': files['train-images-idx3-ubyte'],
      'train-labels-idx1-ubyte': encodeIdxLabels(train.labels.subarray(0, 19)),
    });
    const err = thrown(() => loadMnist(dir));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/train-images-idx3-ubyte has 20 images but .*train-labels-idx1-ubyte has 19 labels; expected the same count/);
  });

  it('rejects images that are not 28x28', () => {
    const dir = writeIdxDir(join(root, 'dims'), {
      'train-images-idx3-ubyte': encodeIdxImages(new Uint8Array(20 * 32 * 32), 20, 32, 32),
      'train-labels-idx1-ubyte': files['train-labels-idx1-ubyte'],
    });
    expect(thrown(() => loadMnist(dir)).message).toMatch(/train-images-idx3-ubyte: wrong image dimensions 32x32, expected 28x28/);
  });

  it('names missing files', () => {
    const dir = writeIdxDir(join(root, 'missing'), { 'train-images-idx3-ubyte': files['train-images-idx3-ubyte'] });
    expect(thrown(() => loadMnist(dir)).message).toMatch(/missing train-labels-idx1-ubyte\[\.gz\] \(found: train-images-idx3-ubyte\)/);
    const half = writeIdxDir(join(root, 'halftest'), {
      'train-images-idx3-ubyte': files['train-images-idx3-ubyte'],
      'train-labels-idx1-ubyte': files['train-labels-idx1-ubyte'],
      't10k-images-idx3-ubyte': files['t10k-images-idx3-ubyte'],
    });
    expect(thrown(() => loadMnist(half)).message).toMatch(/t10k-images-idx3-ubyte without its label file/);
    expect(thrown(() => loadMnist(join(root, 'nothing-here'))).message).toMatch(/not a folder of MNIST IDX files/);
  });
});
