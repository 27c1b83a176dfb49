// Test helpers for the data layer: temp folders and small synthetic images and data sets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DIGIT_CLASS_NAMES, type ImageSet } from '../../src/data/dataset.js';
import type { PixelImage } from '../../src/data/image.js';

/** A fresh temp folder, removed after the test file. */
export function tempDir(prefix = 'zerograd-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `count` 28x28 images whose pixels depend on index and label, labels cycling 0..9. */
export function syntheticSet(count: number, name = 'synthetic'): ImageSet {
  const pixels = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = n % 10;
    for (let i = 0; i < 784; i++) pixels[n * 784 + i] = (n * 31 + i * 7 + labels[n] * 13) % 256;
  }
  return { name, pixels, labels, count, rows: 28, cols: 28, classNames: DIGIT_CLASS_NAMES };
}

/** An RGBA image of `width` x `height` filled with one gray level (opaque). */
export function blankImage(width: number, height: number, gray: number): PixelImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([gray, gray, gray, 255], i * 4);
  return { data, width, height, channels: 4 };
}

/** Paints a filled rectangle [x0, x1) x [y0, y1) with one gray level. */
export function fillRect(image: PixelImage, x0: number, y0: number, x1: number, y1: number, gray: number, alpha = 255): void {
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) image.data.set([gray, gray, gray, alpha], (y * image.width + x) * 4);
  }
}

/** Paints a ring (a '0'-like stroke) centred at (cx, cy) with radii rx, ry and a stroke width. */
export function drawRing(image: PixelImage, cx: number, cy: number, rx: number, ry: number, stroke: number, gray: number): void {
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const outer = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      const inner = ((x - cx) / (rx - stroke)) ** 2 + ((y - cy) / (ry - stroke)) ** 2;
      if (outer <= 1 && inner >= 1) image.data.set([gray, gray, gray, 255], (y * image.width + x) * 4);
    }
  }
}

/** Bounding box, mass and center of mass of the non-zero pixels of a 28x28 float image. */
export function inkStats(image: Float32Array, side = 28): { left: number; right: number; top: number; bottom: number; comX: number; comY: number; mass: number; max: number } {
  let left = side, right = -1, top = side, bottom = -1, mass = 0, sx = 0, sy = 0, max = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = image[y * side + x];
      if (v > 0.01) {
        left = Math.min(left, x); right = Math.max(right, x);
        top = Math.min(top, y); bottom = Math.max(bottom, y);
      }
      mass += v; sx += v * x; sy += v * y; max = Math.max(max, v);
    }
  }
  return { left, right, top, bottom, comX: sx / mass, comY: sy / mass, mass, max };
}

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, none was thrown');
}
