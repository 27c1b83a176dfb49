// Hostile inputs made on the fly (no checked-in binaries): PNG and JPEG files whose header claims any size over
// a tiny body, extra chunks, and gzip bombs. Shared by the data tests, the property tests and bench/reliability-data.ts.
import { createWriteStream } from 'node:fs';
import { createGzip, crc32, deflateSync } from 'node:zlib';

/** One PNG chunk: length, type, data, CRC of type + data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The 13 bytes of an IHDR chunk's data. */
export function ihdr(width: number, height: number, depth = 8, colorType = 0, interlace = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([depth, colorType, 0, 0, interlace], 8);
  return data;
}

/** A PNG whose IHDR says `width`x`height` over `idat` (default: a few rows of deflated zeros). */
export function pngWithHeader(width: number, height: number, options: { depth?: number; colorType?: number; interlace?: number; idat?: Uint8Array; extra?: Buffer[] } = {}): Buffer {
  const idat = options.idat ?? deflateSync(Buffer.alloc(1024));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr(width, height, options.depth, options.colorType, options.interlace)),
    ...(options.extra ?? []),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A JPEG prefix with a baseline frame header (SOF0) of `width`x`height` and no scan: SOI, APP0, SOF0, EOI. */
export function jpegWithHeader(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

/** Gzips `head` then `bodyBytes` bytes of `fill` repeated (zeros by default) into `path`, streaming: a bomb in little memory. */
export async function writeGzipBomb(path: string, head: Uint8Array, bodyBytes: number, fill: Uint8Array = new Uint8Array(1 << 20)): Promise<void> {
  const gzip = createGzip({ level: 9 });
  const done = new Promise<void>((resolve, reject) => {
    gzip.pipe(createWriteStream(path)).on('finish', resolve).on('error', reject);
  });
  gzip.write(head);
  for (let left = bodyBytes; left > 0; left -= fill.length) {
    const piece = left >= fill.length ? fill : fill.subarray(0, left);
    if (!gzip.write(piece)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
}
