// `zerograd import HF_FOLDER` then `zerograd infer`, as a user runs them, on Hugging Face model folders against the
// outputs of a plain-torch re-implementation of transformers' modeling_vit.py and modeling_resnet.py (the transformers
// package is not installed here; scripts/make-hf-goldens.py says how it mirrors transformers): the committed tiny
// folders in test/golden/hf always, and a 2-layer ViT-base-width ViTForImageClassification and a resnet-50-layout
// ResNetForImageClassification made at test time where /usr/bin/python3 has torch (reported skipped otherwise).
// Outputs must agree within 1e-4 of the largest reference value; bad folders and flags exit 1 and 2 with their reason.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { tempDir } from '../data/helpers.js';
import { torchPython } from '../helpers/python.js';
import { zerograd } from './helpers-zerograd.js';

const ROOT = join(import.meta.dirname, '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'hf');
const SCRIPT = join(ROOT, 'scripts', 'make-hf-goldens.py');
const RELATIVE_TOLERANCE = 1e-4;

/** The largest difference between `y.npy` and the reference, relative to the reference's largest value. */
function relativeDifference(y: string, reference: string): number {
  const r = readNpy(reference);
  const out = readNpy(y);
  expect(out.shape).toEqual(r.shape);
  let largest = 0;
  let difference = 0;
  r.values.forEach((v, i) => { largest = Math.max(largest, Math.abs(v)); difference = Math.max(difference, Math.abs(out.values[i] - v)); });
  expect(largest).toBeGreaterThan(0);
  return difference / largest;
}

/** Runs infer on the folder's x.npy with the model in `model`, compared with `reference` (default logits.npy). */
async function inferAndCompare(folder: string, model: string, reference = 'logits.npy'): Promise<number> {
  const y = join(model, 'y.npy');
  const inferred = await zerograd(['infer', '--model', model, '--input', join(folder, 'x.npy'), '--out', y]);
  expect(inferred.code, inferred.err).toBe(0);
  return relativeDifference(y, join(folder, reference));
}

/** Imports the HF folder into `model` (exit 0, nothing on stderr) and returns what it printed. */
async function importFolder(folder: string, model: string): Promise<string> {
  const imported = await zerograd(['import', folder, '--out', model]);
  expect(imported.err).toBe('');
  expect(imported.code).toBe(0);
  return imported.out;
}

interface WrittenConfig { architecture: { layers: Record<string, unknown>[] }; classNames: string[]; inputShape: number[]; preprocessing: { normalization: { mean: number; std: number } } }
const writtenConfig = (model: string): WrittenConfig => JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as WrittenConfig;

describe('zerograd import: Hugging Face folders committed with their outputs (test/golden/hf)', () => {
  const dir = tempDir('zerograd-cli-import-hf-');

  it('ViTForImageClassification (layer norm eps 1e-12, 2 blocks of width 16): logits within 1e-4, id2label as class names, ViT normalization', async () => {
    const folder = join(GOLDEN, 'tiny-vit-classifier');
    const model = join(dir, 'vit-classifier');
    const out = await importFolder(folder, model);
    expect(out).toContain('model   ViTForImageClassification: VisionTransformer, 2 blocks of width 16, 2 heads, MLP 40, 8x8 patches, layer norm eps 1e-12; output: classifier on the class token, 5 classes, input (N, 3, 32, 32)');
    expect(out).toContain('mapped  40 tensors (8,453 values)');
    expect(await inferAndCompare(folder, model)).toBeLessThan(RELATIVE_TOLERANCE);
    const config = writtenConfig(model);
    expect(config.classNames).toEqual(['tench', 'goldfish', 'shark', 'tiger shark', 'ray']);
    expect(config.preprocessing.normalization).toMatchObject({ mean: 0.5, std: 0.5 });
    expect(config.architecture.layers[0]).toMatchObject({ type: 'VisionTransformer', layerNormEps: 1e-12 });
  });

  it("ViTModel (pooler, no q/k/v bias, eps 0.05): pooler_output within 1e-4; with zerograd's default eps it differs", async () => {
    const folder = join(GOLDEN, 'tiny-vit-model');
    const model = join(dir, 'vit-model');
    const out = await importFolder(folder, model);
    expect(out).toContain('ViTModel: VisionTransformer, 2 blocks of width 12, 3 heads, MLP 24, 6x6 patches, layer norm eps 0.05, no q/k/v bias; output: pooler (dense + tanh), 12 classes');
    expect(await inferAndCompare(folder, model)).toBeLessThan(RELATIVE_TOLERANCE);
    const config = writtenConfig(model);
    expect(config.architecture.layers[0]).toMatchObject({ layerNormEps: 0.05, qkvBias: false, headActivation: 'tanh' });
    delete config.architecture.layers[0].layerNormEps; // back to 1e-6: the eps is what makes these outputs agree
    writeFileSync(join(model, 'config.json'), JSON.stringify(config));
    expect(await inferAndCompare(folder, model)).toBeGreaterThan(1e-3);
  });

  it('a ViTModel saved without its pooler outputs the class token of the final layer norm (an identity head), within 1e-4', async () => {
    const folder = join(dir, 'vit-no-pooler');
    cpSync(join(GOLDEN, 'tiny-vit-model'), folder, { recursive: true });
    const weights = decodeSafetensors(readFileSync(join(folder, 'model.safetensors')), 'tiny-vit-model');
    const kept = [...weights.tensors].filter(([key]) => !key.startsWith('pooler.'));
    expect(kept.length).toBe(weights.tensors.size - 2);
    writeFileSync(join(folder, 'model.safetensors'), encodeSafetensors(kept.map(([key, t]) => [key, { dtype: 'F32', shape: t.shape, values: t.values as Float32Array }])));
    const model = join(dir, 'vit-no-pooler-model');
    expect(await importFolder(folder, model)).toContain('output: the class token (no pooler in the file), 12 classes');
    expect(await inferAndCompare(folder, model, 'cls.npy')).toBeLessThan(RELATIVE_TOLERANCE);
  });

  for (const [name, summary] of [
    ['tiny-resnet-basic', 'ResNetForImageClassification: ResNet, basic blocks [1,2,1,1], widths [4,8,8,16]; output: classifier on the pooled features, 5 classes, input (N, 3, 40, 40)'],
    ['tiny-resnet-bottleneck', 'ResNetForImageClassification: ResNet, bottleneck blocks [2,1,1,1], widths [2,4,4,8]; output: classifier on the pooled features, 6 classes, input (N, 3, 40, 40)'],
    ['tiny-resnet-model', 'ResNetModel: ResNet, basic blocks [1,1,2], widths [4,8,8]; output: the pooled features, 8 classes, input (N, 3, 36, 36)'],
  ]) {
    it(`${name}: outputs within 1e-4, num_batches_tracked skipped, ImageNet normalization and the side from preprocessor_config.json`, async () => {
      const folder = join(GOLDEN, name);
      const model = join(dir, name);
      const out = await importFolder(folder, model);
      expect(out).toContain(`model   ${summary}`);
      expect(out).toMatch(/skipped \d+ num_batches_tracked/);
      expect(await inferAndCompare(folder, model)).toBeLessThan(RELATIVE_TOLERANCE);
      expect(writtenConfig(model).preprocessing.normalization).toMatchObject({ mean: 0.449, std: 0.226 });
    });
  }

  it('names what does not fit and exits 1; --arch or --heads with a folder, or no --arch for a file, exits 2', async () => {
    const broken = join(dir, 'broken');
    cpSync(join(GOLDEN, 'tiny-vit-classifier'), broken, { recursive: true });
    const hf = JSON.parse(readFileSync(join(broken, 'config.json'), 'utf8')) as Record<string, unknown>;
    const rewrite = (fields: Record<string, unknown>) => writeFileSync(join(broken, 'config.json'), JSON.stringify({ ...hf, ...fields }));
    const run = () => zerograd(['import', broken, '--out', join(dir, 'broken-model')]);

    rewrite({ architectures: ['BeitForImageClassification'], model_type: 'beit' });
    let r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/config\.json: architectures \["BeitForImageClassification"\] are not ones zerograd imports; expected ViTModel, ViTForImageClassification, ResNetModel, ResNetForImageClassification/);
    rewrite({ hidden_act: 'gelu_new' });
    r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/hidden_act is "gelu_new"; zerograd's ViT MLP is GELU with erf/);
    rewrite({ num_hidden_layers: 3 });
    r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/model\.safetensors: does not fit the architecture: missing keys vit\.encoder\.layer\.2\.layernorm_before\.weight/);
    rewrite({ hidden_size: 'wide' });
    r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/config\.json: hidden_size is "wide", expected a positive integer/);
    rewrite({});
    rmSync(join(broken, 'model.safetensors'));
    r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no model\.safetensors, model\.safetensors\.index\.json or pytorch_model\.bin/);

    const arch = await zerograd(['import', join(GOLDEN, 'tiny-resnet-basic'), '--out', join(dir, 'x'), '--arch', 'resnet18']);
    expect(arch.code).toBe(2);
    expect(arch.err).toMatch(/--arch resnet18: .* is a Hugging Face folder, whose architecture comes from its config\.json/);
    const vitSize = await zerograd(['import', join(GOLDEN, 'tiny-vit-classifier'), '--out', join(dir, 'x'), '--image-size', '64']);
    expect(vitSize.code).toBe(2);
    const file = await zerograd(['import', join(GOLDEN, 'tiny-resnet-basic', 'model.safetensors'), '--out', join(dir, 'x')]);
    expect(file.code).toBe(2);
    expect(file.err).toMatch(/--arch is required for a state dict file/);
  });
});

