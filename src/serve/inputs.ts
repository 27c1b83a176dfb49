// Turning request bodies into model-ready pixels: a PNG/JPEG upload (any size and colors, MNIST-style
// preprocessing) or JSON { pixels: [784 numbers 0-1] } / { pixels: [[...], [...]] } for a batch.
// Every problem becomes a RequestError with an HTTP status and a message naming what was wrong.
import { decodeImage } from '../data/image.js';
import { preprocessDigit } from '../data/preprocess.js';
import { ZerogradError } from '../errors.js';

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

/** Decodes and preprocesses one uploaded image into (features) pixels 0-1. */
export function imagePixels(body: Uint8Array, features: number): PixelBatch {
  if (body.length === 0) throw new RequestError(400, 'empty_body', 'the request body is empty; send a PNG or JPEG image');
  let pixels: Float32Array;
  try {
    pixels = preprocessDigit(decodeImage(body, 'uploaded image'));
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
    throw new RequestError(400, 'bad_json', `expected a JSON object { "pixels": [${features} numbers 0-1] }`);
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
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RequestError(400, 'bad_value', `${where}[${i}] is ${JSON.stringify(v) ?? String(v)}; every pixel must be a finite number from 0 to 1`);
      }
      if (v < 0 || v > 1) throw new RequestError(400, 'out_of_range', `${where}[${i}] is ${v}; pixels must be from 0 (background) to 1 (ink)`);
      pixels[r * features + i] = v;
    }
  });
  return { pixels, count: rows.length, batch };
}
