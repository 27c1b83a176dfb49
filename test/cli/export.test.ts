// `zerograd export`, spawned: the shipped CNN to ONNX, checked in onnxruntime-node by --check.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { runCli, SHIPPED_MODEL } from '../serve/helpers.js';

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
    expect(format.stderr.trim()).toBe("zerograd: --format must be onnx, got 'tflite'\n(see 'zerograd export --help')");
    const name = await runCli(['export', '--model', SHIPPED_MODEL, '--out', join(dir, 'x.bin')]);
    expect(name.code).toBe(2);
    expect(existsSync(join(dir, 'x.bin'))).toBe(false);
  });
});
