// Turning request bodies into model-ready pixels: a PNG/JPEG upload (any size and colors up to a pixel limit read
// from its header, MNIST-style preprocessing) or JSON { pixels: [784 numbers 0-1] } / { pixels: [[...], [...]] }.
// Every problem becomes a RequestError with an HTTP status and a message naming what was wrong.
import { decodeImage, imageDimensions } from '../data/image.js';
import { preprocessDigit } from '../data/preprocess.js';
import { ZerogradError } from '../errors.js';

/** Largest upload the server decodes by default, in pixels (2048x2048): a digit needs far less; the CLI allows 16 MP. */
export const SERVE_MAX_IMAGE_PIXELS = 2048 * 2048;

/** A client mistake: the server answers `status` with `{ error: { code, message } }`. */
export class RequestError extends ZerogradError {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Parsed pixels: `count` examples of `features` values, and whether the client sent a batch. */
export interface PixelBatch {
  pixels: Float32Array;
  count: number;
  batch: boolean;
}

/**
 * Reads only the header of an upload: a 413 `image_too_large` above `maxPixels`, a 400 for an empty body or an
 * unreadable header. Bounded work (a few segment headers), so it runs on the event loop before any decoding.
 */
export function checkUploadSize(body: Uint8Array, maxPixels: number): void {
  if (body.length === 0) throw new RequestError(400, 'empty_body', 'the request body is empty; send a PNG or JPEG image');
  let size: { format: string; width: number; height: number };
  try {
    size = imageDimensions(body, 'uploaded image');
  } catch (err) {
    if (err instanceof ZerogradError) throw new RequestError(400, 'bad_image', err.message);
    throw err;
  }
  if (size.width * size.height > maxPixels) {
    const megapixels = (size.width * size.height / 1e6).toFixed(1);
    throw new RequestError(413, 'image_too_large', `uploaded image: the ${size.format.toUpperCase()} is ${size.width}x${size.height} pixels (${megapixels} MP); at most ${maxPixels} pixels are accepted (--max-image-pixels)`);
  }
}

/** Decodes and preprocesses one uploaded image into (features) pixels 0-1, refusing it from its header above `maxPixels`. */
export function imagePixels(body: Uint8Array, features: number, maxPixels = SERVE_MAX_IMAGE_PIXELS): PixelBatch {
  checkUploadSize(body, maxPixels);
  let pixels: Float32Array;
  try {
    pixels = preprocessDigit(decodeImage(body, 'uploaded image', { maxPixels }));
  } catch (err) {
    if (err instanceof ZerogradError) throw new RequestError(400, 'bad_image', err.message);
    throw err;
  }
  if (pixels.length !== features) throw new RequestError(400, 'bad_image', `the model expects ${features} input values but images preprocess to ${pixels.length}`);
  return { pixels, count: 1, batch: false };
}

/** Validates JSON `{ pixels }`: one array of `features` numbers in [0, 1], or a non-empty array of such arrays (at most `maxBatch`). */
export function jsonPixels(body: unknown, features: number, maxBatch: number): PixelBatch {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
    throw new RequestError(400, 'bad_json', `the JSON body is ${got}; expected a JSON object { "pixels": [${features} numbers 0-1] }`);
  }
  const value = (body as { pixels?: unknown }).pixels;
  if (value === undefined) throw new RequestError(400, 'missing_pixels', `the JSON object has no "pixels" field; expected { "pixels": [${features} numbers 0-1] }`);
  if (!Array.isArray(value)) throw new RequestError(400, 'bad_pixels', `"pixels" must be an array of ${features} numbers (or an array of such arrays), got ${typeof value}`);
  const batch = value.length > 0 && Array.isArray(value[0]);
  const rows: unknown[] = batch ? value : [value];
  if (rows.length === 0) throw new RequestError(400, 'bad_pixels', '"pixels" is an empty batch');
  if (rows.length > maxBatch) throw new RequestError(413, 'batch_too_large', `a batch holds at most ${maxBatch} images, got ${rows.length}`);
  const pixels = new Float32Array(rows.length * features);
  rows.forEach((row, r) => {
    const where = batch ? `pixels[${r}]` : 'pixels';
    if (!Array.isArray(row)) throw new RequestError(400, 'bad_pixels', `${where} must be an array of ${features} numbers, got ${row === null ? 'null' : typeof row}`);
    if (row.length !== features) throw new RequestError(400, 'wrong_length', `${where} has ${row.length} values, expected ${features} (28x28 pixels, row by row)`);
    for (let i = 0; i < features; i++) {
      const v = row[i] as unknown;
      if (typeof v !== 'number') {
        throw new RequestError(400, 'bad_value', `${where}[${i}] is ${JSON.stringify(v) ?? String(v)}; every pixel must be a finite number from 0 to 1`);
      }
      if (!Number.isFinite(v)) { // JSON.parse reads 1e999 as Infinity (and JSON.stringify would call it null)
        throw new RequestError(400, 'out_of_range', `${where}[${i}] is ${v} (a number too large to represent, e.g. 1e999); pixels must be finite, from 0 (background) to 1 (ink)`);
      }
      if (v < 0 || v > 1) throw new RequestError(400, 'out_of_range', `${where}[${i}] is ${v}; pixels must be from 0 (background) to 1 (ink)`);
      pixels[r * features + i] = v;
    }
  });
  return { pixels, count: rows.length, batch };
}
