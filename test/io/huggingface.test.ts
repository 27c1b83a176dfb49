// The Hugging Face key plans and config readers: the zerograd names and shapes of each plan are exactly those of the
// model it describes (built here, small); config.json's absent fields take transformers' defaults (ViT-base with
// layer norm eps 1e-12, resnet-50); unsupported settings are refused by name; a sharded folder is read whole and
// ViTForImageClassification's unused pooler keys are left out, as transformers leaves them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { HfFields } from '../../src/io/huggingface-config.js';
import { importHuggingFace } from '../../src/io/huggingface-import.js';
import { hfResnetKey, hfResnetOptions, hfResnetPlan } from '../../src/io/huggingface-resnet.js';
import { hfVitOptions, hfVitPlan } from '../../src/io/huggingface-vit.js';
import { encodeSafetensors, type NamedArray } from '../../src/io/safetensors.js';
import type { PlannedTensor } from '../../src/io/torchvision.js';
import { tempDir, thrown } from '../data/helpers.js';
import { rawBytes, torchArchive, type FixtureTensor } from './torch-fixtures.js';

const vitConfig = { hidden_size: 4, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 10, image_size: 16, patch_size: 8 };
const fields = (config: Record<string, unknown>) => new HfFields(config, 'hf/config.json');

/** The built model's own names and shapes, beside the plan's targets (plus an identity head, which is not in the file). */
function expectPlanFitsModel(layer: zg.Module, plan: PlannedTensor[], inputShape: number[], extra: [string, number[]][] = []): void {
  zg.setBackend(new zg.CpuBackend());
  const model = new zg.Sequential([layer], { inputShape });
  const own = [...model.stateDict()].map(([key, t]) => [key, [...t.shape]]);
  expect([...plan.map((p) => [p.target, p.shape]), ...extra].sort()).toEqual(own.sort());
}

