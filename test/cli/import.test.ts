// `zerograd import` then `zerograd infer`, as a user runs them, against torchvision's own logits: the committed tiny
// torchvision-layout ResNets and ViT (test/golden/torchvision, made by scripts/make-torchvision-goldens.py) always,
// and random-weight resnet18, resnet50 and a 2-layer vit_b_16 made at test time where /usr/bin/python3 has torch
// (reported skipped otherwise).
// Logits must agree within 1e-4 of the largest reference logit; bad sources and flags exit 1 and 2 with their reason.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { tempDir } from '../data/helpers.js';
import { torchPython } from '../helpers/python.js';
import { zerograd } from './helpers-zerograd.js';

const ROOT = join(import.meta.dirname, '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'torchvision');
const SCRIPT = join(ROOT, 'scripts', 'make-torchvision-goldens.py');
const RELATIVE_TOLERANCE = 1e-4;

/** Imports `source` as `arch`, runs infer on `x.npy` beside the reference and returns the largest difference relative to the largest logit. */
async function importAndCompare(source: string, arch: string, dir: string, flags: string[]): Promise<{ relative: number; out: string }> {
  const model = join(dir, `model-${arch}-${source.split('.').pop()}`);
  const imported = await zerograd(['import', source, '--out', model, '--arch', arch, ...flags]);
  expect(imported.err).toBe('');
  expect(imported.code).toBe(0);
  const folder = join(source, '..');
  const y = join(model, 'y.npy');
  const inferred = await zerograd(['infer', '--model', model, '--input', join(folder, 'x.npy'), '--out', y]);
  expect(inferred.code, inferred.err).toBe(0);
  const reference = readNpy(join(folder, 'logits.npy'));
  const logits = readNpy(y);
  expect(logits.shape).toEqual(reference.shape);
  let largest = 0;
  let difference = 0;
  reference.values.forEach((r, i) => { largest = Math.max(largest, Math.abs(r)); difference = Math.max(difference, Math.abs(logits.values[i] - r)); });
  expect(largest).toBeGreaterThan(0);
  return { relative: difference / largest, out: imported.out };
}

describe('zerograd import: torchvision-layout ResNets committed with their logits', () => {
  const dir = tempDir('zerograd-cli-import-');

  it('imports a torch.save .pth (basic blocks, 1-2-1-1, widths 4-8-8-16) whose logits match torchvision within 1e-4', async () => {
    const { relative, out } = await importAndCompare(join(GOLDEN, 'tiny-basic', 'state.pth'), 'resnet', dir, ['--image-size', '40']);
    expect(relative).toBeLessThan(RELATIVE_TOLERANCE);
    expect(out).toContain('model   ResNet, basic blocks [1,2,1,1], widths [4,8,8,16], 5 classes, input (N, 3, 40, 40)');
    expect(out).toContain('mapped  72 tensors (8,305 values); skipped 14 num_batches_tracked');
    const config = JSON.parse(readFileSync(join(dir, 'model-resnet-pth', 'config.json'), 'utf8')) as { architecture: { layers: { stem: string }[] }; classNames: string[] };
    expect(config.architecture.layers[0].stem).toBe('imagenet');
    expect(config.classNames).toEqual(['0', '1', '2', '3', '4']);
  });

  it('imports a .safetensors (bottleneck blocks, 2-1-1-1, widths 2-4-4-8) whose logits match torchvision within 1e-4', async () => {
    const { relative, out } = await importAndCompare(join(GOLDEN, 'tiny-bottleneck', 'state.safetensors'), 'resnet', dir, ['--image-size', '40']);
    expect(relative).toBeLessThan(RELATIVE_TOLERANCE);
    expect(out).toContain('bottleneck blocks [2,1,1,1]');
  });

  it('imports a torchvision VisionTransformer .safetensors (2 blocks of width 16, 2 heads, 8x8 patches) whose logits match within 1e-4', async () => {
    const { relative, out } = await importAndCompare(join(GOLDEN, 'tiny-vit', 'state.safetensors'), 'vit', dir, ['--heads', '2']);
    expect(relative).toBeLessThan(RELATIVE_TOLERANCE);
    expect(out).toContain('model   VisionTransformer, 2 blocks of width 16, 2 heads, MLP 40, 8x8 patches, 5 classes, input (N, 3, 32, 32)');
    const wrongHeads = await importAndCompare(join(GOLDEN, 'tiny-vit', 'state.safetensors'), 'vit', dir, ['--heads', '1']);
    expect(wrongHeads.relative).toBeGreaterThan(1e-3); // the heads are not in the weights: a wrong count imports, and differs
  });

  it('names what does not fit and exits 1; an unknown --arch or a bad --image-size exits 2', async () => {
    const tiny = join(GOLDEN, 'tiny-basic', 'state.pth');
    const wrong = await zerograd(['import', tiny, '--out', join(dir, 'wrong'), '--arch', 'resnet18']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/state\.pth: does not fit the architecture: missing keys layer1\.1\.conv1\.weight, .*; shape mismatches: conv1\.weight is \(4, 3, 7, 7\), expected \(64, 3, 7, 7\)/);
    const garbage = join(dir, 'notes.pth');
    writeFileSync(garbage, 'not a checkpoint at all');
    const bad = await zerograd(['import', garbage, '--out', join(dir, 'bad'), '--arch', 'resnet18']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/notes\.pth: neither a torch\.save zip archive \(\.pth\/\.pt\) nor safetensors/);
    const arch = await zerograd(['import', tiny, '--out', join(dir, 'x'), '--arch', 'vgg16']);
    expect(arch.code).toBe(2);
    expect(arch.err).toMatch(/--arch vgg16: not an architecture zerograd imports; expected one of resnet18, resnet34, resnet50, resnet/);
    expect((await zerograd(['import', tiny, '--out', join(dir, 'x'), '--arch', 'resnet', '--image-size', '8'])).code).toBe(2);
    const heads = await zerograd(['import', tiny, '--out', join(dir, 'x'), '--arch', 'resnet', '--heads', '2']);
    expect(heads.code).toBe(2);
    expect(heads.err).toMatch(/--heads applies to --arch vit only/);
    const vit = await zerograd(['import', tiny, '--out', join(dir, 'x'), '--arch', 'vit_b_16']);
    expect(vit.code).toBe(1);
    expect(vit.err).toMatch(/state\.pth: no conv_proj\.weight; not a torchvision VisionTransformer state dict/);
  });
});

const python = torchPython();

describe('zerograd import: full-size torchvision models made by PyTorch here (needs /usr/bin/python3 with torch)', () => {
  const dir = tempDir('zerograd-cli-import-torch-');
  for (const arch of ['resnet18', 'resnet50']) {
    it.skipIf(python === null)(`${arch} with random weights and batch-norm statistics, .pth and .safetensors: logits within 1e-4 at 64x64`, async () => {
      const out = join(dir, arch);
      const run = spawnSync(python as string, [SCRIPT, out, arch, '--size', '64', '--batch', '2'], { encoding: 'utf8', timeout: 300_000 });
      expect(run.status, run.stderr).toBe(0);
      for (const file of ['state.pth', 'state.safetensors']) {
        const { relative } = await importAndCompare(join(out, file), arch, dir, ['--image-size', '64']);
        expect(relative, file).toBeLessThan(RELATIVE_TOLERANCE);
      }
    }, 600_000);
  }

  it.skipIf(python === null)('vit_b_16 in width, heads, MLP and patches (2 of its 12 layers) at 224x224, .pth and .safetensors: logits within 1e-4', async () => {
    const out = join(dir, 'vit');
    const run = spawnSync(python as string, [SCRIPT, out, 'vit_b_16-2', '--size', '224', '--batch', '1'], { encoding: 'utf8', timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    for (const file of ['state.pth', 'state.safetensors']) {
      const { relative, out: printed } = await importAndCompare(join(out, file), 'vit', dir, []);
      expect(relative, file).toBeLessThan(RELATIVE_TOLERANCE);
      expect(printed).toContain('VisionTransformer, 2 blocks of width 768, 12 heads, MLP 3072, 16x16 patches, 1000 classes, input (N, 3, 224, 224)');
    }
  }, 600_000);
});
