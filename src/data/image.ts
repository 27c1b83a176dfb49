// Decoding and encoding of image files for the data layer: PNG (png.ts for 8-bit gray/RGB(A), else pngjs)
// and JPEG (jpeg-js) in, PNG out. Decoded images are RGBA bytes; errors name the file and what was wrong.
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DataError } from '../errors.js';
import { decodeSimplePng } from './png.js';

const { PNG } = pngjs;

/** Decoded pixels, row-major, `channels` bytes per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** Decodes PNG or JPEG bytes (recognized by their signature) into RGBA pixels. */
export function decodeImage(bytes: Uint8Array, file: string): PixelImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (PNG_SIGNATURE.every((b, i) => buffer[i] === b)) {
    const simple = decodeSimplePng(buffer); // 8-bit gray/RGB(A): fast path; anything else goes to pngjs
    if (simple) return { ...simple, channels: 4 };
    try {
      const png = PNG.sync.read(buffer);
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height, channels: 4 };
    } catch (err) {
      throw new DataError(`${file}: unreadable PNG (${(err as Error).message})`);
    }
  }
  if (buffer[0] === 0xff && buffer[1] === 0xd8) {
    try {
      const image = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 });
      return { data: image.data, width: image.width, height: image.height, channels: 4 };
    } catch (err) {
      throw new DataError(`${file}: unreadable JPEG (${(err as Error).message})`);
    }
  }
  throw new DataError(`${file}: not a PNG or JPEG image (unrecognized signature); expected a .png or .jpg file`);
}

/** Reads and decodes a PNG or JPEG file. */
export function readImageFile(path: string): PixelImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read image (${(err as Error).message})`);
  }
  return decodeImage(bytes, path);
}

/** Encodes gray bytes (width*height, 0 = black) or RGBA bytes as a PNG file buffer. */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 4 = 1): Buffer {
  const png = new PNG({ width, height });
  if (channels === 4) {
    png.data.set(pixels.subarray(0, width * height * 4));
  } else {
    for (let i = 0; i < width * height; i++) {
      const v = pixels[i];
      png.data[4 * i] = v;
      png.data[4 * i + 1] = v;
      png.data[4 * i + 2] = v;
      png.data[4 * i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
