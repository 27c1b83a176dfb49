// The size of an uploaded image from its header alone (PNG IHDR, JPEG SOF), read before any pixel is decoded.
// A stand-in with the signature of `imageDimensions` in src/data/image.ts: at merge, that one replaces this file.
import { DataError } from '../errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR or a JPEG's SOF segment; a DataError naming `file` when there is none. */
export function imageDimensions(bytes: Uint8Array, file: string): { format: 'png' | 'jpeg'; width: number; height: number } {
  const u16 = (at: number): number => (bytes[at] << 8) | bytes[at + 1];
  const u32 = (at: number): number => u16(at) * 65536 + u16(at + 2);
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const ihdr = bytes.length >= 24 && String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR';
    if (!ihdr) throw new DataError(`${file}: unreadable PNG (no IHDR header chunk after the signature)`);
    return checked(file, 'png', u32(16), u32(20));
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 4 <= bytes.length) {
      if (bytes[at] !== 0xff) throw new DataError(`${file}: unreadable JPEG (no segment marker at byte ${at})`);
      const marker = bytes[at + 1];
      if (marker === 0xff) { at++; continue; } // fill byte
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { at += 2; continue; } // markers without a length
      if (marker === 0xd9 || marker === 0xda) break; // end of image, or image data before any frame header
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame && at + 9 <= bytes.length) return checked(file, 'jpeg', u16(at + 7), u16(at + 5));
      at += 2 + u16(at + 2);
    }
    throw new DataError(`${file}: unreadable JPEG (no frame header with the image size)`);
  }
  throw new DataError(`${file}: not a PNG or JPEG image (unrecognized signature); expected a .png or .jpg file`);
}

function checked(file: string, format: 'png' | 'jpeg', width: number, height: number): { format: 'png' | 'jpeg'; width: number; height: number } {
  if (width === 0 || height === 0) throw new DataError(`${file}: unreadable ${format.toUpperCase()} (its header gives ${width}x${height} pixels)`);
  return { format, width, height };
}
