// Request bodies of the HTTP API: random JSON values and mutated JSON texts through jsonPixels, random and mutated
// PNG/JPEG uploads through imagePixels. Each ends in a valid pixel batch or a RequestError (a 4xx with a message),
// and an upload whose header claims more than the pixel limit is refused with 413 before it is decoded.
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { encodePng } from '../../src/data/image.js';
import { imageDimensions } from '../../src/data/image.js';
import { imagePixels, jsonPixels, RequestError, type PixelBatch } from '../../src/serve/inputs.js';
import type { NamedProperty } from './property.js';

const FEATURES = 4; // small rows, so random arrays often have the right length
const MAX_BATCH = 3;
const MAX_PIXELS = 96 * 96;

/** A valid batch, or a RequestError with a 4xx status, a code and a message; anything else fails the property. */
function validOrRequestError(run: () => PixelBatch, features: number, maxBatch: number): boolean {
  let result: PixelBatch;
  try {
    result = run();
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    return err.status >= 400 && err.status < 500 && err.code.length > 0 && err.message.length > 0;
  }
  return result.count >= 1 && result.count <= maxBatch && result.pixels.length === result.count * features
    && result.pixels.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && (result.batch || result.count === 1);
}

const pixelValue = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }), fc.double(), fc.integer(),
  fc.constantFrom(null, true, '0.5', Infinity, -Infinity, Number.NaN, -0, 1e-320), fc.jsonValue({ maxDepth: 1 }),
);
const row = fc.array(pixelValue, { minLength: FEATURES - 1, maxLength: FEATURES + 1 });
const pixelsField = fc.oneof(row, fc.array(row, { maxLength: MAX_BATCH + 1 }), fc.array(fc.oneof(row, pixelValue), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }));
const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ pixels: pixelsField }), fc.record({ pixels: pixelsField, extra: fc.jsonValue({ maxDepth: 1 }) }));

/** One byte flipped, inserted, deleted or the text cut, at a random place. */
const textMutation = fc.tuple(fc.constantFrom('flip', 'insert', 'delete', 'cut'), fc.nat(), fc.integer({ min: 32, max: 126 }));
function mutateText(text: string, [kind, at, code]: [string, number, number]): string {
  const i = at % (text.length + 1);
  const c = String.fromCharCode(code);
  if (kind === 'flip') return text.slice(0, i) + c + text.slice(i + 1);
  if (kind === 'insert') return text.slice(0, i) + c + text.slice(i);
  if (kind === 'delete') return text.slice(0, i) + text.slice(i + 1);
  return text.slice(0, i);
}

// Uploads: a digit as PNG (8-bit RGBA) and as JPEG, and a 1-bit PNG, each small.
const digit = new Uint8Array(32 * 32 * 4);
for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) digit.set(Math.abs(x - 16) < 3 && y > 4 && y < 28 ? [20, 20, 40, 255] : [250, 245, 225, 255], (y * 32 + x) * 4);
const UPLOADS: Uint8Array[] = [encodePng(digit, 32, 32, 4), jpeg.encode({ data: Buffer.from(digit), width: 32, height: 32 }, 90).data];

/** Byte edits: flips (often in the header, where sizes live), a size field overwritten, insertions, truncation. */
const byteEdit = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat({ max: 64 }), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
);
function mutateBytes(bytes: Uint8Array, edits: { kind: 'flip' | 'insert' | 'cut'; at: number; value: number }[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const { kind, at, value } of edits) {
    const i = at % (out.length + 1);
    if (kind === 'flip' && i < out.length) out[i] = value;
    else if (kind === 'insert') out = Uint8Array.from([...out.subarray(0, i), value, ...out.subarray(i)]);
    else if (kind === 'cut') out = out.slice(0, i);
  }
  return out;
}

/** imagePixels ends valid or in a RequestError; one whose header claims more than MAX_PIXELS ends in 413 image_too_large. */
function uploadProperty(bytes: Uint8Array): boolean {
  let claimed = 0;
  try {
    const { width, height } = imageDimensions(bytes, 'upload');
    claimed = width * height;
  } catch { /* an unreadable header: imagePixels must say so */ }
  if (claimed > MAX_PIXELS) {
    try {
      imagePixels(bytes, 784, MAX_PIXELS);
    } catch (err) {
      return err instanceof RequestError && err.status === 413 && err.code === 'image_too_large';
    }
    return false;
  }
  return validOrRequestError(() => imagePixels(bytes, 784, MAX_PIXELS), 784, 1);
}

export const properties: NamedProperty[] = [
  {
    name: 'jsonPixels: any JSON value or { pixels } body is a valid batch or a RequestError',
    property: fc.property(body, (value) => validOrRequestError(() => jsonPixels(value, FEATURES, MAX_BATCH), FEATURES, MAX_BATCH)),
  },
  {
    name: 'jsonPixels: a mutated valid JSON text that still parses is a valid batch or a RequestError',
    property: fc.property(fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: FEATURES, maxLength: FEATURES }), { minLength: 1, maxLength: MAX_BATCH }), fc.boolean(), fc.array(textMutation, { minLength: 1, maxLength: 4 }), (rows, single, mutations) => {
      const text = mutations.reduce(mutateText, JSON.stringify({ pixels: single ? rows[0] : rows }));
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return true; // not JSON: Fastify's parser answers 400 bad_json before jsonPixels
      }
      return validOrRequestError(() => jsonPixels(parsed, FEATURES, MAX_BATCH), FEATURES, MAX_BATCH);
    }),
  },
  {
    name: 'imagePixels: a mutated PNG or JPEG upload is a digit, a RequestError, or 413 before decoding when its header is too large',
    property: fc.property(fc.constantFrom(...UPLOADS), fc.array(byteEdit, { minLength: 1, maxLength: 4 }), (upload, edits) => uploadProperty(mutateBytes(upload, edits))),
  },
  {
    name: 'imagePixels: random bytes behind a PNG or JPEG signature are a RequestError (or 413 when they claim too many pixels)',
    property: fc.property(fc.constantFrom([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52], [0xff, 0xd8, 0xff], [0xff, 0xd8], []), fc.uint8Array({ maxLength: 300 }), (prefix, rest) => uploadProperty(Uint8Array.from([...prefix, ...rest]))),
  },
];
