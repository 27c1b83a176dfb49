// Test helpers for deployment: digit images as users would send them (PNG/JPEG, any size and
// colors, made from MNIST test images), the shipped model loaded once, and CLI spawning.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { init } from '../../src/backend/registry.js';
import { encodePng } from '../../src/data/image.js';
import { loadMnist } from '../../src/data/mnist.js';
import { loadModel, type LoadedModel } from '../../src/io/model-folder.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const SHIPPED_MODEL = join(ROOT, 'models', 'mnist-cnn');

let mnistTest: { pixels: Uint8Array; labels: Uint8Array } | null = null;

/** MNIST test image `index`: its 784 bytes (0 = background) and label. */
export function mnistDigit(index: number): { bytes: Uint8Array; label: number } {
  if (!mnistTest) {
    const test = loadMnist().test;
    if (!test) throw new Error('MNIST has no test split');
    mnistTest = { pixels: test.pixels, labels: test.labels };
  }
  return { bytes: mnistTest.pixels.subarray(index * 784, (index + 1) * 784), label: mnistTest.labels[index] };
}

/** RGBA pixels of an MNIST digit scaled `scale` times as dark blue ink on cream paper (the way a photo looks). */
function paperDigit(index: number, scale: number): { rgba: Uint8Array; size: number; label: number } {
  const { bytes, label } = mnistDigit(index);
  const size = 28 * scale;
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const ink = bytes[Math.floor(y / scale) * 28 + Math.floor(x / scale)] / 255;
      rgba.set([250 - 230 * ink, 245 - 215 * ink, 225 - 120 * ink, 255], (y * size + x) * 4);
    }
  }
  return { rgba, size, label };
}

/** A PNG of MNIST test digit `index` (dark ink on light paper, `scale` times larger). */
export function digitPng(index: number, scale = 3): { file: Buffer; label: number } {
  const { rgba, size, label } = paperDigit(index, scale);
  return { file: encodePng(rgba, size, size, 4), label };
}

/** A JPEG of MNIST test digit `index`. */
export function digitJpeg(index: number, scale = 4): { file: Buffer; label: number } {
  const { rgba, size, label } = paperDigit(index, scale);
  return { file: jpeg.encode({ data: Buffer.from(rgba), width: size, height: size }, 90).data, label };
}

/**
 * A decompression bomb: a valid 1-bit gray PNG of `width` x `height` white pixels, tiny on the wire (20000x20000 is
 * about 60 KB) but `width * height` pixels once decoded. Building it takes width * height / 8 bytes for a moment.
 */
export function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const out = Buffer.alloc(typed.length + 8);
    out.writeUInt32BE(body.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), typed.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, gray, deflate, no filter, no interlace
  const stride = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(stride * height, 0xff);
  for (let y = 0; y < height; y++) raw[y * stride] = 0; // each row's filter byte: none
  const idat = deflateSync(raw, { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** MNIST test digit `index` as 784 pixels 0-1 (what JSON clients send). */
export function digitPixels(index: number): { pixels: number[]; label: number } {
  const { bytes, label } = mnistDigit(index);
  return { pixels: Array.from(bytes, (v) => v / 255), label };
}

let shipped: Promise<LoadedModel> | null = null;

/** The shipped CNN on the wasm backend (one thread), loaded once per test file. */
export function shippedModel(): Promise<LoadedModel> {
  shipped ??= init('wasm', { threads: 1 }).then(() => loadModel(SHIPPED_MODEL));
  return shipped;
}

/** Output of a finished CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `zerograd ...args` from the sources in a child process, as a user would. */
export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
