// A folder of images per class, `DIR/<label>/*.png|jpg`, any size: each image goes through the
// MNIST-style preprocessing and is stored as 28x28 bytes like the IDX sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { DataError } from '../errors.js';
import { DIGIT_CLASS_NAMES, type ImageSet } from './dataset.js';
import { readDigitFile, type ImageLimits } from './image.js';
import type { PreprocessOptions } from './preprocess.js';

/** Options of `loadImageFolder`: the preprocessing, and the pixel limit of every image (maxPixels). */
export type ImageFolderOptions = PreprocessOptions & ImageLimits;

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const SIDE = 28;

/**
 * Loads `dir/<class>/*.png|jpg`. Class folders named 0-9 give digit labels; other names are
 * sorted and numbered in that order (at most 256 classes). Files that are not images are skipped; an image
 * above `options.maxPixels` (default 16 megapixels) or one that is not a regular file is an error naming it.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${dir}: not a folder`);
  const classDirs = readdirSync(dir)
    .filter((name) => !name.startsWith('.') && statSync(join(dir, name)).isDirectory())
    .sort();
  if (classDirs.length === 0) {
    throw new DataError(`${dir}: no class folders; expected ${dir}/<label>/*.png|jpg (e.g. ${dir}/7/a.png)`);
  }
  const numeric = classDirs.every((name) => /^\d+$/.test(name));
  let classNames: readonly string[];
  let labelOf: (name: string) => number;
  if (numeric) {
    const bad = classDirs.find((name) => Number(name) > 9);
    if (bad !== undefined) throw new DataError(`${join(dir, bad)}: label ${bad} is outside 0-9`);
    classNames = DIGIT_CLASS_NAMES;
    labelOf = (name) => Number(name);
  } else {
    if (classDirs.length > 256) throw new DataError(`${dir}: ${classDirs.length} class folders, at most 256 supported`);
    classNames = classDirs;
    labelOf = (name) => classDirs.indexOf(name);
  }

  const files: { path: string; label: number }[] = [];
  for (const name of classDirs) {
    for (const file of readdirSync(join(dir, name)).sort()) {
      if (IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) files.push({ path: join(dir, name, file), label: labelOf(name) });
    }
  }
  if (files.length === 0) throw new DataError(`${dir}: no .png or .jpg images in the class folders (${classDirs.join(', ')})`);

  const pixels = new Uint8Array(files.length * SIDE * SIDE);
  const labels = new Uint8Array(files.length);
  files.forEach(({ path, label }, k) => {
    const digit = readDigitFile(path, options);
    for (let i = 0; i < digit.length; i++) pixels[k * SIDE * SIDE + i] = Math.round(digit[i] * 255);
    labels[k] = label;
  });
  return { name: dir, pixels, labels, count: files.length, rows: SIDE, cols: SIDE, classNames };
}
