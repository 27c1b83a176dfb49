// `zerograd predict`, spawned as a user runs it: PNG and JPEG digits, text and --json output, bad input.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePng, imageDimensions } from '../../src/data/image.js';
import { tempDir } from '../data/helpers.js';
import { pngWithHeader } from '../data/hostile.js';
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

  it('refuses a 30000x30000 PNG by its header (no decoding), and names the file of a blank image', async () => {
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, pngWithHeader(30000, 30000)); // 1 KB of image data under a 900-megapixel header
    const run = await runCli(['predict', '--model', SHIPPED_MODEL, bomb]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`zerograd: ${bomb}: image is 30000x30000 (900.0 megapixels), above the 16.8-megapixel limit (maxPixels / --max-image-pixels)`);
    const blank = join(dir, 'blank.png');
    writeFileSync(blank, encodePng(new Uint8Array(900).fill(255), 30, 30));
    const ink = await runCli(['predict', '--model', SHIPPED_MODEL, blank]);
    expect(ink.code).toBe(1);
    expect(ink.stderr.trim()).toBe(`zerograd: ${blank}: image (30x30) has no visible ink: it is almost uniform`);
  });

  it('--max-image-pixels sets the limit; a bad value exits 2', async () => {
    const { file } = digitPng(3, 2);
    const path = join(dir, 'limit.png');
    writeFileSync(path, file);
    const size = imageDimensions(file, path);
    const refused = await runCli(['predict', '--model', SHIPPED_MODEL, '--max-image-pixels', String(size.width * size.height - 1), path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`limit\\.png: image is ${size.width}x${size.height} .*-megapixel limit`));
    const usage = await runCli(['predict', '--model', SHIPPED_MODEL, '--max-image-pixels', 'lots', path]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split('\n')[0]).toBe("zerograd: --max-image-pixels must be an integer from 1 to 268435456, got 'lots'");
  });
});
