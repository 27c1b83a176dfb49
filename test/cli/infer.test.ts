// `zerograd infer`, run in-process as a user runs it: MNIST digits in the model's layout as .npy in,
// logits as .npy out (checked against the classifier's probabilities), one example, batching, and
// the errors (shape mismatch naming both shapes, bad files, bad flags) with their exit codes.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesIn } from '../../src/cli/commands/infer.js';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { loadClassifier } from '../../src/serve/load.js';
import { tempDir } from '../data/helpers.js';
import { mnistDigit, SHIPPED_MODEL } from '../serve/helpers.js';
import { zerograd } from './helpers-zerograd.js';

const MEAN = 0.1306604762738429; // models/mnist-cnn/config.json's normalization
const STD = 0.3081078038564627;

/** `count` MNIST test digits as pixels 0-1, and standardized as the model's first layer takes them. */
function digits(count: number): { pixels: Float32Array; standardized: Float32Array; labels: number[] } {
  const pixels = new Float32Array(count * 784);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const { bytes, label } = mnistDigit(i);
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = bytes[p] / 255;
    labels.push(label);
  }
  return { pixels, standardized: pixels.map((v) => (v - MEAN) / STD), labels };
}

const softmaxRows = (logits: Float32Array, classes: number): number[] => {
  const out: number[] = [];
  for (let r = 0; r < logits.length; r += classes) {
    const row = Array.from(logits.subarray(r, r + classes));
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    out.push(...row.map((v) => Math.exp(v - max) / sum));
  }
  return out;
};

describe('zerograd infer', () => {
  const dir = tempDir('zerograd-cli-infer-');

  it('writes (N, classes) float32 logits whose softmax is the classifier\'s probabilities, at any batch size', async () => {
    const { pixels, standardized, labels } = digits(5);
    const input = join(dir, 'x.npy');
    writeFileSync(input, encodeNpy(standardized, [5, 1, 28, 28]));
    const run = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', input, '--out', join(dir, 'y.npy')]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(`wrote   ${join(dir, 'y.npy')}: logits (5, 10) float32`);
    const logits = readNpy(join(dir, 'y.npy'));
    expect(logits.shape).toEqual([5, 10]);
    const { classifier } = await loadClassifier(SHIPPED_MODEL);
    const expected = Array.from(classifier.probabilities(pixels));
    softmaxRows(logits.values, 10).forEach((p, i) => expect(Math.abs(p - expected[i]), `probability ${i}`).toBeLessThan(1e-5));
    for (let n = 0; n < 5; n++) {
      const row = Array.from(logits.values.subarray(n * 10, n * 10 + 10));
      expect(row.indexOf(Math.max(...row))).toBe(labels[n]);
    }
    const small = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', input, '--out', join(dir, 'y2.npy'), '--batch-size', '2']);
    expect(small.code).toBe(0);
    const batched = readNpy(join(dir, 'y2.npy')).values;
    batched.forEach((v, i) => expect(Math.abs(v - logits.values[i])).toBeLessThan(1e-4));
  });

  it('reads one example without the batch axis as N = 1', async () => {
    const { standardized } = digits(1);
    const one = join(dir, 'one.npy');
    writeFileSync(one, encodeNpy(standardized, [1, 28, 28]));
    const run = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', one, '--out', join(dir, 'one-out.npy')]);
    expect(run.code).toBe(0);
    expect(readNpy(join(dir, 'one-out.npy')).shape).toEqual([1, 10]);
  });

  it('counts examples by rank: a batch axis in front of the input shape, or one example without it', () => {
    expect(examplesIn([3, 784], [784], 'x.npy')).toBe(3);
    expect(examplesIn([784], [784], 'x.npy')).toBe(1);
    expect(examplesIn([0, 1, 28, 28], [1, 28, 28], 'x.npy')).toBe(0);
    expect(() => examplesIn([3, 28, 28], [784], 'x.npy')).toThrow("x.npy: an array of shape (3, 28, 28) does not fit the model's input (N, 784) (or one example (784,))");
    expect(() => examplesIn([2, 3, 1, 28, 28], [1, 28, 28], 'x.npy')).toThrow('does not fit');
    expect(() => examplesIn([], [1], 'x.npy')).toThrow('an array of shape () does not fit');
  });

  it('exits 1 naming both shapes when the array does not fit, and naming the file when it is not .npy', async () => {
    const flat = join(dir, 'flat.npy');
    writeFileSync(flat, encodeNpy(new Float32Array(3 * 784), [3, 784]));
    const out = join(dir, 'never.npy');
    const run = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', flat, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.err).toBe(`zerograd: ${flat}: an array of shape (3, 784) does not fit the model's input (N, 1, 28, 28) (or one example (1, 28, 28)); reshape it, e.g. x.reshape(-1, 1, 28, 28)`);
    expect(existsSync(out)).toBe(false);
    const junk = join(dir, 'junk.npy');
    writeFileSync(junk, 'not numpy');
    const bad = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', junk, '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${junk}: not a NumPy .npy file (bad magic bytes`);
    const missing = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', join(dir, 'nope.npy'), '--out', out]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('nope.npy: file not found');
  });

  it('exits 2 for bad flags: batch size, output name, output folder, a missing flag', async () => {
    const input = join(dir, 'x-flags.npy');
    writeFileSync(input, encodeNpy(digits(1).standardized, [1, 1, 28, 28]));
    const cases: [string[], RegExp][] = [
      [['--batch-size', '0', '--out', join(dir, 'o.npy')], /--batch-size must be an integer >= 1, got '0'/],
      [['--out', join(dir, 'o.txt')], /--out .*o\.txt: expected a \.npy file name/],
      [['--out', join(dir, 'no-folder', 'o.npy')], /--out .*o\.npy: folder .*no-folder does not exist/],
    ];
    for (const [flags, message] of cases) {
      const run = await zerograd(['infer', '--model', SHIPPED_MODEL, '--input', input, ...flags]);
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.err).toMatch(message);
    }
    const noInput = await zerograd(['infer', '--model', SHIPPED_MODEL, '--out', join(dir, 'o.npy')]);
    expect(noInput.code).toBe(2);
  });
});
