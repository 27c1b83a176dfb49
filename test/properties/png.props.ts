// Property checks of the PNG front end: random bytes after the signature, and valid PNGs (8/16-bit gray, RGB,
// alpha, palette) with bytes flipped, cut, or IHDR sizes changed, end in RGBA pixels of the header's size within
// the pixel limit, or in a ZerogradError; never another exception.
import fc from 'fast-check';
import pngjs from 'pngjs';
import { crc32 } from 'node:zlib';
import { decodeImage, imageDimensions, type PixelImage } from '../../src/data/image.js';
import { mutate, mutations, validOrNamed } from './byte-mutations.js';
import type { NamedProperty } from './property.js';

const MAX_PIXELS = 1 << 16;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decodes with a 64K-pixel limit; a result must have the header's size, within the limit, as RGBA, and be the
 * same when decoded again (a decoder reading uninitialized memory for missing data would differ).
 */
function checkPng(bytes: Uint8Array): boolean {
  return validOrNamed(() => ({ size: imageDimensions(bytes, 'p.png'), image: decodeImage(bytes, 'p.png', { maxPixels: MAX_PIXELS }) }), ({ size, image }: { size: { width: number; height: number }; image: PixelImage }) =>
    image.width === size.width && image.height === size.height && image.width * image.height <= MAX_PIXELS && image.data.length === image.width * image.height * 4
    && Buffer.from(decodeImage(bytes, 'p.png', { maxPixels: MAX_PIXELS }).data).equals(Buffer.from(image.data)));
}

/** A small valid PNG written by pngjs in one of its formats. */
const pngFile = fc.record({
  width: fc.integer({ min: 1, max: 24 }), height: fc.integer({ min: 1, max: 24 }), seed: fc.nat(),
  format: fc.constantFrom({ colorType: 0, bitDepth: 8 }, { colorType: 0, bitDepth: 16 }, { colorType: 2, bitDepth: 8 }, { colorType: 4, bitDepth: 8 }, { colorType: 6, bitDepth: 8 }, { colorType: 6, bitDepth: 16 }),
}).map(({ width, height, seed, format }) => {
  const png = new pngjs.PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37 + seed) & 0xff;
  return pngjs.PNG.sync.write(png, { ...format, inputHasAlpha: true } as pngjs.PNGOptions);
});

/** Sets IHDR's width and height and (optionally) fixes its CRC, so the change passes the CRC check. */
function resize(png: Buffer, width: number, height: number, fixCrc: boolean): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  if (fixCrc) out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

const dimension = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(0, 1, 30000, 65535, 0x7fffffff, 0xffffffff), fc.nat());

export const properties: NamedProperty[] = [
  { name: 'png: random bytes after the signature', property: fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => checkPng(Buffer.concat([SIGNATURE, tail]))) },
  { name: 'png: mutated valid files', property: fc.property(pngFile, mutations(), (png, edits) => checkPng(mutate(png, edits))) },
  {
    name: 'png: IHDR sizes changed (CRC fixed or not), then mutated',
    property: fc.property(pngFile, dimension, dimension, fc.boolean(), mutations(2), (png, width, height, fixCrc, edits) => checkPng(mutate(resize(png, width, height, fixCrc), edits))),
  },
];
