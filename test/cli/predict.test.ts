// `zerograd predict`, spawned as a user runs it: PNG and JPEG digits, text and --json output, bad input.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { digitJpeg, digitPng, runCli, SHIPPED_MODEL } from '../serve/helpers.js';

describe('zerograd predict', () => {
  const dir = tempDir('zerograd-cli-predict-');

  it('prints the label and top-3 of each image, or JSON', async () => {
    const files = [0, 1, 2].map((i) => {
      const { file, label } = i === 2 ? digitJpeg(i) : digitPng(i, 2 + i);
      const path = join(dir, `digit-${i}.${i === 2 ? 'jpg' : 'png'}`);
      writeFileSync(path, file);
      return { path, label };
    });
    const text = await runCli(['predict', '--model', SHIPPED_MODEL, ...files.map((f) => f.path)]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    files.forEach((f, i) => expect(lines[i]).toMatch(new RegExp(`digit-${i}\\.(png|jpg)\\s+${f.label}\\s+\\(${f.label} \\d+\\.\\d%  \\d \\d+\\.\\d%  \\d \\d+\\.\\d%\\)$`)));
    const json = await runCli(['predict', '--model', SHIPPED_MODEL, '--json', files[0].path]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { file: string; label: number; probabilities: number[]; top: { label: number }[] }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ file: files[0].path, label: files[0].label });
    expect(rows[0].probabilities).toHaveLength(10);
    expect(rows[0].top.map((t) => t.label)[0]).toBe(files[0].label);
    expect(rows[0].top).toHaveLength(3);
  });

  it('exits non-zero with one clear line for a bad image or model folder', async () => {
    const junk = join(dir, 'junk.png');
    writeFileSync(junk, 'not an image');
    const bad = await runCli(['predict', '--model', SHIPPED_MODEL, junk]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`zerograd: ${junk}: not a PNG or JPEG image (unrecognized signature); expected a .png or .jpg file`);
    const missing = await runCli(['predict', '--model', join(dir, 'nope'), junk]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope: model folder not found/);
  });

  it('classifies every good image when some are bad, prints an error line for each bad one, then exits 1', async () => {
    const good = join(dir, 'good-7.png');
    writeFileSync(good, digitPng(0, 2).file);
    const label = digitPng(0, 2).label;
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, 'not an image');
    const missing = join(dir, 'missing.png');
    const run = await runCli(['predict', '--model', SHIPPED_MODEL, good, bad, missing, good]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2); // the good image, twice, still classified
    for (const line of lines) expect(line).toMatch(new RegExp(`good-7\\.png\\s+${label}\\s+\\(${label} `));
    const errors = run.stderr.trim().split('\n');
    expect(errors).toEqual([
      `zerograd: ${bad}: not a PNG or JPEG image (unrecognized signature); expected a .png or .jpg file`,
      expect.stringMatching(new RegExp(`^zerograd: ${missing.replace(/[.\\/]/g, '\\$&')}: `)),
      'zerograd: 2 of 4 images could not be classified (see the lines above)',
    ]);
    const json = await runCli(['predict', '--model', SHIPPED_MODEL, '--json', bad, good]);
    expect(json.code).toBe(1);
    const rows = JSON.parse(json.stdout) as { file: string; label?: number; error?: string }[];
    expect(rows.map((r) => r.file)).toEqual([bad, good]);
    expect(rows[0].error).toMatch(/not a PNG or JPEG image/);
    expect(rows[1].label).toBe(label);
    expect(json.stderr.trim()).toBe('zerograd: 1 of 2 images could not be classified (see the lines above)');
  });
});
