// A small zip reader for checkpoint archives (torch.save stores entries uncompressed; deflate is read too, zip64
// as well). Every offset and size is checked against the buffer before use, inflating is capped at the told
// size, CRC-32s are checked; errors are DataErrors naming the file and the entry.
import { DataError } from '../errors.js';
import { builtin } from '../platform/node.js';

/** One file of the archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Where its local header starts. */
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** True when `bytes` start like a zip archive (a local file header). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** A little-endian reader over `bytes` that fails with a DataError when a field lies outside them. */
function fields(bytes: Uint8Array, where: string) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inside = (at: number, size: number, what: string): void => {
    if (at < 0 || at + size > bytes.length) throw new DataError(`${where}: truncated or corrupt zip archive (${what} at byte ${at} lies outside the ${bytes.length}-byte file)`);
  };
  return {
    u16: (at: number, what: string): number => { inside(at, 2, what); return view.getUint16(at, true); },
    u32: (at: number, what: string): number => { inside(at, 4, what); return view.getUint32(at, true); },
    u64: (at: number, what: string): number => {
      inside(at, 8, what);
      const value = view.getBigUint64(at, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DataError(`${where}: corrupt zip archive (${what} ${value} is too large)`);
      return Number(value);
    },
    inside,
  };
}

/** Finds the central directory: its offset, size and entry count (reading the zip64 record when present). */
function centralDirectory(bytes: Uint8Array, where: string): { offset: number; size: number; count: number } {
  const f = fields(bytes, where);
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (f.u32(at, 'signature') === EOCD) { eocd = at; break; }
  }
  if (eocd < 0) throw new DataError(`${where}: not a zip archive or truncated (no end-of-central-directory record)`);
  if (f.u16(eocd + 4, 'disk number') !== 0 || f.u16(eocd + 6, 'disk number') !== 0) throw new DataError(`${where}: multi-volume zip archives are not supported`);
  let count = f.u16(eocd + 10, 'entry count');
  let size = f.u32(eocd + 12, 'directory size');
  let offset = f.u32(eocd + 16, 'directory offset');
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || f.u32(locator, 'zip64 locator') !== ZIP64_LOCATOR) throw new DataError(`${where}: corrupt zip archive (zip64 sizes without a zip64 locator)`);
    const record = f.u64(locator + 8, 'zip64 record offset');
    if (f.u32(record, 'zip64 record') !== ZIP64_EOCD) throw new DataError(`${where}: corrupt zip archive (no zip64 end-of-central-directory record at byte ${record})`);
    count = f.u64(record + 32, 'zip64 entry count');
    size = f.u64(record + 40, 'zip64 directory size');
    offset = f.u64(record + 48, 'zip64 directory offset');
  }
  f.inside(offset, size, 'the central directory');
  if (count * 46 > size) throw new DataError(`${where}: corrupt zip archive (${count} entries cannot fit a ${size}-byte central directory)`);
  return { offset, size, count };
}

/** The archive's entries by name. Duplicate names and encrypted entries are refused. */
export function readZipEntries(bytes: Uint8Array, where: string): Map<string, ZipEntry> {
  const f = fields(bytes, where);
  const { offset, size, count } = centralDirectory(bytes, where);
  const entries = new Map<string, ZipEntry>();
  let at = offset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > offset + size || f.u32(at, 'directory entry') !== CENTRAL) throw new DataError(`${where}: corrupt zip archive (central directory entry ${n} at byte ${at})`);
    const flags = f.u16(at + 8, 'flags');
    const nameLength = f.u16(at + 28, 'name length');
    const extraLength = f.u16(at + 30, 'extra length');
    const commentLength = f.u16(at + 32, 'comment length');
    f.inside(at + 46, nameLength + extraLength + commentLength, 'a directory entry name');
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (flags & 0x1) throw new DataError(`${where}: entry ${name} is encrypted`);
    const entry: ZipEntry = {
      name, method: f.u16(at + 10, 'method'), crc32: f.u32(at + 16, 'crc'),
      compressedSize: f.u32(at + 20, 'size'), size: f.u32(at + 24, 'size'), localOffset: f.u32(at + 42, 'offset'),
    };
    readZip64Extra(bytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), entry, where);
    if (entries.has(name)) throw new DataError(`${where}: the zip archive holds ${name} twice`);
    entries.set(name, entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Replaces the 0xffffffff fields of `entry` with the 64-bit ones of its zip64 extra field. */
function readZip64Extra(extra: Uint8Array, entry: ZipEntry, where: string): void {
  if (entry.size !== 0xffffffff && entry.compressedSize !== 0xffffffff && entry.localOffset !== 0xffffffff) return;
  const f = fields(extra, `${where}: ${entry.name}`);
  for (let at = 0; at + 4 <= extra.length;) {
    const id = f.u16(at, 'extra id');
    const length = f.u16(at + 2, 'extra length');
    if (id === 0x0001) {
      let p = at + 4;
      if (entry.size === 0xffffffff) { entry.size = f.u64(p, 'zip64 size'); p += 8; }
      if (entry.compressedSize === 0xffffffff) { entry.compressedSize = f.u64(p, 'zip64 size'); p += 8; }
      if (entry.localOffset === 0xffffffff) entry.localOffset = f.u64(p, 'zip64 offset');
      return;
    }
    at += 4 + length;
  }
  throw new DataError(`${where}: corrupt zip archive (entry ${entry.name} has 32-bit maximum sizes but no zip64 field)`);
}

/** The bytes of one entry: a view for stored entries, inflated (at most its told size) for deflated ones; CRC checked. */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, where: string): Uint8Array {
  const f = fields(bytes, where);
  const at = entry.localOffset;
  if (f.u32(at, `local header of ${entry.name}`) !== LOCAL) throw new DataError(`${where}: corrupt zip archive (no local header for ${entry.name} at byte ${at})`);
  const start = at + 30 + f.u16(at + 26, 'name length') + f.u16(at + 28, 'extra length'); // the local extra field may differ (torch pads to 64 bytes)
  f.inside(start, entry.compressedSize, `the data of ${entry.name}`);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw new DataError(`${where}: corrupt zip archive (stored entry ${entry.name} has sizes ${entry.compressedSize} and ${entry.size})`);
    data = raw;
  } else if (entry.method === 8) {
    try {
      data = builtin('zlib').inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      throw new DataError(`${where}: entry ${entry.name}: corrupt deflate data or larger than its told ${entry.size} bytes (${(err as Error).message})`);
    }
    if (data.length !== entry.size) throw new DataError(`${where}: entry ${entry.name} inflates to ${data.length} bytes, its directory says ${entry.size}`);
  } else {
    throw new DataError(`${where}: entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are read`);
  }
  // A CRC of 0 means "not computed": torch.serialization.set_crc32_options(False) writes archives that way.
  if (entry.crc32 !== 0 && (builtin('zlib').crc32(data) >>> 0) !== entry.crc32) throw new DataError(`${where}: entry ${entry.name} fails its CRC-32 check (corrupt archive)`);
  return data;
}
