// Decoding and encoding of image files for the data layer: PNG (png.ts for 8-bit gray/RGB(A), else pngjs)
// and JPEG (jpeg-js) in, PNG out. Decoded images are RGBA bytes; errors name the file and what was wrong.
// Sizes are read from the header (PNG IHDR, JPEG SOF) and checked against a pixel limit before decoding.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DataError } from '../errors.js';
import { readRegularFile } from './files.js';
import { decodeSimplePng } from './png.js';
import { preprocessDigit, type PreprocessOptions } from './preprocess.js';
import { checkPngChunks, checkPngData } from './png-guard.js';

const { PNG } = pngjs;

/** Decoded pixels, row-major, `channels` bytes per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** The largest image decoded by default: 16 megapixels (4096x4096), 64 MiB as RGBA. */
export const DEFAULT_MAX_IMAGE_PIXELS = 16_777_216;

/** Limits of image decoding. */
export interface ImageLimits {
  /** Most pixels (width * height) an image may have (default DEFAULT_MAX_IMAGE_PIXELS; CLI --max-image-pixels). */
  maxPixels?: number;
}

/** Bytes an image file may have per allowed pixel (an uncompressed 16-bit RGBA PNG needs 8), plus 16 MiB of metadata. */
const FILE_BYTES_PER_PIXEL = 10;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Format and size of PNG or JPEG bytes, read from the header alone (PNG IHDR; JPEG's first SOF marker).
 * Throws a DataError naming `file` for an unknown signature or a truncated or invalid header.
 */
export function imageDimensions(bytes: Uint8Array, file: string): { format: 'png' | 'jpeg'; width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 4 && PNG_SIGNATURE.slice(0, 4).every((b, i) => bytes[i] === b)) {
    if (bytes.length < 24) throw new DataError(`${file}: truncated PNG (${bytes.length} bytes): no complete IHDR header`);
    if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new DataError(`${file}: invalid PNG signature (a file damaged by a text-mode transfer?)`);
    const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
    if (type !== 'IHDR' || view.getUint32(8) !== 13) throw new DataError(`${file}: invalid PNG: the first chunk is '${printable(type)}', expected a 13-byte IHDR`);
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return { format: 'jpeg', ...jpegDimensions(bytes, view, file) };
  throw new DataError(`${file}: not a PNG or JPEG image (unrecognized signature); expected a .png or .jpg file`);
}

/** Walks JPEG marker segments up to the first SOFn (frame header) and reads its height and width. */
function jpegDimensions(bytes: Uint8Array, view: DataView, file: string): { width: number; height: number } {
  let p = 2;
  while (p + 1 < bytes.length) {
    if (bytes[p] !== 0xff) throw new DataError(`${file}: invalid JPEG: expected a marker at byte ${p}, found 0x${bytes[p].toString(16)}`);
    const marker = bytes[p + 1];
    if (marker === 0xff) { p++; continue; } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { p += 2; continue; } // TEM, RSTn, SOI: no length
    if (marker === 0xd9 || marker === 0xda) throw new DataError(`${file}: invalid JPEG: image data before any frame header (SOF)`);
    if (p + 4 > bytes.length) break;
    const length = view.getUint16(p + 2);
    if (length < 2) throw new DataError(`${file}: invalid JPEG: marker 0x${marker.toString(16)} at byte ${p} has length ${length}`);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (p + 9 > bytes.length) break;
      return { height: view.getUint16(p + 5), width: view.getUint16(p + 7) };
    }
    p += 2 + length;
  }
  throw new DataError(`${file}: truncated JPEG (${bytes.length} bytes): no complete frame header (SOF)`);
}

/** Throws a DataError naming `file` when an image of this size is empty or above `maxPixels`. */
export function checkImageSize(size: { width: number; height: number }, file: string, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): void {
  const { width, height } = size;
  if (width === 0 || height === 0) throw new DataError(`${file}: image is ${width}x${height} (empty); expected at least 1x1 pixels`);
  if (width * height > maxPixels) {
    const mp = (n: number): string => (n / 1e6).toFixed(1);
    throw new DataError(`${file}: image is ${width}x${height} (${mp(width * height)} megapixels), above the ${mp(maxPixels)}-megapixel limit (maxPixels / --max-image-pixels)`);
  }
}

/** Decodes PNG or JPEG bytes (recognized by their signature) into RGBA pixels, after checking the header's size. */
export function decodeImage(bytes: Uint8Array, file: string, options: ImageLimits = {}): PixelImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const size = imageDimensions(bytes, file);
  checkImageSize(size, file, maxPixels);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size.format === 'png') {
    checkPngChunks(buffer, file); // one IHDR
    const simple = decodeSimplePng(buffer); // 8-bit gray/RGB(A): fast path, its inflate bounded; anything else goes to pngjs
    if (simple) return { ...simple, channels: 4 };
    checkPngData(buffer, file); // image data of exactly the header's size, before pngjs sizes its buffers by it
    try {
      const png = PNG.sync.read(buffer);
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height, channels: 4 };
    } catch (err) {
      throw new DataError(`${file}: unreadable PNG (${(err as Error).message})`);
    }
  }
  try {
    // jpeg-js checks every frame it meets against the same limit (a later SOF could differ from the first).
    const megapixels = maxPixels / 1e6;
    const image = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: megapixels, maxMemoryUsageInMB: Math.max(64, Math.ceil(megapixels * 32)) });
    return { data: image.data, width: image.width, height: image.height, channels: 4 };
  } catch (err) {
    throw new DataError(`${file}: unreadable JPEG (${(err as Error).message})`);
  }
}

/** Reads and decodes a PNG or JPEG file (a regular file of at most 10 bytes per allowed pixel + 16 MiB). */
export function readImageFile(path: string, options: ImageLimits = {}): PixelImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const bytes = readRegularFile(path, 'a PNG or JPEG image', FILE_BYTES_PER_PIXEL * maxPixels + 2 ** 24);
  return decodeImage(bytes, path, options);
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

/** A chunk type for a message: non-printable bytes as '?'. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** Reads an image file and preprocesses it (`preprocessDigit`); every error, "no visible ink" too, names `path`. */
export function readDigitFile(path: string, options: PreprocessOptions & ImageLimits = {}): Float32Array {
  const image = readImageFile(path, options);
  try {
    return preprocessDigit(image, options);
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`${path}: ${err.message}`);
    throw err;
  }
}
