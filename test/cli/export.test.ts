// `zerograd export`, spawned: the shipped CNN to ONNX, checked in onnxruntime-node by --check, and to a
// PyTorch folder (model.py + model.safetensors; their numerics are tested in test/export/pytorch.test.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { runCli, SHIPPED_MODEL } from '../serve/helpers.js';
import { zerograd } from './helpers-zerograd.js';

describe('zerograd export', () => {
  const dir = tempDir('zerograd-cli-export-');

  it('writes an ONNX file that onnxruntime runs within 1e-4 of zerograd', async () => {
    const out = join(dir, 'mnist-cnn.onnx');
    const run = await runCli(['export', '--model', SHIPPED_MODEL, '--format', 'onnx', '--out', out, '--check', '--examples', '64']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${out}`);
    const diff = /max abs difference (\S+), 0 label mismatches — OK/.exec(run.stdout);
    expect(diff).not.toBeNull();
    expect(Number(diff?.[1])).toBeLessThanOrEqual(1e-4);
    expect(statSync(out).size).toBeGreaterThan(130_000);
  });

  it('refuses other formats and file names', async () => {
    const format = await runCli(['export', '--model', SHIPPED_MODEL, '--format', 'tflite', '--out', join(dir, 'x.onnx')]);
    expect(format.code).toBe(2);
    expect(format.stderr.trim()).toBe("zerograd: --format must be onnx or pytorch, got 'tflite'\n(see 'zerograd export --help')");
    const name = await runCli(['export', '--model', SHIPPED_MODEL, '--out', join(dir, 'x.bin')]);
    expect(name.code).toBe(2);
    expect(existsSync(join(dir, 'x.bin'))).toBe(false);
  });

  it('writes model.py and model.safetensors into a new folder for --format pytorch', async () => {
    const out = join(dir, 'pytorch', 'mnist-cnn');
    const run = await runCli(['export', '--model', SHIPPED_MODEL, '--format', 'pytorch', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${join(out, 'model.py')} (Net) and ${join(out, 'model.safetensors')} (6 tensors, 34,826 values`);
    const source = readFileSync(join(out, 'model.py'), 'utf8');
    expect(source).toContain('# model.py: the zerograd model "mnist-cnn"');
    expect(source).toContain('def load_model(folder=None):');
    expect(source).toContain('MEAN = 0.1306604762738429\nSTD = 0.3081078038564627');
    const weights = decodeSafetensors(readFileSync(join(out, 'model.safetensors')));
    expect([...weights.tensors.keys()]).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias']);
    expect(weights.tensors.get('fc1.weight')?.shape).toEqual([10, 1600]);
  });

  it('refuses --check and .onnx/.py names for --format pytorch, writing nothing', async () => {
    const check = await zerograd(['export', '--model', SHIPPED_MODEL, '--format', 'pytorch', '--out', join(dir, 'checked'), '--check']);
    expect(check.code).toBe(2);
    expect(check.err).toContain('--check runs ONNX files only');
    const file = await zerograd(['export', '--model', SHIPPED_MODEL, '--format', 'pytorch', '--out', join(dir, 'model.onnx')]);
    expect(file.code).toBe(2);
    expect(file.err).toContain("--out for --format pytorch names a folder, got '");
    expect(existsSync(join(dir, 'checked'))).toBe(false);
    expect(existsSync(join(dir, 'model.onnx'))).toBe(false);
  });
});
