import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeCsv } from '../../src/data/csv.js';
import { decodeImage } from '../../src/data/image.js';
import { syntheticSet, tempDir } from '../data/helpers.js';
import { pngWithHeader } from '../data/hostile.js';
import { zerograd } from './helpers-zerograd.js';

/** Runs `zerograd data ...` in-process and captures what it prints. */
const runData = (args: string[]) => zerograd(['data', ...args]);

afterEach(() => vi.restoreAllMocks());

describe('zerograd data', () => {
  const dir = tempDir('zerograd-cli-data-');

  it('reports MNIST and writes sample and augmented grids', async () => {
    const outDir = join(dir, 'mnist');
    const { code, out } = await runData(['--augment', '--out', outDir, '--seed', '3']);
    expect(code).toBe(0);
    expect(out).toMatch(/loaded\s+70,000 images in \d+\.\d\d s/);
    expect(out).toMatch(/image shape\s+1x28x28 \(784 features/);
    expect(out).toMatch(/splits\s+train 60,000 · test 10,000/);
    expect(out).toMatch(/^\s+1\s+6,742\s+1,135$/m);
    expect(out).toMatch(/pixels\s+mean 0\.1307\s+std 0\.3081/);
    expect(out).toMatch(/^\s+5\s+5\s+\[0 0 0 0 0 1 0 0 0 0\]$/m);
    for (const name of ['samples.png', 'augmented.png']) {
      const path = join(outDir, name);
      expect(out).toContain(`wrote        ${path}`);
      const image = decodeImage(readFileSync(path), path);
      expect(image.width).toBe(10 * 56 + 11 * 2);
      expect(image.height).toBe(10 * 56 + 11 * 2);
    }
    expect(readFileSync(join(outDir, 'samples.png'))).not.toEqual(readFileSync(join(outDir, 'augmented.png')));
  });

  it('reports a CSV file without a test split and without --augment writes one grid', async () => {
    const csv = join(dir, 'small.csv');
    writeFileSync(csv, encodeCsv(syntheticSet(30)));
    const outDir = join(dir, 'csv');
    const { code, out } = await runData(['--data', csv, '--out', outDir]);
    expect(code).toBe(0);
    expect(out).toContain('splits       train 30 (no test split in this source)');
    expect(existsSync(join(outDir, 'samples.png'))).toBe(true);
    expect(existsSync(join(outDir, 'augmented.png'))).toBe(false);
  });

  it('exits 1 with a message naming the file and line for bad data', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, `1,${new Array(784).fill(0).join(',')}\n2,3,4\n`);
    const { code, err } = await runData(['--dataset', csv, '--out', join(dir, 'bad')]);
    expect(code).toBe(1);
    expect(err).toBe(`zerograd: ${csv} line 2: expected 785 values (label + 784 pixels), found 3`);
  });

  it('exits 1 at once for a FIFO or a symlink to /dev/zero given as data', async () => {
    const fifo = join(dir, 'fifo.csv');
    execFileSync('mkfifo', [fifo]);
    const fromFifo = await runData(['--dataset', fifo, '--out', join(dir, 'f')]);
    expect(fromFifo.code).toBe(1);
    expect(fromFifo.err).toBe(`zerograd: ${fifo}: is a FIFO (named pipe), not a regular file; expected a CSV file`);
    const zero = join(dir, 'zero.csv');
    symlinkSync('/dev/zero', zero);
    const fromZero = await runData(['--dataset', zero, '--out', join(dir, 'z')]);
    expect(fromZero.code).toBe(1);
    expect(fromZero.err).toBe(`zerograd: ${zero}: is a character device, not a regular file; expected a CSV file`);
  });

  it('applies --max-image-pixels to image folders', async () => {
    const folder = join(dir, 'images');
    mkdirSync(join(folder, '1'), { recursive: true });
    writeFileSync(join(folder, '1', 'huge.png'), pngWithHeader(12000, 12000));
    const refused = await runData(['--dataset', folder, '--out', join(dir, 'i')]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/huge\.png: image is 12000x12000 \(144\.0 megapixels\), above the 16\.8-megapixel limit/);
    writeFileSync(join(folder, '1', 'huge.png'), pngWithHeader(300, 300));
    const small = await runData(['--dataset', folder, '--max-image-pixels', '89999', '--out', join(dir, 'i')]);
    expect(small.err).toMatch(/huge\.png: image is 300x300 \(0\.1 megapixels\), above the 0\.1-megapixel limit/);
    expect((await runData(['--dataset', folder, '--max-image-pixels', '0', '--out', join(dir, 'i')])).code).toBe(2);
  });

  it('exits 2 for unknown datasets, bad seeds and unwritable output folders', async () => {
    const unknown = await runData(['--dataset', 'cifar', '--out', join(dir, 'x')]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown dataset 'cifar': expected mnist, fashion/);
    const seed = await runData(['--seed', 'abc', '--out', join(dir, 'x')]);
    expect(seed.code).toBe(2);
    expect(seed.err).toMatch(/--seed must be an integer/);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const out = await runData(['--out', join(file, 'sub')]);
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/--out .*a-file\/sub: cannot create the folder/);
  });

  it('runs as a process: bad data gives a one-line error, no stack trace, exit 1', () => {
    const bad = join(dir, 'labels.csv');
    writeFileSync(bad, `12,${new Array(784).fill(0).join(',')}\n`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'data', '--dataset', bad, '--out', join(dir, 'p')], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '..', '..'),
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`zerograd: ${bad} line 1: label 12 is outside 0-9`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
