import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { loadImageFolder } from '../../src/data/folder.js';
import { encodePng, type PixelImage } from '../../src/data/image.js';
import { blankImage, fillRect, inkStats, tempDir, thrown } from './helpers.js';
import { pngWithHeader } from './hostile.js';

function pngOf(image: PixelImage): Buffer {
  return encodePng(image.data as Uint8Array, image.width, image.height, 4);
}

function digitImage(width: number, height: number): PixelImage {
  const image = blankImage(width, height, 250);
  fillRect(image, Math.floor(width / 3), Math.floor(height / 5), Math.floor(width / 3) + 6, Math.floor(height * 0.8), 10);
  return image;
}

function makeFolder(root: string, layout: Record<string, Record<string, Buffer>>): string {
  for (const [label, files] of Object.entries(layout)) {
    mkdirSync(join(root, label), { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(root, label, name), bytes);
  }
  return root;
}

describe('image folders', () => {
  const root = tempDir();

  it('loads DIR/<digit>/*.png|jpg of any size as MNIST-style 28x28 digits', () => {
    const jpg = jpeg.encode({ width: 90, height: 120, data: Buffer.from(digitImage(90, 120).data) }, 95).data;
    const dir = makeFolder(join(root, 'digits'), {
      '3': { 'a.png': pngOf(digitImage(64, 64)), 'b.JPG': jpg, 'notes.txt': Buffer.from('skip me') },
      '7': { 'c.png': pngOf(digitImage(300, 200)) },
    });
    const set = loadImageFolder(dir);
    expect(set.count).toBe(3);
    expect(Array.from(set.labels)).toEqual([3, 3, 7]);
    expect(set.classNames[7]).toBe('7');
    for (let k = 0; k < 3; k++) {
      const image = Float32Array.from(set.pixels.subarray(k * 784, (k + 1) * 784), (v) => v / 255);
      const s = inkStats(image);
      expect(s.max).toBe(1);
      expect(s.bottom - s.top + 1).toBe(20);
    }
  });

  it('numbers named class folders in sorted order', () => {
    const dir = makeFolder(join(root, 'named'), { dog: { 'x.png': pngOf(digitImage(40, 40)) }, cat: { 'y.png': pngOf(digitImage(40, 40)) } });
    const set = loadImageFolder(dir);
    expect(set.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(set.labels)).toEqual([0, 1]);
  });

  it('names the problem: no class folders, labels outside 0-9, no images', () => {
    mkdirSync(join(root, 'empty'));
    expect(thrown(() => loadImageFolder(join(root, 'empty'))).message).toMatch(/empty: no class folders; expected .*<label>\/\*\.png\|jpg/);
    const twelve = makeFolder(join(root, 'twelve'), { '12': { 'a.png': pngOf(digitImage(20, 20)) } });
    expect(thrown(() => loadImageFolder(twelve)).message).toMatch(/twelve\/12: label 12 is outside 0-9/);
    const none = makeFolder(join(root, 'none'), { '1': { 'a.txt': Buffer.from('x') } });
    expect(thrown(() => loadImageFolder(none)).message).toMatch(/none: no \.png or \.jpg images in the class folders \(1\)/);
    expect(thrown(() => loadImageFolder(join(root, 'absent'))).message).toMatch(/absent: not a folder/);
  });

  it('names unreadable and blank images', () => {
    const broken = makeFolder(join(root, 'broken'), { '2': { 'bad.png': Buffer.from('garbage') } });
    const err = thrown(() => loadImageFolder(broken));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/broken\/2\/bad\.png: not a PNG or JPEG image/);
    const blank = makeFolder(join(root, 'blank'), { '5': { 'white.png': pngOf(blankImage(30, 30, 255)) } });
    expect(thrown(() => loadImageFolder(blank)).message).toMatch(/blank\/5\/white\.png: image \(30x30\) has no visible ink/);
  });
});

describe('image folder limits', () => {
  const root = tempDir();

  it('refuses a 12000x12000 PNG by its header, naming the file; maxPixels changes the limit', () => {
    const dir = makeFolder(join(root, 'bomb'), { '3': { 'a.png': pngOf(digitImage(40, 40)), 'huge.png': pngWithHeader(12000, 12000) } });
    const err = thrown(() => loadImageFolder(dir));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${join(dir, '3', 'huge.png')}: image is 12000x12000 (144.0 megapixels), above the 16.8-megapixel limit (maxPixels / --max-image-pixels)`);
    const small = makeFolder(join(root, 'small'), { '3': { 'a.png': pngOf(digitImage(40, 40)) } });
    expect(loadImageFolder(small, { maxPixels: 1600 }).count).toBe(1);
    expect(thrown(() => loadImageFolder(small, { maxPixels: 1599 })).message).toMatch(/small\/3\/a\.png: image is 40x40 .* above the 0\.0-megapixel limit/);
  });

  it('refuses an image that is not a regular file (a FIFO) without waiting', () => {
    const dir = makeFolder(join(root, 'fifo'), { '4': { 'a.png': pngOf(digitImage(40, 40)) } });
    execFileSync('mkfifo', [join(dir, '4', 'b.png')]);
    expect(thrown(() => loadImageFolder(dir)).message).toBe(`${join(dir, '4', 'b.png')}: is a FIFO (named pipe), not a regular file; expected a PNG or JPEG image`);
  });
});
