import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { decodeImage, encodePng, readImageFile } from '../../src/data/image.js';
import { tempDir, thrown } from './helpers.js';

const gray = Uint8Array.from({ length: 30 * 20 }, (_, i) => (i * 3) % 256);

describe('image decoding', () => {
  it('round-trips gray pixels through PNG as RGBA', () => {
    const image = decodeImage(encodePng(gray, 30, 20), 'a.png');
    expect([image.width, image.height, image.channels, image.data.length]).toEqual([30, 20, 4, 2400]);
    expect(Array.from(image.data.subarray(4 * 7, 4 * 8))).toEqual([gray[7], gray[7], gray[7], 255]);
  });

  it('decodes JPEG (lossy) into RGBA', () => {
    const rgba = decodeImage(encodePng(gray, 30, 20), 'a.png').data;
    const encoded = jpeg.encode({ width: 30, height: 20, data: Buffer.from(rgba) }, 95).data;
    const image = decodeImage(encoded, 'a.jpg');
    expect([image.width, image.height, image.channels]).toEqual([30, 20, 4]);
    expect(Math.abs(image.data[4 * 100] - gray[100])).toBeLessThan(20);
  });

  it('reads files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.png'), encodePng(gray, 30, 20));
    expect(readImageFile(join(dir, 'x.png')).width).toBe(30);
  });

  it('names unreadable files and says what was expected', () => {
    const png = encodePng(gray, 30, 20);
    const err = thrown(() => decodeImage(Buffer.from('not an image'), 'notes.png'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('notes.png: not a PNG or JPEG image (unrecognized signature); expected a .png or .jpg file');
    expect(thrown(() => decodeImage(png.subarray(0, 40), 'cut.png')).message).toMatch(/^cut\.png: unreadable PNG/);
    const jpg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 128) }, 90).data;
    expect(thrown(() => decodeImage(jpg.subarray(0, 30), 'cut.jpg')).message).toBe('cut.jpg: truncated JPEG (30 bytes): no complete frame header (SOF)');
    expect(thrown(() => decodeImage(jpg.subarray(0, jpg.length - 200), 'short.jpg')).message).toMatch(/^short\.jpg: unreadable JPEG/);
    expect(thrown(() => readImageFile('/no/such/file.png')).message).toBe('/no/such/file.png: file not found');
  });
});