const python = torchPython();

describe('zerograd import: full-width Hugging Face layouts made by PyTorch here (needs /usr/bin/python3 with torch)', () => {
  const dir = tempDir('zerograd-cli-import-hf-torch-');
  for (const [preset, batch, summary] of [
    ['vit-base-2', '1', 'ViTForImageClassification: VisionTransformer, 2 blocks of width 768, 12 heads, MLP 3072, 16x16 patches, layer norm eps 1e-12; output: classifier on the class token, 1000 classes, input (N, 3, 224, 224)'],
    ['resnet-50', '2', 'ResNetForImageClassification: ResNet, bottleneck blocks [3,4,6,3], widths [64,128,256,512]; output: classifier on the pooled features, 1000 classes, input (N, 3, 64, 64)'],
  ]) {
    it.skipIf(python === null)(`${preset} with random weights: outputs within 1e-4`, async () => {
      const folder = join(dir, preset);
      const made = spawnSync(python as string, [SCRIPT, folder, preset, '--batch', batch], { encoding: 'utf8', timeout: 300_000 });
      expect(made.status, made.stderr).toBe(0);
      const model = join(dir, `${preset}-model`);
      expect(await importFolder(folder, model)).toContain(`model   ${summary}`);
      const relative = await inferAndCompare(folder, model);
      console.log(`${preset}: largest difference / largest logit ${relative.toExponential(2)}`);
      expect(relative).toBeLessThan(RELATIVE_TOLERANCE);
    }, 600_000);
  }
});
