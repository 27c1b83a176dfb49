// Property checks of the JPEG front end: random marker soup and valid baseline JPEGs with bytes flipped, cut or
// frame sizes changed end in RGBA pixels within the pixel limit, or in a ZerogradError; never another exception.
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { decodeImage, imageDimensions, type PixelImage } from '../../src/data/image.js';
import { mutate, mutations, validOrNamed } from './byte-mutations.js';
import type { NamedProperty } from './property.js';

const MAX_PIXELS = 1 << 16;

/** A result must be within the limit, RGBA, and the same when decoded again (no uninitialized memory). */
function checkJpeg(bytes: Uint8Array): boolean {
  return validOrNamed(() => ({ size: imageDimensions(bytes, 'j.jpg'), image: decodeImage(bytes, 'j.jpg', { maxPixels: MAX_PIXELS }) }), ({ size, image }: { size: { width: number; height: number }; image: PixelImage }) =>
    image.width * image.height <= MAX_PIXELS && image.data.length === image.width * image.height * 4 && size.width * size.height <= MAX_PIXELS
    && Buffer.from(decodeImage(bytes, 'j.jpg', { maxPixels: MAX_PIXELS }).data).equals(Buffer.from(image.data)));
}

/** 48 small valid baseline JPEGs from jpeg-js, made once (its encoder takes ~20 ms to set up, per call). */
const POOL = Array.from({ length: 48 }, (_, k) => {
  const width = 1 + ((k * 7) % 24);
  const height = 1 + ((k * 11) % 24);
  const data = Buffer.from(Array.from({ length: width * height * 4 }, (_, i) => (i * 29 + k * 101) & 0xff));
  return jpeg.encode({ width, height, data }, 10 + ((k * 17) % 86)).data;
});
const jpegFile = fc.constantFrom(...POOL);

/** The offset of the first SOF0 frame's height field, or -1. */
function sofOffset(bytes: Uint8Array): number {
  for (let i = 2; i + 8 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) return i + 5;
  return -1;
}

/** Segments a JPEG parser walks: markers with random lengths and bodies. */
const markerSoup = fc.array(fc.record({ marker: fc.integer({ min: 0xc0, max: 0xfe }), body: fc.uint8Array({ maxLength: 24 }), length: fc.option(fc.integer({ min: 0, max: 0xffff })) }), { maxLength: 8 })
  .map((segments) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...segments.map(({ marker, body, length }) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(length ?? body.length + 2, 2);
    return Buffer.concat([head, body]);
  })]));

export const properties: NamedProperty[] = [
  { name: 'jpeg: random marker segments', property: fc.property(markerSoup, (bytes) => checkJpeg(bytes)) },
  { name: 'jpeg: mutated valid files', property: fc.property(jpegFile, mutations(), (file, edits) => checkJpeg(mutate(file, edits))) },
  {
    name: 'jpeg: frame sizes changed, then mutated',
    property: fc.property(jpegFile, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), mutations(2), (file, width, height, edits) => {
      const bytes = Buffer.from(file);
      const at = sofOffset(bytes);
      if (at >= 0) { bytes.writeUInt16BE(height, at); bytes.writeUInt16BE(width, at + 2); }
      return checkJpeg(mutate(bytes, edits));
    }),
  },
];
