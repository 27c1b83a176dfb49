import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { encodeCsv, loadCsv, parseCsv } from '../../src/data/csv.js';
import { syntheticSet, tempDir, thrown } from './helpers.js';
import { writeGzipBomb } from './hostile.js';

const set = syntheticSet(5);
const row = (label: string | number, pixels: (string | number)[]): string => [label, ...pixels].join(',');
const zeros = (n: number): number[] => new Array(n).fill(0);

describe('CSV images', () => {
  it('reads the Kaggle layout with a header', () => {
    const parsed = parseCsv(Buffer.from(encodeCsv(set, true)), 'train.csv');
    expect(parsed.count).toBe(5);
    expect(Array.from(parsed.labels)).toEqual(Array.from(set.labels));
    expect(Array.from(parsed.pixels)).toEqual(Array.from(set.pixels));
    expect([parsed.rows, parsed.cols, parsed.name]).toEqual([28, 28, 'train.csv']);
  });

  it('reads files without a header, with CRLF, blank lines, spaces and decimals', () => {
    const text = `\r\n${row(3, zeros(784))}\r\n\r\n${row(' 7 ', ['12.4', ...zeros(782), '254.6'])}\r\n`;
    const parsed = parseCsv(Buffer.from(text), 'x.csv');
    expect(parsed.count).toBe(2);
    expect(Array.from(parsed.labels)).toEqual([3, 7]);
    expect(parsed.pixels[784]).toBe(12);
    expect(parsed.pixels[2 * 784 - 1]).toBe(255);
  });

  it('reads .csv and gzipped .csv.gz files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.csv'), encodeCsv(set, false));
    writeFileSync(join(dir, 'a.csv.gz'), gzipSync(encodeCsv(set, true)));
    expect(loadCsv(join(dir, 'a.csv')).count).toBe(5);
    expect(Array.from(loadCsv(join(dir, 'a.csv.gz')).pixels)).toEqual(Array.from(set.pixels));
  });

  it('names the line of a row with the wrong length', () => {
    const text = `label,pixel0\n${row(1, zeros(784))}\n${row(2, zeros(780))}\n`;
    const err = thrown(() => parseCsv(Buffer.from(text), 'short.csv'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('short.csv line 3: expected 785 values (label + 784 pixels), found 781');
    expect(thrown(() => parseCsv(Buffer.from(row(1, zeros(790))), 'long.csv')).message).toMatch(/long\.csv line 1: .* found 791/);
  });

  it('names the line and column of a non-numeric cell', () => {
    const pixels: (string | number)[] = zeros(784);
    pixels[9] = 'abc';
    const err = thrown(() => parseCsv(Buffer.from(`${row(1, zeros(784))}\n${row(4, pixels)}`), 'bad.csv'));
    expect(err.message).toBe('bad.csv line 2, column 11: "abc" is not a number; expected an integer 0-255');
    expect(thrown(() => parseCsv(Buffer.from(row('', zeros(784))), 'e.csv')).message).toMatch(/e\.csv line 1, column 1: "" is not a number; expected an integer 0-9/);
    expect(thrown(() => parseCsv(Buffer.from(row('-1', zeros(784))), 'n.csv')).message).toMatch(/"-1" is not a number/);
  });

  it('rejects labels outside 0-9 and pixels outside 0-255', () => {
    expect(thrown(() => parseCsv(Buffer.from(row(10, zeros(784))), 'l.csv')).message).toBe('l.csv line 1: label 10 is outside 0-9');
    const pixels = zeros(784);
    pixels[0] = 256;
    expect(thrown(() => parseCsv(Buffer.from(row(1, pixels)), 'p.csv')).message).toBe('p.csv line 1, column 2: pixel value 256 is outside 0-255');
  });

  it('rejects files without data rows', () => {
    expect(thrown(() => parseCsv(Buffer.from(''), 'empty.csv')).message).toMatch(/empty\.csv: no data rows/);
    expect(thrown(() => parseCsv(Buffer.from('label,pixel0,pixel1\n'), 'header.csv')).message).toMatch(/header\.csv: no data rows/);
  });
});

describe('CSV edge cases and bombs', () => {
  const text = encodeCsv(set, false);

  it('ignores a UTF-8 BOM, with or without a header', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(parseCsv(Buffer.concat([bom, Buffer.from(text)]), 'bom.csv').labels).toEqual(set.labels);
    expect(parseCsv(Buffer.concat([bom, Buffer.from(encodeCsv(set, true))]), 'bomh.csv').count).toBe(5);
  });

  it('accepts CR-only (old Mac) line ends like LF and CRLF', () => {
    const cr = parseCsv(Buffer.from(text.replaceAll('\n', '\r')), 'mac.csv');
    expect(cr.count).toBe(5);
    expect(Array.from(cr.pixels)).toEqual(Array.from(set.pixels));
    expect(parseCsv(Buffer.from(encodeCsv(set, true).replaceAll('\n', '\r')), 'mach.csv').count).toBe(5);
    expect(thrown(() => parseCsv(Buffer.from(`${row(1, zeros(784))}\r${row(1, zeros(3))}\r`), 'm.csv')).message).toMatch(/^m\.csv line 2: expected 785 values/);
  });

  it('names the file for 10^7 newlines instead of allocating a row per line', () => {
    const err = thrown(() => parseCsv(Buffer.alloc(10_000_000, 0x0a), 'lines.csv'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('lines.csv: no data rows; expected lines of label,pixel0,...,pixel783');
    const ones = parseCsv(Buffer.from(`${row(3, zeros(784))}\n`.repeat(3) + '\n'.repeat(100_000)), 'tail.csv');
    expect(ones.count).toBe(3);
  });

  it('refuses a .csv.gz that inflates past maxInflatedBytes, naming the file and the limit', async () => {
    const dir = tempDir();
    const path = join(dir, 'bomb.csv.gz');
    const line = Buffer.from(`${row(1, zeros(784))}\n`);
    await writeGzipBomb(path, line, line.length * 512 * 6, Buffer.concat(Array.from({ length: 512 }, () => line))); // 4.6 MiB
    const err = thrown(() => loadCsv(path, { maxInflatedBytes: 4 << 20 }));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${path}: gzip data inflates to more than 4194304 bytes (4.0 MiB), the limit for gzipped data (maxInflatedBytes)`);
    expect(loadCsv(path, { maxInflatedBytes: 16 << 20 }).count).toBe(3073);
  });
});
