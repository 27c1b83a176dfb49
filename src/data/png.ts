// A fast PNG decoder for the common case (8-bit gray, gray+alpha, RGB or RGBA, not interlaced, no palette
// or tRNS): inflate with node:zlib, undo the row filters in typed arrays, expand to RGBA. About ten times
// faster than pngjs's per-pixel JS; anything else, or anything odd (bad CRC, short data), returns null and
// decodeImage falls back to pngjs (after png-guard.ts), so formats and error messages stay pngjs's.
import { crc32, inflateSync } from 'node:zlib';

/** Bytes per pixel for the color types handled here: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** RGBA pixels of a simple 8-bit PNG, or null when it is not one (the caller uses pngjs then). */
export function decodeSimplePng(png: Uint8Array): { data: Uint8Array; width: number; height: number } | null {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.length < 8 + 25 + 12) return null;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  let offset = 8; // after the signature
  let ended = false;
  while (offset + 12 <= png.length) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > png.length) return null;
    const type = String.fromCharCode(png[offset + 4], png[offset + 5], png[offset + 6], png[offset + 7]);
    if (crc32(png.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) return null;
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      if (offset !== 8 || length !== 13) return null;
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const [depth, colorType, compression, filter, interlace] = body.subarray(8, 13);
      channels = CHANNELS[colorType] ?? 0;
      if (depth !== 8 || channels === 0 || compression !== 0 || filter !== 0 || interlace !== 0) return null;
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (type === 'PLTE' || type === 'tRNS' || (png[offset + 4] & 0x20) === 0) {
      return null; // palette, transparency key, or another critical chunk: pngjs's business
    }
    offset = end;
  }
  if (!ended || channels === 0 || width === 0 || height === 0 || idat.length === 0 || width * height > 1 << 26) return null;
  const stride = width * channels;
  let raw: Uint8Array;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: (stride + 1) * height });
  } catch {
    return null;
  }
  if (raw.length !== (stride + 1) * height) return null;
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length); // a plain Uint8Array: Buffer's element access is slower
  const pixels = unfilter(bytes, stride, height, channels);
  return pixels ? { data: toRgba(pixels, width * height, channels), width, height } : null;
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth) into (height, stride) bytes; null on an unknown filter. */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): Uint8Array | null {
  const out = new Uint8Array(stride * height);
  const zeros = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : zeros;
    switch (filter) {
      case 0:
        cur.set(line);
        break;
      case 1: // Sub: left
        for (let x = 0; x < bpp; x++) cur[x] = line[x];
        for (let x = bpp; x < stride; x++) cur[x] = line[x] + cur[x - bpp];
        break;
      case 2: // Up
        for (let x = 0; x < stride; x++) cur[x] = line[x] + prev[x];
        break;
      case 3: // Average of left and up
        for (let x = 0; x < bpp; x++) cur[x] = line[x] + (prev[x] >> 1);
        for (let x = bpp; x < stride; x++) cur[x] = line[x] + ((cur[x - bpp] + prev[x]) >> 1);
        break;
      case 4: // Paeth
        for (let x = 0; x < bpp; x++) cur[x] = line[x] + prev[x];
        for (let x = bpp; x < stride; x++) cur[x] = line[x] + paeth(cur[x - bpp], prev[x], prev[x - bpp]);
        break;
      default:
        return null;
    }
  }
  return out;
}

/** The Paeth predictor: whichever of left, up, upper-left is closest to left + up - upper-left. */
function paeth(a: number, b: number, c: number): number {
  const pa = b > c ? b - c : c - b; // |p - a| with p = a + b - c
  const pb = a > c ? a - c : c - a; // |p - b|
  const pcSigned = a + b - c - c; // p - c
  const pc = pcSigned < 0 ? -pcSigned : pcSigned;
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** (pixels * channels) gray / gray+alpha / RGB / RGBA bytes -> (pixels * 4) RGBA, as pngjs gives them. */
function toRgba(pixels: Uint8Array, count: number, channels: number): Uint8Array {
  if (channels === 4) return pixels;
  const out = new Uint8Array(count * 4);
  for (let i = 0, j = 0; i < count; i++, j += channels) {
    const o = i * 4;
    if (channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = pixels[j];
      out[o + 3] = 255;
    } else if (channels === 2) {
      out[o] = out[o + 1] = out[o + 2] = pixels[j];
      out[o + 3] = pixels[j + 1];
    } else {
      out[o] = pixels[j];
      out[o + 1] = pixels[j + 1];
      out[o + 2] = pixels[j + 2];
      out[o + 3] = 255;
    }
  }
  return out;
}
