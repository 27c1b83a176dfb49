// The fast PNG path against pngjs: byte-identical RGBA for every 8-bit color type and row filter, and
// null (so decodeImage uses pngjs and its errors) for what it does not handle or cannot trust.
import { crc32, deflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/image.js';
import { decodeSimplePng } from '../../src/data/png.js';

const { PNG } = pngjs;

/** A width x height RGBA picture with edges, gradients and noise, so every filter type gets picked. */
function picture(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 9 + y * 3) & 255;
      data[i + 1] = (x * y) % 251;
      data[i + 2] = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (width / 3) ** 2 ? 20 : 230;
      data[i + 3] = (x * 37 + y * 91) % 256;
    }
  }
  return data;
}

/** `picture` encoded by pngjs with a color type (0 gray, 2 RGB, 4 gray+alpha, 6 RGBA) and a filter (-1: pngjs picks per row). */
function encode(width: number, height: number, colorType: 0 | 2 | 4 | 6, filterType = -1, bitDepth: 8 | 16 = 8): Buffer {
  const png = new PNG({ width, height, colorType, inputColorType: 6, bitDepth, filterType, inputHasAlpha: true });
  png.data = picture(width, height);
  return PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth, filterType, inputHasAlpha: true });
}

/** A 2x1 palette PNG (red, green) written chunk by chunk. */
function palettePng(): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 3, 0, 0, 0], 8); // 8-bit palette indices
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('PLTE', Buffer.from([255, 0, 0, 0, 255, 0])), chunk('IDAT', deflateSync(Buffer.from([0, 0, 1]))), chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeSimplePng', () => {
  it('gives pngjs\'s RGBA bytes for every 8-bit color type and filter', () => {
    for (const colorType of [0, 2, 4, 6] as const) {
      for (const filterType of [-1, 0, 1, 2, 3, 4]) {
        for (const [width, height] of [[1, 1], [7, 5], [84, 84], [33, 200]]) {
          const file = encode(width, height, colorType, filterType);
          const fast = decodeSimplePng(file);
          const reference = PNG.sync.read(file);
          expect(fast, `color type ${colorType}, filter ${filterType}, ${width}x${height}`).not.toBeNull();
          expect([fast!.width, fast!.height]).toEqual([width, height]);
          expect(Buffer.from(fast!.data).equals(reference.data), `color type ${colorType}, filter ${filterType}, ${width}x${height}`).toBe(true);
        }
      }
    }
  });

  it('declines 16-bit, palette and damaged files, which decodeImage hands to pngjs', () => {
    expect(decodeSimplePng(encode(9, 9, 6, -1, 16))).toBeNull();
    expect(decodeImage(encode(9, 9, 6, -1, 16), 'deep.png')).toMatchObject({ width: 9, height: 9, channels: 4 });
    const palette = palettePng();
    expect(decodeSimplePng(palette)).toBeNull();
    expect(Array.from(decodeImage(palette, 'palette.png').data)).toEqual([255, 0, 0, 255, 0, 255, 0, 255]);
    const file = encode(20, 20, 6);
    const flipped = Buffer.from(file);
    flipped[file.length - 20] ^= 0xff; // inside the IDAT data: its CRC no longer matches
    expect(decodeSimplePng(flipped)).toBeNull();
    expect(() => decodeImage(flipped, 'bad.png')).toThrow(/bad\.png: unreadable PNG/);
    expect(decodeSimplePng(file.subarray(0, file.length - 12))).toBeNull(); // no IEND
  });
});
