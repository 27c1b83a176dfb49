// Reading data files: regular files only (no FIFO, device or folder, never a hang), bounded gunzip, named write errors.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError, ZerogradError } from '../../src/errors.js';
import { DEFAULT_MAX_INFLATED_BYTES, gunzipBounded, gunzipHead, readDataFile, readRegularFile, writeFileAtomic } from '../../src/data/files.js';
import { tempDir, thrown } from './helpers.js';

describe('readRegularFile', () => {
  const dir = tempDir();

  it('reads a regular file, through a symlink too', () => {
    writeFileSync(join(dir, 'a.bin'), 'hello');
    symlinkSync(join(dir, 'a.bin'), join(dir, 'link.bin'));
    expect(readRegularFile(join(dir, 'link.bin')).toString()).toBe('hello');
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    execFileSync('mkfifo', [join(dir, 'fifo.csv')]);
    const err = thrown(() => readRegularFile(join(dir, 'fifo.csv'), 'a CSV file'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${join(dir, 'fifo.csv')}: is a FIFO (named pipe), not a regular file; expected a CSV file`);
  });

  it('refuses a symlink to /dev/zero without reading it', () => {
    symlinkSync('/dev/zero', join(dir, 'zero.idx'));
    expect(thrown(() => readDataFile(join(dir, 'zero.idx'))).message).toBe(`${join(dir, 'zero.idx')}: is a character device, not a regular file; expected a file`);
  });

  it('names folders, missing files and files above maxBytes', () => {
    mkdirSync(join(dir, 'sub'));
    expect(thrown(() => readRegularFile(join(dir, 'sub'))).message).toBe(`${join(dir, 'sub')}: is a folder, not a regular file; expected a file`);
    expect(thrown(() => readRegularFile(join(dir, 'none'))).message).toBe(`${join(dir, 'none')}: file not found`);
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(3000));
    expect(thrown(() => readRegularFile(join(dir, 'big.bin'), 'an image', 2048)).message).toBe(`${join(dir, 'big.bin')}: 3000 bytes, above the 2.0 KiB limit for an image`);
  });
});

describe('bounded gunzip', () => {
  const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 251));
  const gz = gzipSync(data);

  it('inflates up to the limit, and names the file and the limit above it', () => {
    expect(gunzipBounded(gz, 'a.gz', data.length, 'the size its header gives').equals(data)).toBe(true);
    const err = thrown(() => gunzipBounded(gz, 'a.gz', 1000, 'the limit for gzipped data (maxInflatedBytes)'));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('a.gz: gzip data inflates to more than 1000 bytes (1000 bytes), the limit for gzipped data (maxInflatedBytes)');
    expect(thrown(() => gunzipBounded(gz.subarray(0, 100), 'cut.gz', 1 << 20, '')).message).toMatch(/^cut\.gz: corrupt or truncated gzip data/);
    expect(DEFAULT_MAX_INFLATED_BYTES).toBe(2 ** 30);
  });

  it('reads the first bytes of a stream without inflating all of it', () => {
    expect(gunzipHead(gz, 'a.gz', 16).equals(data.subarray(0, 16))).toBe(true);
    expect(gunzipHead(gzipSync(Buffer.from('abc')), 'small.gz', 16).toString()).toBe('abc');
    // A 64 MiB bomb: the head comes from a prefix of the compressed bytes (the cap would throw otherwise).
    const bomb = gzipSync(Buffer.alloc(64 << 20));
    expect(gunzipHead(bomb, 'bomb.gz', 8).length).toBe(8);
    expect(thrown(() => gunzipHead(Buffer.from([0x1f, 0x8b, 99, 0, 0, 0]), 'junk.gz', 8)).message).toMatch(/^junk\.gz: corrupt gzip data/);
  });

  it('readDataFile caps a gzipped file at maxInflatedBytes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.gz'), gz);
    expect(readDataFile(join(dir, 'x.gz')).length).toBe(data.length);
    expect(thrown(() => readDataFile(join(dir, 'x.gz'), { maxInflatedBytes: 4096 })).message).toMatch(/x\.gz: gzip data inflates to more than 4096 bytes/);
  });
});

describe('writeFileAtomic errors', () => {
  it('name the path and the system error', () => {
    const dir = tempDir();
    const path = join(dir, 'missing', 'x.png');
    const err = thrown(() => writeFileAtomic(path, 'x'));
    expect(err).toBeInstanceOf(ZerogradError);
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}: cannot write file \\(ENOENT`));
  });
});
