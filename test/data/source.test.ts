import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { encodeCsv } from '../../src/data/csv.js';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx.js';
import { encodePng } from '../../src/data/image.js';
import { loadSource } from '../../src/data/source.js';
import { blankImage, fillRect, syntheticSet, tempDir, thrown } from './helpers.js';

describe('loadSource', () => {
  const dir = tempDir();
  const set = syntheticSet(6);

  it("loads 'mnist'", () => {
    const source = loadSource('mnist');
    expect(source.kind).toBe('mnist');
    expect([source.train.count, source.test?.count]).toEqual([60000, 10000]);
  });

  it('recognizes a CSV file, an IDX folder and an image folder', () => {
    writeFileSync(join(dir, 'train.csv'), encodeCsv(set));
    const csv = loadSource(join(dir, 'train.csv'));
    expect([csv.kind, csv.train.count, csv.test]).toEqual(['csv', 6, null]);

    mkdirSync(join(dir, 'idx'));
    writeFileSync(join(dir, 'idx', 'train-images-idx3-ubyte'), encodeIdxImages(set.pixels, 6, 28, 28));
    writeFileSync(join(dir, 'idx', 'train-labels-idx1-ubyte'), encodeIdxLabels(set.labels));
    expect(loadSource(join(dir, 'idx')).kind).toBe('idx');

    mkdirSync(join(dir, 'images', '4'), { recursive: true });
    const image = blankImage(40, 40, 255);
    fillRect(image, 15, 5, 22, 35, 0);
    writeFileSync(join(dir, 'images', '4', 'a.png'), encodePng(image.data as Uint8Array, 40, 40, 4));
    const images = loadSource(join(dir, 'images'));
    expect([images.kind, images.train.count, images.train.labels[0]]).toEqual(['images', 1, 4]);
  });

  it('says what it expected for unknown names and other files', () => {
    const err = thrown(() => loadSource('imagenet'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe("unknown dataset 'imagenet': expected mnist, fashion, a folder (IDX files or <label>/ image folders) or a .csv file");
    writeFileSync(join(dir, 'data.txt'), 'x');
    expect(thrown(() => loadSource(join(dir, 'data.txt'))).message).toMatch(/data\.txt' is not a \.csv file/);
  });
});
