// Writing zip archives of stored (uncompressed) entries: how the web page hands a model folder to
// the visitor as one download (config.json + model.safetensors). Browser-safe: its own CRC-32.
import { UsageError } from '../errors.js';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as zip and PNG use) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One file of an archive to write: a relative path with '/' separators and its bytes or text. */
export interface ZipFile {
  name: string;
  data: Uint8Array | string;
}

/** Zip archive (stored entries, UTF-8 names, no zip64: every entry and the whole below 4 GiB). */
export function encodeZip(files: readonly ZipFile[]): Uint8Array {
  const encoder = new TextEncoder();
  const entries = files.map(({ name, data }) => {
    if (name === '' || name.startsWith('/') || name.split('/').includes('..')) throw new UsageError(`zip: entry name '${name}' must be a relative path without '..'`);
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    return { name: encoder.encode(name), bytes, crc: crc32(bytes) };
  });
  const size = entries.reduce((s, e) => s + 30 + e.name.length + e.bytes.length + 46 + e.name.length, 22);
  if (size >= 0xffffffff) throw new UsageError(`zip: ${size} bytes is more than this writer handles (4 GiB, no zip64)`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  const header = (signature: number, e: (typeof entries)[number], central: boolean) => {
    view.setUint32(at, signature, true);
    let p = at + 4;
    if (central) { view.setUint16(p, 20, true); p += 2; } // version made by
    view.setUint16(p, 20, true); // version needed
    view.setUint16(p + 2, 0x800, true); // UTF-8 names
    view.setUint16(p + 4, 0, true); // stored
    view.setUint32(p + 6, 0x00210000, true); // 1980-01-01 00:00: fixed, so the same files give the same bytes
    view.setUint32(p + 10, e.crc, true);
    view.setUint32(p + 14, e.bytes.length, true);
    view.setUint32(p + 18, e.bytes.length, true);
    view.setUint16(p + 22, e.name.length, true);
    return p + 26; // after the extra field's length (0)
  };
  for (const e of entries) {
    offsets.push(at);
    const p = header(0x04034b50, e, false);
    out.set(e.name, p);
    out.set(e.bytes, p + e.name.length);
    at = p + e.name.length + e.bytes.length;
  }
  const directory = at;
  entries.forEach((e, i) => {
    const p = header(0x02014b50, e, true);
    // comment length, disk, internal and external attributes: 0; then the local header's offset
    view.setUint32(p + 10, offsets[i], true);
    out.set(e.name, p + 14);
    at = p + 14 + e.name.length;
  });
  view.setUint32(at, 0x06054b50, true);
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, at - directory, true);
  view.setUint32(at + 16, directory, true);
  return out;
}
