// Bad weights through every command that loads a model folder: NaN weights, overlapping safetensors
// spans and model files that are not regular files end in exit 1 with the tensor or path named.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { digitPng, runCli, SHIPPED_MODEL } from '../serve/helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BACKBONE = join(ROOT, 'models', 'backbone-vit-tiny-contrastive');

/** The header object and data start of a safetensors file. */
function readHeader(bytes: Buffer): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; dataStart: number } {
  const length = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + length).toString()), dataStart: 8 + length };
}

/** The same file with a new header (padded to the old length, so the data stays where it was). */
function withHeader(bytes: Buffer, header: unknown): Buffer {
  const { dataStart } = readHeader(bytes);
  const json = JSON.stringify(header);
  if (json.length > dataStart - 8) throw new Error('new header longer than the old one');
  const out = Buffer.from(bytes);
  out.fill(0x20, 8, dataStart);
  out.write(json, 8);
  return out;
}

/** A copy of `source` (a model folder) with model.safetensors changed by `edit`. */
function corrupted(root: string, name: string, source: string, edit: (bytes: Buffer) => Buffer): string {
  const dir = join(root, name);
  cpSync(source, dir, { recursive: true });
  const weights = join(dir, 'model.safetensors');
  writeFileSync(weights, edit(readFileSync(weights)));
  return dir;
}

/** model.safetensors with NaN as the first value of `tensor`. */
const nanIn = (tensor: string) => (bytes: Buffer): Buffer => {
  const { header, dataStart } = readHeader(bytes);
  const out = Buffer.from(bytes);
  out.writeFloatLE(Number.NaN, dataStart + header[tensor].data_offsets[0]);
  return out;
};

describe('bad weights in the CLI', () => {
  const root = tempDir('zerograd-cli-weights-');
  let nan = '';
  let overlap = '';
  let image = '';
  beforeAll(() => {
    nan = corrupted(root, 'nan', SHIPPED_MODEL, nanIn('2.weight'));
    // 5.bias (40 bytes) moved to where 5.weight began, 5.weight 20 bytes later: they share 20 bytes,
    // which the old decoder loaded as aliased weights.
    overlap = corrupted(root, 'overlap', SHIPPED_MODEL, (bytes) => {
      const { header } = readHeader(bytes);
      const [start, end] = header['5.weight'].data_offsets;
      header['5.bias'].data_offsets = [start, start + 40];
      header['5.weight'].data_offsets = [start + 20, end + 20];
      return withHeader(bytes, header);
    });
    image = join(root, 'digit.png');
    writeFileSync(image, digitPng(0, 2).file);
  });

  const weightsOf = (dir: string): string => join(dir, 'model.safetensors').replace(/[.\\/]/g, '\\$&');

  it('predict and eval refuse NaN weights naming the tensor and the file, exit 1', async () => {
    const predict = await runCli(['predict', '--model', nan, image]);
    expect(predict.code).toBe(1);
    expect(predict.stdout).toBe('');
    expect(predict.stderr).toMatch(new RegExp(`^zerograd: ${weightsOf(nan)}: tensor '2\\.weight' holds 1 non-finite value \\(first: NaN at index 0\\)`));
    const evaluate = await runCli(['eval', '--model', nan, '--limit', '10', '--backend', 'cpu']);
    expect(evaluate.code).toBe(1);
    expect(evaluate.stderr).toMatch(/tensor '2\.weight' holds 1 non-finite value/);
  });

  it('serve does not start with NaN weights', async () => {
    const serve = await runCli(['serve', '--model', nan, '--port', '0', '--inference', 'main'], { timeoutMs: 60_000 });
    expect(serve.signal).toBeNull(); // it exited by itself, it was not killed after serving
    expect(serve.code).toBe(1);
    expect(serve.stdout).not.toMatch(/listening|http:\/\//i);
    expect(serve.stderr).toMatch(/tensor '2\.weight' holds 1 non-finite value/);
  });

  it('finetune --from refuses a backbone with NaN weights, exit 1', async () => {
    const from = corrupted(root, 'nan-backbone', BACKBONE, (bytes) => nanIn(Object.keys(readHeader(bytes).header).find((k) => k !== '__metadata__') as string)(bytes));
    const run = await runCli(['finetune', '--from', from, '--labels-per-class', '1', '--steps', '1', '--limit', '50', '--out', join(root, 'ft')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`--from ${from.replace(/[.\\/]/g, '\\$&')}: ${weightsOf(from)}: tensor '[^']+' holds 1 non-finite value`));
  });

  it('refuses overlapping safetensors spans, naming both tensors', async () => {
    const run = await runCli(['predict', '--model', overlap, image]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^zerograd: ${weightsOf(overlap)}: tensors '5\\.bias' \\[75264, 75304\\] and '5\\.weight' \\[75284, 139284\\] overlap`));
  });

  it('refuses model files linked to /dev/zero or made FIFOs at once, exit 1', async () => {
    const zero = join(root, 'zero');
    cpSync(SHIPPED_MODEL, zero, { recursive: true });
    rmSync(join(zero, 'model.safetensors'));
    symlinkSync('/dev/zero', join(zero, 'model.safetensors'));
    const z = await runCli(['predict', '--model', zero, image], { timeoutMs: 30_000 });
    expect(z.signal).toBeNull();
    expect(z.code).toBe(1);
    expect(z.stderr.trim()).toBe(`zerograd: ${join(zero, 'model.safetensors')}: is a character device, not a regular file; expected model weights (safetensors)`);
    const fifo = join(root, 'fifo');
    cpSync(SHIPPED_MODEL, fifo, { recursive: true });
    rmSync(join(fifo, 'config.json'));
    execFileSync('mkfifo', [join(fifo, 'config.json')]);
    const f = await runCli(['eval', '--model', fifo, '--backend', 'cpu'], { timeoutMs: 30_000 });
    expect(f.signal).toBeNull(); // the old reader waited for a writer forever
    expect(f.code).toBe(1);
    expect(f.stderr.trim()).toBe(`zerograd: ${join(fifo, 'config.json')}: is a FIFO (named pipe), not a regular file; expected a JSON file`);
  });
});
