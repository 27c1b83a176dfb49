// The zip reader: stored, deflated and zip64 archives; corrupt ones (CRC, sizes, offsets, methods,
// duplicate names, truncation) end in DataErrors naming the file and the entry.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { isZip, readZipEntries, zipEntryData } from '../../src/io/zip.js';
import { makeZip } from './torch-fixtures.js';

const files: [string, Uint8Array][] = [['a/one', Uint8Array.from([1, 2, 3])], ['a/empty', new Uint8Array(0)], ['a/text', new TextEncoder().encode('hello '.repeat(50))]];
const read = (bytes: Uint8Array): Record<string, number[]> => {
  const out: Record<string, number[]> = {};
  for (const [name, entry] of readZipEntries(bytes, 'z.zip')) out[name] = Array.from(zipEntryData(bytes, entry, 'z.zip'));
  return out;
};

describe('zip', () => {
  it('reads stored, deflated and zip64 archives', () => {
    const want = Object.fromEntries(files.map(([n, d]) => [n, Array.from(d)]));
    for (const [deflate, zip64] of [[false, false], [true, false], [false, true], [true, true]]) {
      const bytes = makeZip(files, deflate, zip64);
      expect(isZip(bytes)).toBe(true);
      expect(read(bytes), `deflate ${deflate}, zip64 ${zip64}`).toEqual(want);
    }
  });

  it('names corrupt archives and entries', () => {
    const stored = makeZip(files);
    const directoryAt = stored.length - 22 - (46 * 3 + 'a/one'.length + 'a/empty'.length + 'a/text'.length);
    const edit = (at: number, value: number, bytes = stored): Uint8Array => { const out = Uint8Array.from(bytes); out[at] = value; return out; };
    const cases: [() => unknown, string][] = [
      [() => readZipEntries(stored.subarray(0, stored.length - 30), 'z.zip'), 'z.zip: not a zip archive or truncated (no end-of-central-directory record)'],
      [() => read(edit(30 + 'a/one'.length, 9)), 'z.zip: entry a/one fails its CRC-32 check (corrupt archive)'],
      [() => read(edit(directoryAt + 10, 12)), 'z.zip: entry a/one uses compression method 12; only stored (0) and deflate (8) are read'],
      [() => read(edit(directoryAt + 8, 1)), 'z.zip: entry a/one is encrypted'],
      [() => read(edit(directoryAt + 42, 0x40)), 'z.zip: corrupt zip archive (no local header for a/one at byte 64)'],
      [() => read(edit(directoryAt + 20, 4)), 'z.zip: corrupt zip archive (stored entry a/one has sizes 4 and 3)'],
      [() => read(edit(directoryAt + 23, 0x7f)), 'lies outside the'],
      [() => readZipEntries(makeZip([files[0], files[0]]), 'z.zip'), 'z.zip: the zip archive holds a/one twice'],
      [() => read(edit(stored.length - 12, 0xff)), 'z.zip: corrupt zip archive'],
    ];
    for (const [run, message] of cases) {
      expect(run, message).toThrow(DataError);
      expect(run, message).toThrow(message);
    }
    const noCrc = Uint8Array.from(stored);
    new DataView(noCrc.buffer).setUint32(directoryAt + 16, 0, true); // as torch writes with set_crc32_options(False)
    expect(read(noCrc)['a/one']).toEqual([1, 2, 3]);
    const deflated = makeZip([['big', new Uint8Array(4096)]], true);
    const lying = Uint8Array.from(deflated);
    new DataView(lying.buffer).setUint32(lying.length - 22 - 46 - 3 + 24, 100, true); // told 100 bytes, inflates to 4096
    expect(() => read(lying)).toThrow('z.zip: entry big: corrupt deflate data or larger than its told 100 bytes');
  });
});
