// Checks of a PNG before pngjs decodes it, for what pngjs does not bound: a second IHDR (it would size its
// buffers by the later one), image data that inflates past the header's size (unbounded for interlaced
// images) or short of it, missing, or cut (pngjs then decodes uninitialized memory). Errors name the file.
import { inflateSync } from 'node:zlib';
import { DataError } from '../errors.js';

/** Samples per pixel per color type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/**
 * Walks the chunks after a checked IHDR: throws on a second IHDR; returns the IDAT bodies and whether the walk
 * reached IEND (false: a chunk runs past the end of the file, or there is no IEND).
 */
export function checkPngChunks(png: Uint8Array, file: string): { idat: Uint8Array[]; complete: boolean } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const idat: Uint8Array[] = [];
  for (let offset = 8 + 25; offset + 12 <= png.length;) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(png[offset + 4], png[offset + 5], png[offset + 6], png[offset + 7]);
    if (type === 'IHDR') throw new DataError(`${file}: invalid PNG: a second IHDR chunk at byte ${offset}`);
    if (type === 'IEND') return { idat, complete: true };
    if (offset + 12 + length > png.length) break;
    if (type === 'IDAT') idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return { idat, complete: false };
}

/** Bytes of filtered image data (a filter byte per row) a PNG of this header holds, or null for an invalid header. */
export function pngDataSize(width: number, height: number, depth: number, colorType: number, interlace: number): number | null {
  if (!DEPTHS[colorType]?.includes(depth) || interlace > 1) return null;
  const bits = depth * SAMPLES[colorType];
  const rows = (w: number, h: number): number => (w > 0 && h > 0 ? h * (Math.ceil((w * bits) / 8) + 1) : 0);
  if (interlace === 0) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}

/** Checks the chunks are whole up to IEND, then inflates the image data, bounded by the header's size, and throws unless it is exactly that size. */
export function checkPngData(png: Uint8Array, file: string): void {
  const { idat, complete } = checkPngChunks(png, file);
  if (!complete) throw new DataError(`${file}: truncated PNG: the chunks end before IEND`);
  if (idat.length === 0) throw new DataError(`${file}: invalid PNG: no image data (IDAT chunk)`);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const [width, height] = [view.getUint32(16), view.getUint32(20)];
  const size = pngDataSize(width, height, png[24], png[25], png[28]);
  if (size === null) return; // pngjs names a bad header
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: size });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`${file}: PNG image data inflates to more than the ${size} bytes a ${width}x${height} image needs`);
    }
    throw new DataError(`${file}: unreadable PNG (image data: ${(err as Error).message})`);
  }
  if (inflated.length < size) throw new DataError(`${file}: truncated PNG: image data inflates to ${inflated.length} of the ${size} bytes a ${width}x${height} image needs`);
}
