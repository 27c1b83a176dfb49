import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { decodeImage, DEFAULT_MAX_IMAGE_PIXELS, encodePng, imageDimensions, readImageFile } from '../../src/data/image.js';
import { pngDataSize } from '../../src/data/png-guard.js';
import { tempDir, thrown } from './helpers.js';
import { ihdr, jpegWithHeader, pngChunk, pngWithHeader } from './hostile.js';

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
    expect(thrown(() => decodeImage(png.subarray(0, 40), 'cut.png')).message).toBe('cut.png: truncated PNG: the chunks end before IEND');
    const jpg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 128) }, 90).data;
    expect(thrown(() => decodeImage(jpg.subarray(0, 30), 'cut.jpg')).message).toBe('cut.jpg: truncated JPEG (30 bytes): no complete frame header (SOF)');
    expect(thrown(() => decodeImage(jpg.subarray(0, jpg.length - 200), 'short.jpg')).message).toMatch(/^short\.jpg: unreadable JPEG/);
    expect(thrown(() => readImageFile('/no/such/file.png')).message).toBe('/no/such/file.png: file not found');
  });
});

describe('image size limits, from the header before any decoding', () => {
  it('reads PNG and JPEG dimensions from IHDR and SOF', () => {
    expect(imageDimensions(encodePng(gray, 30, 20), 'a.png')).toEqual({ format: 'png', width: 30, height: 20 });
    const rgba = decodeImage(encodePng(gray, 30, 20), 'a.png').data;
    const progressive = jpeg.encode({ width: 30, height: 20, data: Buffer.from(rgba) }, 90).data;
    expect(imageDimensions(progressive, 'a.jpg')).toEqual({ format: 'jpeg', width: 30, height: 20 });
    expect(imageDimensions(pngWithHeader(30000, 30000), 'big.png')).toEqual({ format: 'png', width: 30000, height: 30000 });
    expect(imageDimensions(jpegWithHeader(9500, 9500), 'big.jpg')).toEqual({ format: 'jpeg', width: 9500, height: 9500 });
  });

  it('names the file for truncated or invalid headers', () => {
    const png = encodePng(gray, 30, 20);
    expect(thrown(() => imageDimensions(png.subarray(0, 20), 'cut.png')).message).toBe('cut.png: truncated PNG (20 bytes): no complete IHDR header');
    const noIhdr = Buffer.from(png);
    noIhdr.write('ABCD', 12, 'latin1');
    expect(thrown(() => imageDimensions(noIhdr, 'x.png')).message).toBe("x.png: invalid PNG: the first chunk is 'ABCD', expected a 13-byte IHDR");
    expect(thrown(() => imageDimensions(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), 'scan.jpg')).message).toBe('scan.jpg: invalid JPEG: image data before any frame header (SOF)');
    expect(thrown(() => imageDimensions(Buffer.from([0xff, 0xd8, 0x12, 0x00]), 'junk.jpg')).message).toBe('junk.jpg: invalid JPEG: expected a marker at byte 2, found 0x12');
    expect(thrown(() => imageDimensions(Buffer.from('GIF89a'), 'a.gif')).message).toMatch(/^a\.gif: not a PNG or JPEG image/);
  });

  it('refuses a 30000x30000 PNG header over a tiny body with the limit, not a decode error', () => {
    const bomb = pngWithHeader(30000, 30000); // 1 KB of image data: decoding it would fail with "unreadable PNG"
    const err = thrown(() => decodeImage(bomb, 'bomb.png'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('bomb.png: image is 30000x30000 (900.0 megapixels), above the 16.8-megapixel limit (maxPixels / --max-image-pixels)');
    expect(thrown(() => decodeImage(jpegWithHeader(9500, 9500), 'bomb.jpg')).message).toMatch(/^bomb\.jpg: image is 9500x9500 \(90\.3 megapixels\), above the 16\.8-megapixel limit/);
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(16_777_216);
  });

  it('takes the limit from maxPixels, and refuses empty images', () => {
    const png = encodePng(gray, 30, 20);
    expect(decodeImage(png, 'a.png', { maxPixels: 600 }).width).toBe(30);
    expect(thrown(() => decodeImage(png, 'a.png', { maxPixels: 599 })).message).toBe('a.png: image is 30x20 (0.0 megapixels), above the 0.0-megapixel limit (maxPixels / --max-image-pixels)');
    expect(thrown(() => decodeImage(pngWithHeader(0, 10), 'empty.png')).message).toBe('empty.png: image is 0x10 (empty); expected at least 1x1 pixels');
    expect(thrown(() => decodeImage(jpegWithHeader(10, 0), 'empty.jpg')).message).toBe('empty.jpg: image is 10x0 (empty); expected at least 1x1 pixels');
    const dir = tempDir();
    writeFileSync(join(dir, 'big.png'), pngWithHeader(12000, 12000));
    writeFileSync(join(dir, 'small.png'), pngWithHeader(300, 200));
    expect(thrown(() => readImageFile(join(dir, 'big.png'))).message).toMatch(/big\.png: image is 12000x12000 \(144\.0 megapixels\)/);
    // Within the limit the data is checked: 1 KB is short of what 300x200 needs (pngjs would decode uninitialized memory).
    expect(thrown(() => readImageFile(join(dir, 'small.png'), { maxPixels: 60_000 })).message).toBe(`${join(dir, 'small.png')}: truncated PNG: image data inflates to 1024 of the 60200 bytes a 300x200 image needs`);
  });

  it('bounds what pngjs does not: a second IHDR, interlaced data inflating past the header size', () => {
    const second = pngWithHeader(10, 10, { extra: [pngChunk('IHDR', ihdr(30000, 30000))] });
    expect(thrown(() => decodeImage(second, 'two.png')).message).toBe('two.png: invalid PNG: a second IHDR chunk at byte 33');
    const inflating = pngWithHeader(100, 100, { interlace: 1, idat: deflateSync(Buffer.alloc(50 << 20)) });
    expect(thrown(() => decodeImage(inflating, 'lace.png')).message).toMatch(/^lace\.png: PNG image data inflates to more than the \d+ bytes a 100x100 image needs$/);
    // A valid 8x8 interlaced PNG holds 79 bytes of data (64 pixels + 15 filter bytes over the 7 passes).
    expect(pngDataSize(8, 8, 8, 0, 1)).toBe(79);
    expect(decodeImage(pngWithHeader(8, 8, { interlace: 1, idat: deflateSync(Buffer.alloc(79)) }), 'ok.png').width).toBe(8);
    expect(thrown(() => decodeImage(pngWithHeader(8, 8, { interlace: 1, idat: deflateSync(Buffer.alloc(78)) }), 'i.png')).message).toMatch(/^i\.png: truncated PNG: image data inflates to 78 of the 79 bytes/);
    const fastPath = pngWithHeader(100, 100, { idat: deflateSync(Buffer.alloc(50 << 20)) });
    expect(thrown(() => decodeImage(fastPath, 'long.png')).message).toBe('long.png: PNG image data inflates to more than the 10100 bytes a 100x100 image needs');
    const noData = pngWithHeader(6, 13);
    noData.write('KDAT', 37, 'latin1'); // an unknown chunk instead of IDAT: pngjs decoded uninitialized memory
    expect(thrown(() => decodeImage(noData, 'nodata.png')).message).toBe('nodata.png: invalid PNG: no image data (IDAT chunk)');
    const sixteen = pngWithHeader(50, 40, { depth: 16, colorType: 6 }); // pngjs's path: 1 KB of the 16040 bytes needed
    expect(thrown(() => decodeImage(sixteen, 'short16.png')).message).toBe('short16.png: truncated PNG: image data inflates to 1024 of the 16040 bytes a 50x40 image needs');
  });
});
