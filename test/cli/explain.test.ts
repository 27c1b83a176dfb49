// `zerograd explain`, spawned: writes a two-panel PNG (digit | saliency overlay) for both methods.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/image.js';
import { tempDir } from '../data/helpers.js';
import { pngWithHeader } from '../data/hostile.js';
import { digitPng, runCli, SHIPPED_MODEL } from '../serve/helpers.js';

describe('zerograd explain', () => {
  const dir = tempDir('zerograd-cli-explain-');

  it('writes the saliency picture by integrated gradients and by gradient x input', async () => {
    const { file, label } = digitPng(0);
    const image = join(dir, 'seven.png');
    writeFileSync(image, file);
    for (const method of ['integrated-gradients', 'gradient-input']) {
      const out = join(dir, `${method}.png`);
      const run = await runCli(['explain', '--model', SHIPPED_MODEL, image, '--out', out, '--method', method, '--steps', '8', '--scale', '5']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^predicted ${label} \\(\\d+\\.\\d%\\); .* for class ${label}\\nwrote ${out.replace(/[.]/g, '\\.')}\\n$`));
      const picture = decodeImage(readFileSync(out), out);
      expect([picture.width, picture.height]).toEqual([2 * 140 + 3 * 8, 140 + 2 * 8]);
      const reddish = Array.from({ length: picture.width * picture.height }, (_, i) => i).filter((i) => picture.data[i * 4] > 150 && picture.data[i * 4 + 1] < 100).length;
      expect(reddish).toBeGreaterThan(50);
    }
  });

  it('rejects bad flags and unwritable outputs with a usage error', async () => {
    const { file } = digitPng(0);
    const image = join(dir, 'digit.png');
    writeFileSync(image, file);
    const method = await runCli(['explain', '--model', SHIPPED_MODEL, image, '--out', join(dir, 'x.png'), '--method', 'magic']);
    expect(method.code).toBe(2);
    expect(method.stderr.trim()).toBe("zerograd: --method must be gradient-input or integrated-gradients, got 'magic'\n(see 'zerograd explain --help')");
    const folder = await runCli(['explain', '--model', SHIPPED_MODEL, image, '--out', join(dir, 'no', 'such', 'x.png')]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/folder .* does not exist/);
    const target = await runCli(['explain', '--model', SHIPPED_MODEL, image, '--out', join(dir, 'y.png'), '--target', '12']);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/--target must be a class index 0..9/);
    expect(existsSync(join(dir, 'y.png'))).toBe(false);
  });

  it('refuses an image above --max-image-pixels by its header, naming the file', async () => {
    const bomb = join(dir, 'bomb.png');
    writeFileSync(bomb, pngWithHeader(20000, 20000));
    const run = await runCli(['explain', '--model', SHIPPED_MODEL, bomb, '--out', join(dir, 'x.png')]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`zerograd: ${bomb}: image is 20000x20000 (400.0 megapixels), above the 16.8-megapixel limit (maxPixels / --max-image-pixels)`);
    const { file } = digitPng(0);
    const digit = join(dir, 'limit.png');
    writeFileSync(digit, file);
    const limited = await runCli(['explain', '--model', SHIPPED_MODEL, digit, '--out', join(dir, 'y.png'), '--max-image-pixels', '100']);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toMatch(/limit\.png: image is \d+x\d+ \(0\.0 megapixels\), above the 0\.0-megapixel limit/);
  });
});
