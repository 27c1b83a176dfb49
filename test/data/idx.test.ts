import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import {
  encodeIdxImages, encodeIdxLabels, parseIdxImages, parseIdxLabels, readIdxImages, readIdxLabels,
} from '../../src/data/idx.js';
import { syntheticSet, tempDir, thrown } from './helpers.js';
import { writeGzipBomb } from './hostile.js';

const set = syntheticSet(12);
const imageBytes = encodeIdxImages(set.pixels, set.count, 28, 28);
const labelBytes = encodeIdxLabels(set.labels);

describe('IDX parsing', () => {
  it('round-trips images and labels', () => {
    const images = parseIdxImages(imageBytes, 'x', { rows: 28, cols: 28 });
    expect([images.count, images.rows, images.cols]).toEqual([12, 28, 28]);
    expect(Array.from(images.pixels)).toEqual(Array.from(set.pixels));
    expect(Array.from(parseIdxLabels(labelBytes, 'y'))).toEqual(Array.from(set.labels));
  });

  it('keeps pixels as a view on the file buffer (no copy)', () => {
    const images = parseIdxImages(imageBytes, 'x');
    expect(images.pixels.buffer).toBe(imageBytes.buffer);
  });

  it('reads raw and gzipped files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-idx3-ubyte'), imageBytes);
    writeFileSync(join(dir, 'a-idx3-ubyte.gz'), gzipSync(imageBytes));
    writeFileSync(join(dir, 'l-idx1-ubyte.gz'), gzipSync(labelBytes));
    expect(readIdxImages(join(dir, 'a-idx3-ubyte')).count).toBe(12);
    expect(Array.from(readIdxImages(join(dir, 'a-idx3-ubyte.gz')).pixels)).toEqual(Array.from(set.pixels));
    expect(Array.from(readIdxLabels(join(dir, 'l-idx1-ubyte.gz')))).toEqual(Array.from(set.labels));
  });
});

describe('IDX validation errors name the file and what was expected', () => {
  it('wrong magic numbers, with a hint when image and label files are swapped', () => {
    const bad = Buffer.from(imageBytes);
    bad.writeUInt32BE(1234, 0);
    expect(thrown(() => parseIdxImages(bad, 'imgs.idx')).message).toBe('imgs.idx: wrong magic number 1234, expected 2051 for an IDX image file');
    expect(thrown(() => parseIdxImages(labelBytes, 'l.idx')).message).toMatch(/l\.idx: wrong magic number 2049 \(this is a label file\)/);
    expect(thrown(() => parseIdxLabels(imageBytes, 'i.idx')).message).toMatch(/i\.idx: wrong magic number 2051 \(this is an image file\), expected 2049/);
  });

  it('wrong dimensions', () => {
    const small = encodeIdxImages(new Uint8Array(3 * 16), 3, 4, 4);
    const err = thrown(() => parseIdxImages(small, 'small', { rows: 28, cols: 28 }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('small: wrong image dimensions 4x4, expected 28x28');
    expect(thrown(() => parseIdxImages(encodeIdxImages(new Uint8Array(0), 0, 0, 28), 'z')).message).toMatch(/wrong image dimensions 0x28/);
  });

  it('truncated headers and bodies', () => {
    expect(thrown(() => parseIdxImages(imageBytes.subarray(0, 10), 'h')).message).toMatch(/h: truncated IDX image file: 10 bytes/);
    expect(thrown(() => parseIdxLabels(labelBytes.subarray(0, 5), 'h1')).message).toMatch(/h1: truncated IDX label file/);
    const cut = imageBytes.subarray(0, 16 + 784 * 5 + 100);
    expect(thrown(() => parseIdxImages(cut, 'cut')).message).toMatch(/cut: truncated: header says 12 images of 28x28 .* \(5 whole images\)/);
    expect(thrown(() => parseIdxLabels(labelBytes.subarray(0, 15), 'cutl')).message).toMatch(/cutl: truncated: header says 12 labels, file has only 7/);
  });

  it('trailing bytes', () => {
    expect(thrown(() => parseIdxImages(Buffer.concat([imageBytes, Buffer.alloc(3)]), 'long')).message).toMatch(/long: 3 unexpected bytes/);
    expect(thrown(() => parseIdxLabels(Buffer.concat([labelBytes, Buffer.alloc(2)]), 'longl')).message).toMatch(/longl: 2 unexpected bytes/);
  });

  it('labels outside 0-9', () => {
    const labels = Uint8Array.from([1, 2, 10, 3]);
    expect(thrown(() => parseIdxLabels(encodeIdxLabels(labels), 'lab')).message).toBe('lab: label 10 at index 2 is outside 0-9');
  });

  it('missing files and corrupt gzip', () => {
    const dir = tempDir();
    expect(thrown(() => readIdxImages(join(dir, 'nope'))).message).toMatch(/nope: file not found/);
    expect(thrown(() => readIdxImages(dir)).message).toBe(`${dir}: is a folder, not a regular file; expected an IDX image file`);
    const gz = gzipSync(imageBytes);
    writeFileSync(join(dir, 'bad.gz'), gz.subarray(0, gz.length / 2));
    const err = thrown(() => readIdxImages(join(dir, 'bad.gz')));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/bad\.gz: corrupt or truncated gzip data/);
  });
});

describe('gzipped IDX bombs', () => {
  const dir = tempDir();

  it('inflates no more than the header says the file holds', async () => {
    // 12 images of 28x28 (9424 bytes) followed by 32 MiB of zeros.
    const path = join(dir, 'bomb-idx3-ubyte.gz');
    await writeGzipBomb(path, imageBytes, 32 << 20);
    const err = thrown(() => readIdxImages(path));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${path}: gzip data inflates to more than 9424 bytes (9.2 KiB), the size its header gives`);
    const labels = join(dir, 'bomb-idx1-ubyte.gz');
    await writeGzipBomb(labels, labelBytes, 1 << 20);
    expect(thrown(() => readIdxLabels(labels)).message).toBe(`${labels}: gzip data inflates to more than 20 bytes (20 bytes), the size its header gives`);
  });

  it('caps a header that claims too much at maxInflatedBytes', async () => {
    const path = join(dir, 'huge-idx3-ubyte.gz');
    await writeGzipBomb(path, encodeIdxImages(new Uint8Array(0), 4_000_000, 28, 28), 8 << 20); // claims 3.1 GB
    expect(thrown(() => readIdxImages(path, undefined, { maxInflatedBytes: 1 << 20 })).message)
      .toBe(`${path}: gzip data inflates to more than 1048576 bytes (1.0 MiB), the limit for gzipped data (maxInflatedBytes)`);
  });

  it('still reports a bad header, not the inflated size', async () => {
    const path = join(dir, 'wrong-idx3-ubyte.gz');
    await writeGzipBomb(path, labelBytes, 1 << 20);
    expect(thrown(() => readIdxImages(path, undefined, { maxInflatedBytes: 1 << 21 })).message).toMatch(/wrong magic number 2049 \(this is a label file\)/);
  });
});
