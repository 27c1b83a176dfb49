import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/data/files.js';
import { renderGrid } from '../../src/data/grid.js';
import { decodeImage } from '../../src/data/image.js';
import { tempDir } from './helpers.js';

describe('sample grids', () => {
  it('tiles images with zoom and gaps into a PNG, white ink on black', () => {
    const images = new Float32Array(5 * 4 * 3);
    images[0] = 1; // top-left pixel of image 0
    images[12 + 11] = 0.5; // bottom-right pixel of image 1
    const png = renderGrid(images, { count: 5, rows: 4, cols: 3, columns: 3, zoom: 2, gap: 1 });
    const image = decodeImage(png, 'grid.png');
    expect([image.width, image.height]).toEqual([3 * 6 + 4, 2 * 8 + 3]);
    const at = (x: number, y: number): number => image.data[(y * image.width + x) * 4];
    expect(at(0, 0)).toBe(64); // gap
    expect([at(1, 1), at(2, 2)]).toEqual([255, 255]);
    expect(at(3, 1)).toBe(0);
    expect(at(1 + 6 + 1 + 5, 1 + 7)).toBe(128);
  });

  it('reads bytes on the 0-255 scale and honours a value range', () => {
    const bytes = Uint8Array.from([0, 255, 128, 64]);
    expect(decodeImage(renderGrid(bytes, { count: 1, rows: 2, cols: 2, zoom: 1, gap: 0 }), 'g').data[4]).toBe(255);
    const floats = Float32Array.from([-1, 1, 0, 3]);
    const image = decodeImage(renderGrid(floats, { count: 1, rows: 2, cols: 2, zoom: 1, gap: 0, range: [-1, 1] }), 'g');
    expect([image.data[0], image.data[8], image.data[12]]).toEqual([0, 128, 255]);
  });
});

describe('writeFileAtomic', () => {
  it('writes and replaces files, leaving no temporary files behind', () => {
    const dir = tempDir();
    const path = join(dir, 'out.txt');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, Buffer.from('two'));
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['out.txt']);
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.txt'), 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });
});