describe('Hugging Face ViT key plans', () => {
  it('ViTForImageClassification, ViTModel with a pooler and without q/k/v bias name every tensor of the built model', () => {
    const classifier = hfVitOptions(fields(vitConfig), true, false, 3);
    expect(classifier.head).toBe('classifier');
    expect(classifier.options).toMatchObject({ dim: 4, depth: 2, heads: 2, mlpRatio: 2.5, imageSize: 16, patchSize: 8, channels: 3, numClasses: 3, layerNormEps: 1e-12, qkvBias: true, headActivation: 'linear' });
    const plan = hfVitPlan(classifier.options, 'vit.', 'classifier');
    expectPlanFitsModel(new zg.VisionTransformer(classifier.options), plan, [3, 16, 16]);
    expect(plan.map((p) => p.source)).toContain('vit.encoder.layer.1.attention.attention.query.bias');
    expect(plan.map((p) => p.source)).toContain('classifier.weight');

    const pooled = hfVitOptions(fields({ ...vitConfig, qkv_bias: false, pooler_output_size: 6 }), false, true, 2);
    expect(pooled.options).toMatchObject({ numClasses: 6, headActivation: 'tanh', qkvBias: false });
    const pooledPlan = hfVitPlan(pooled.options, '', 'pooler');
    expectPlanFitsModel(new zg.VisionTransformer(pooled.options), pooledPlan, [3, 16, 16]);
    expect(pooledPlan.map((p) => p.source)).toContain('pooler.dense.weight');
    expect(pooledPlan.map((p) => p.source)).not.toContain('encoder.layer.0.attention.attention.key.bias');

    const bare = hfVitOptions(fields(vitConfig), false, false, 2);
    expect(bare.head).toBe('identity');
    expectPlanFitsModel(new zg.VisionTransformer(bare.options), hfVitPlan(bare.options, '', 'identity'), [3, 16, 16], [['0.head.weight', [4, 4]], ['0.head.bias', [4]]]);
  });

  it("takes transformers' ViTConfig defaults (ViT-B/16, eps 1e-12) and refuses what zerograd's ViT does not compute", () => {
    expect(hfVitOptions(fields({}), true, false, 1000).options).toMatchObject({ dim: 768, depth: 12, heads: 12, mlpRatio: 4, imageSize: 224, patchSize: 16, layerNormEps: 1e-12 });
    expect(hfVitOptions(fields({ image_size: [32, 32], patch_size: 8 }), true, false, 2).options.imageSize).toBe(32);
    expect(thrown(() => hfVitOptions(fields({ hidden_act: 'quick_gelu' }), true, false, 2)).message).toMatch(/hf\/config\.json: hidden_act is "quick_gelu"; zerograd's ViT MLP is GELU with erf/);
    expect(thrown(() => hfVitOptions(fields({ image_size: [32, 48] }), true, false, 2)).message).toMatch(/image_size is \[32,48\], expected a positive integer \(or a square \[height, width\]\)/);
    expect(thrown(() => hfVitOptions(fields({ hidden_size: 10, num_attention_heads: 3 }), true, false, 2)).message).toMatch(/hidden_size 10 is not a multiple of num_attention_heads 3/);
    expect(thrown(() => hfVitOptions(fields({ pooler_act: 'swish' }), false, true, 2)).message).toMatch(/pooler_act "swish" is not one zerograd applies/);
    expect(thrown(() => hfVitOptions(fields({ layer_norm_eps: -1 }), true, false, 2)).message).toMatch(/layer_norm_eps is -1, expected a positive number/);
  });
});

describe('Hugging Face ResNet key plans', () => {
  it('basic and bottleneck layouts name every tensor of the built model; the names are transformers\'', () => {
    const basic = hfResnetOptions(fields({ layer_type: 'basic', embedding_size: 4, hidden_sizes: [4, 8], depths: [1, 2] }), 5, 40);
    expect(basic).toMatchObject({ block: 'basic', widths: [4, 8], blocksPerStage: [1, 2], stem: 'imagenet', numClasses: 5, imageSize: 40 });
    expectPlanFitsModel(new zg.ResNet(basic), hfResnetPlan(basic, 'resnet.', true), [3, 40, 40]);
    const bottleneck = hfResnetOptions(fields({ embedding_size: 2, hidden_sizes: [8, 16], depths: [2, 1] }), null, 64);
    expect(bottleneck).toMatchObject({ block: 'bottleneck', widths: [2, 4], numClasses: 16 });
    const plan = hfResnetPlan(bottleneck, '', false);
    expectPlanFitsModel(new zg.ResNet(bottleneck), plan, [3, 64, 64], [['0.head.weight', [16, 16]], ['0.head.bias', [16]]]);
    expect(plan.map((p) => p.source)).toContain('encoder.stages.0.layers.0.shortcut.normalization.running_var');
    expect(hfResnetKey('layer2.0.bn3.running_mean', 'resnet.')).toBe('resnet.encoder.stages.1.layers.0.layer.2.normalization.running_mean');
    expect(hfResnetKey('layer1.1.downsample.0.weight', '')).toBe('encoder.stages.0.layers.1.shortcut.convolution.weight');
    expect(hfResnetKey('fc.weight', 'resnet.')).toBe('classifier.1.weight');
  });

  it("takes ResNetConfig's defaults (resnet-50) and refuses layouts zerograd's ResNet does not have", () => {
    expect(hfResnetOptions(fields({}), 1000, 224)).toMatchObject({ block: 'bottleneck', widths: [64, 128, 256, 512], blocksPerStage: [3, 4, 6, 3] });
    expect(thrown(() => hfResnetOptions(fields({ downsample_in_first_stage: true }), 2, 224)).message).toMatch(/downsample_in_first_stage is true/);
    expect(thrown(() => hfResnetOptions(fields({ downsample_in_bottleneck: true }), 2, 224)).message).toMatch(/downsample_in_bottleneck is true/);
    expect(thrown(() => hfResnetOptions(fields({ layer_type: 'basic', embedding_size: 32, hidden_sizes: [64, 128], depths: [1, 1] }), 2, 224)).message).toMatch(/embedding_size 32 differs from hidden_sizes\[0\] \(64\)/);
    expect(thrown(() => hfResnetOptions(fields({ hidden_act: 'gelu' }), 2, 224)).message).toMatch(/hidden_act is "gelu"; zerograd's ResNet uses "relu"/);
    expect(thrown(() => hfResnetOptions(fields({ depths: [1, 1] }), 2, 224)).message).toMatch(/depths has 2 stages, hidden_sizes 4/);
  });
});

describe('Hugging Face folders', () => {
  it('reads a sharded model.safetensors.index.json and leaves out the vit.pooler keys ViTForImageClassification does not use', () => {
    const { options } = hfVitOptions(fields(vitConfig), true, false, 3);
    const state: [string, NamedArray][] = hfVitPlan(options, 'vit.', 'classifier').map((p) => {
      const size = p.sourceShape.reduce((a, d) => a * d, 1);
      return [p.source, { dtype: 'F32', shape: p.sourceShape, values: Float32Array.from({ length: size }, (_, i) => (i % 7) / 7) }];
    });
    state.push(['vit.pooler.dense.weight', { dtype: 'F32', shape: [4, 4], values: new Float32Array(16) }], ['vit.pooler.dense.bias', { dtype: 'F32', shape: [4], values: new Float32Array(4) }]);
    const folder = tempDir('zerograd-hf-shards-');
    mkdirSync(folder, { recursive: true });
    const half = Math.floor(state.length / 2);
    const shards = [state.slice(0, half), state.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeFileSync(join(folder, file), encodeSafetensors(shard, { format: 'pt' }));
      for (const [key] of shard) weightMap[key] = file;
    });
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...vitConfig, architectures: ['ViTForImageClassification'], model_type: 'vit', id2label: { 0: 'a', 1: 'b', 2: 'c' } }));
    const imported = importHuggingFace(folder);
    expect(imported.architecture).toBe('ViTForImageClassification');
    expect(imported.unused).toEqual(['vit.pooler.dense.weight', 'vit.pooler.dense.bias']);
    expect(imported.keysRead).toBe(state.length);
    expect(imported.config.classNames).toEqual(['a', 'b', 'c']);
    expect(imported.config.preprocessing.normalization).toEqual({ kind: 'standardize', mean: 0.5, std: 0.5 }); // no preprocessor_config.json: ViTImageProcessor's defaults
    const model = zg.modelFromParts(imported.config, imported.tensors, 'config.json', folder);
    expect(model.forward(zg.randn([1, 3, 16, 16])).shape).toEqual([1, 3]);
  });

  it('reads pytorch_model.bin (torch.save) when there is no model.safetensors; a ResNetModel gets an identity head and ImageNet defaults', () => {
    const config = { architectures: ['ResNetModel'], model_type: 'resnet', layer_type: 'basic', embedding_size: 4, hidden_sizes: [4, 8], depths: [1, 1] };
    const options = hfResnetOptions(fields(config), null, 224);
    const plan = hfResnetPlan(options, '', false);
    const tensors: FixtureTensor[] = [];
    const storages: Record<string, Uint8Array> = {};
    plan.forEach((p, i) => {
      const numel = p.sourceShape.reduce((a, d) => a * d, 1);
      tensors.push({ name: p.source, storage: String(i), type: 'Float', numel, shape: p.sourceShape });
      storages[String(i)] = rawBytes(Float32Array.from({ length: numel }, (_, j) => (p.source.endsWith('running_var') ? 1 : 0.1) + (j % 3) / 10));
    });
    const folder = tempDir('zerograd-hf-bin-');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'pytorch_model.bin'), torchArchive(tensors, storages, { byteorder: 'little' }));
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    const imported = importHuggingFace(folder);
    expect(imported.architecture).toBe('ResNetModel');
    expect(imported.keysRead).toBe(plan.length);
    expect(imported.config.inputShape).toEqual([3, 224, 224]);
    expect(imported.config.preprocessing.normalization).toEqual({ kind: 'standardize', mean: 0.449, std: 0.226 });
    expect(Array.from(imported.tensors.get('0.head.weight')?.values ?? [])).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(importHuggingFace(folder, { imageSize: 64 }).config.inputShape).toEqual([3, 64, 64]); // a ResNet's side is --image-size's
  });
});
