// importTorchvision from the library: a committed torchvision-layout ResNet and ViT (test/golden/torchvision) become
// config.json contents and weights that modelFromParts builds into a live model whose logits are torchvision's
// (within 1e-4 of the largest); the arch and --heads are checked before the file is read.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { thrown } from '../data/helpers.js';

const GOLDEN = join(import.meta.dirname, '..', 'golden', 'torchvision');

function logitsOf(model: zg.Sequential, folder: string): { got: Float32Array; want: Float32Array } {
  const x = zg.readNpy(join(folder, 'x.npy'));
  model.eval();
  const got = zg.noGrad(() => zg.scope(() => model.forward(zg.tensor(x.values, { shape: x.shape })).data() as Float32Array));
  return { got: Float32Array.from(got), want: zg.readNpy(join(folder, 'logits.npy')).values };
}

describe('importTorchvision', () => {
  for (const [folder, file, options] of [['tiny-bottleneck', 'state.safetensors', { arch: 'resnet', imageSize: 40 }], ['tiny-vit', 'state.safetensors', { arch: 'vit', heads: 2 }]] as const) {
    it(`builds ${folder} in memory with torchvision's logits`, () => {
      zg.setBackend(new zg.CpuBackend());
      const imported = zg.importTorchvision(join(GOLDEN, folder, file), options);
      expect(imported.config.preprocessing.normalization).toEqual({ kind: 'standardize', mean: 0.449, std: 0.226 });
      const config = zg.checkModelConfig(JSON.parse(JSON.stringify(imported.config)), 'config.json');
      const model = zg.modelFromParts(config, imported.tensors, 'config.json', file);
      const { got, want } = logitsOf(model, join(GOLDEN, folder));
      const largest = Math.max(...Array.from(want, Math.abs));
      want.forEach((w, i) => expect(Math.abs(got[i] - w), `logit ${i}`).toBeLessThan(1e-4 * largest));
    });
  }

  it('refuses an unknown arch and --heads off vit before reading the file', () => {
    expect(thrown(() => zg.importTorchvision('/nonexistent.pth', { arch: 'densenet121' }))).toBeInstanceOf(zg.UsageError);
    expect(thrown(() => zg.importTorchvision('/nonexistent.pth', { arch: 'resnet18', heads: 4 })).message).toMatch(/--heads applies to --arch vit only \(resnet18 has its own\)/);
    expect(thrown(() => zg.importTorchvision('/nonexistent.pth', { arch: 'resnet18' }))).toBeInstanceOf(zg.DataError);
  });
});
