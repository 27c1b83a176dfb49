// PyTorch export: the state dict's names, shapes and layouts for every architecture (always), and, when
// /usr/bin/python3 has torch, the generated model.py run on the same inputs as `zerograd infer`, logits
// within 1e-4 relative (presets with random weights and batch-norm statistics, ViT, ResNet in both stems and
// block kinds, input adaptation (Resize, RepeatChannels, ChannelNormalize), every other layer type, LoRA merged,
// the shipped model folders); skipped, saying why, without torch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, manualSeed, noGrad, Random, scope, tensor } from '../../src/index.js';
import { exportPytorch, type PytorchExport } from '../../src/export/pytorch.js';
import { RESNET_FIELDS, VIT_FIELDS } from '../../src/export/pytorch-modules.js';
import { RESNET_DEFAULTS } from '../../src/nn/layers/resnet.js';
import { VIT_DEFAULTS } from '../../src/nn/layers/vit.js';
import { BACKBONES } from '../../src/finetune/backbones.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { saveModel } from '../../src/io/model-folder.js';
import { buildModel, preset } from '../../src/models/index.js';
import type { Sequential } from '../../src/nn/layers/sequential.js';
import { enableLora, loraLayers, mergeLora, type LoraDense } from '../../src/nn/lora.js';
import type { LayerConfig } from '../../src/nn/module.js';
import type { Normalization } from '../../src/data/dataset.js';
import { tempDir } from '../data/helpers.js';
import { zerograd } from '../cli/helpers-zerograd.js';
import { mnistDigit, ROOT } from '../serve/helpers.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const INPUT = [1, 28, 28];
const STANDARDIZE: Normalization = { kind: 'standardize', mean: 0.1307, std: 0.3081 };
const SCALE: Normalization = { kind: 'scale', mean: 0, std: 1 };
const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Architectures without dropout whose batch norm is also compared in training mode. */
const TRAIN_STEP = ['cnn-fast', 'resnet-micro', 'resnet-imagenet-bottleneck', 'layers-residual'];
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const sequential = (layers: LayerConfig[], inputShape = INPUT): LayerConfig => ({ type: 'Sequential', inputShape, layers });

/** Every architecture the exporter covers, with the normalization its folder is saved with. */
const ARCHITECTURES: Record<string, { config: LayerConfig; normalization: Normalization }> = {
  mlp: { config: preset('mlp').architecture, normalization: SCALE },
  cnn: { config: preset('cnn').architecture, normalization: STANDARDIZE },
  'cnn-fast': { config: preset('cnn-fast').architecture, normalization: STANDARDIZE },
  'cnn-best': { config: preset('cnn-best').architecture, normalization: STANDARDIZE },
  'vit-micro': { config: sequential([BACKBONES['vit-micro'].config]), normalization: SCALE },
  'vit-micro-cls': { config: sequential([{ ...BACKBONES['vit-micro'].config, pool: 'cls', dropout: 0.1 }]), normalization: STANDARDIZE },
  'resnet-micro': { config: sequential([BACKBONES['resnet-micro'].config]), normalization: STANDARDIZE },
  // Hugging Face's ViT numerics: layer-norm eps other than 1e-6, no q/k/v biases, a tanh pooler head.
  'vit-micro-hf': { config: sequential([{ ...BACKBONES['vit-micro'].config, pool: 'cls', layerNormEps: 0.05, qkvBias: false, headActivation: 'tanh' }]), normalization: SCALE },
  // torchvision's layout: 7x7/2 stem + 3x3/2 max pool, bottleneck blocks, a block count per stage.
  'resnet-imagenet-bottleneck': {
    config: sequential([{ type: 'ResNet', channels: 1, imageSize: 28, widths: [2, 4], blocksPerStage: [2, 1], stem: 'imagenet', block: 'bottleneck', numClasses: 10 }]),
    normalization: STANDARDIZE,
  },
  // Input adaptation before a torchvision-layout ResNet: gray 28x28 up to 36x36, 3 channels, ImageNet statistics.
  'layers-adapt-imagenet': {
    config: sequential([
      { type: 'Resize', height: 36 },
      { type: 'RepeatChannels', channels: 3 },
      { type: 'ChannelNormalize', ...IMAGENET },
      { type: 'ResNet', channels: 3, imageSize: 36, widths: [4, 8], blocksPerStage: [1, 2], stem: 'imagenet', numClasses: 10 },
    ]),
    normalization: SCALE,
  },
  // Downscaled to a non-square 20x24, then a CIFAR-stem ResNet of bottleneck blocks.
  'layers-adapt-bottleneck': {
    config: sequential([
      { type: 'Resize', height: 20, width: 24 },
      { type: 'RepeatChannels', channels: 3 },
      { type: 'ChannelNormalize', mean: [0.2, 0.5, 0.8], std: [0.5, 1, 2] },
      { type: 'ResNet', channels: 3, imageSize: 20, widths: [2, 4], blocksPerStage: 1, block: 'bottleneck', numClasses: 10 },
    ]),
    normalization: STANDARDIZE,
  },
  // Strided 'same' and numeric padding, padded pools, every activation, LayerNorm, Reshape, LoRA, a final Softmax layer.
  'layers-conv': {
    config: sequential([
      { type: 'Conv2D', filters: 4, kernelSize: 3, stride: 2, padding: 'same', activation: 'leakyRelu' }, // (4, 14, 14)
      { type: 'AvgPool2D', poolSize: 3, stride: 2, padding: 1 }, // (4, 7, 7)
      { type: 'Conv2D', filters: 6, kernelSize: 3, padding: 1, activation: 'tanh' }, // (6, 7, 7)
      { type: 'MaxPool2D', poolSize: 3, stride: 2, padding: 1 }, // (6, 4, 4)
      { type: 'Flatten' },
      { type: 'Dense', units: 32, activation: 'gelu' },
      { type: 'LayerNorm', eps: 1e-3 },
      { type: 'Dense', units: 16, activation: 'sigmoid', useBias: false },
      { type: 'Reshape', targetShape: [4, 4] },
      { type: 'Flatten' },
      { type: 'LoraDense', units: 10, rank: 2, alpha: 4, inputDim: 16 },
      { type: 'Softmax' },
    ]),
    normalization: STANDARDIZE,
  },
  'layers-transformer': {
    config: sequential([
      { type: 'PatchEmbedding', imageSize: 28, patchSize: 7, channels: 1, dim: 8 },
      { type: 'TransformerBlock', dim: 8, heads: 2, mlpRatio: 1.5 },
      { type: 'MultiHeadSelfAttention', dim: 8, heads: 4 },
      { type: 'FeedForward', dim: 8, hidden: 12 },
      { type: 'LayerNorm' },
      { type: 'Flatten' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ]),
    normalization: STANDARDIZE,
  },
  // Flat input, basic and bottleneck residual blocks in a chain, a nested Sequential, batch norm with other eps and momentum.
  'layers-residual': {
    config: sequential([
      { type: 'Reshape', targetShape: [1, 28, 28] },
      { type: 'ResidualBlock', inChannels: 1, outChannels: 4, stride: 2 },
      { type: 'ResidualBlock', inChannels: 4, outChannels: 4 },
      { type: 'Sequential', layers: [{ type: 'Conv2D', filters: 4, kernelSize: 1, useBias: false }, { type: 'BatchNorm', eps: 1e-3, momentum: 0.01 }, { type: 'ReLU' }] },
      { type: 'Conv2D', filters: 4, kernelSize: 1, useBias: false }, { type: 'BatchNorm', activation: 'relu' }, // the fused form
      { type: 'BottleneckBlock', inChannels: 4, width: 2 }, // (8, 14, 14)
      { type: 'AvgPool2D', poolSize: 2 },
      { type: 'Flatten' },
      { type: 'Dense', units: 10 },
    ], [784]),
    normalization: STANDARDIZE,
  },
};

/** The architecture with random weights: biases, norm affines, running statistics and LoRA's B all non-trivial. */
function randomModel(name: string, seed = 3): Sequential {
  manualSeed(seed);
  const model = buildModel(ARCHITECTURES[name].config);
  const rng = new Random(seed + 100);
  const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi));
  const state = new Map([...model.stateDict()].map(([key, t]) => {
    const last = key.split('.').pop() as string;
    const values = last === 'runningVar' ? uniform(t.size, 0.5, 2)
      : last === 'loraB' ? uniform(t.size, -0.3, 0.3)
        : t.rank === 1 && Array.from(t.data()).every((v) => v === 1) ? uniform(t.size, 0.5, 1.5) // norm scales
          : t.rank === 1 ? uniform(t.size, -0.5, 0.5) // biases, shifts, running means
            : Float32Array.from(t.data());
    return [key, tensor(values, { shape: [...t.shape] })] as const;
  }));
  model.loadStateDict(state);
  return model.eval();
}

const exportOf = (model: Sequential, normalization: Normalization): PytorchExport => exportPytorch(model, { name: 'test', normalization, classNames: CLASSES });

/** (rows, cols) values transposed, independently of the exporter's helper. */
const transpose = (values: ArrayLike<number>, rows: number, cols: number): number[] => {
  const out: number[] = [];
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out.push(values[r * cols + c]);
  return out;
};

describe('exportPytorch: names, shapes and layouts', () => {
  beforeAll(async () => { await init('cpu'); });

  it('MLP: Linear weights transposed to (out, in), the final softmax left out', () => {
    const model = randomModel('mlp');
    const out = exportOf(model, SCALE);
    expect([...out.tensors.keys()]).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(out.tensors.get('fc1.weight')?.shape).toEqual([128, 784]);
    const w = model.stateDict().get('1.weight');
    expect(Array.from(out.tensors.get('fc1.weight')?.values ?? [])).toEqual(transpose(w?.data() ?? [], 784, 128));
    expect(out.source).toContain('self.fc1 = nn.Linear(784, 128)');
    expect(out.source).toContain('x = F.relu(self.fc1(x))  # (N, 128)');
    expect(out.source).toContain("# zerograd's final softmax is left out: the model outputs logits\n        x = self.fc2(x)  # (N, 10)");
    expect(out.source).not.toMatch(/softmax\(self/);
    expect(out.source).toContain('INPUT_SHAPE = (1, 28, 28)\nMEAN = 0\nSTD = 1');
  });

  it('CNN with batch norm and dropout: BatchNorm2d/1d buffers, bias-free layers, dropout as a module', () => {
    const model = randomModel('cnn-best');
    const out = exportOf(model, STANDARDIZE);
    const keys = [...out.tensors.keys()];
    expect(keys.slice(0, 6)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
    expect(keys).not.toContain('fc1.bias');
    expect(out.tensors.get('fc1.weight')?.shape).toEqual([256, 1024]);
    expect(out.tensors.get('bn5.num_batches_tracked')).toEqual({ dtype: 'I32', shape: [], values: new Int32Array(1) });
    expect(Array.from(out.tensors.get('bn3.running_var')?.values ?? [])).toEqual(Array.from(model.stateDict().get('8.runningVar')?.data() ?? []));
    expect(out.sources.get('bn3.running_var')).toBe('8.runningVar');
    expect(out.source).toContain('self.bn5 = nn.BatchNorm1d(256)');
    expect(out.source).toContain('self.bn1 = nn.BatchNorm2d(32)');
    expect(out.source).toContain('self.dropout1 = nn.Dropout(p=0.3)');
    expect(out.source).toContain('self.conv1 = nn.Conv2d(1, 32, kernel_size=3, bias=False)');
    const file = decodeSafetensors(out.weights);
    expect([...file.tensors.keys()].sort()).toEqual([...keys].sort());
    expect(JSON.parse(file.metadata.zerograd_names)['fc1.weight']).toBe('15.weight');
  });

  it('ViT: patch projection as a Conv2d (D, C, p, p), position embeddings, attention out -> proj; class token only with cls pooling', () => {
    const model = randomModel('vit-micro');
    const out = exportOf(model, SCALE);
    expect(out.rootClass).toBe('VisionTransformer');
    expect(out.tensors.get('patch_embed.proj.weight')?.shape).toEqual([16, 1, 7, 7]);
    const proj = model.stateDict().get('0.patchEmbed.proj.weight');
    expect(Array.from(out.tensors.get('patch_embed.proj.weight')?.values ?? [])).toEqual(transpose(proj?.data() ?? [], 49, 16));
    expect(out.tensors.get('pos_embed')?.shape).toEqual([1, 16, 16]);
    expect(out.tensors.has('cls_token')).toBe(false);
    for (const key of ['blocks.0.norm1.weight', 'blocks.0.attn.q.weight', 'blocks.0.attn.proj.bias', 'blocks.0.mlp.fc2.weight', 'norm.bias', 'head.weight']) expect(out.tensors.has(key), key).toBe(true);
    expect(out.tensors.get('blocks.0.mlp.fc1.weight')?.shape).toEqual([32, 16]);
    expect(out.source).toContain('return VisionTransformer(image_size=28, channels=1, patch_size=7, dim=16, depth=1, heads=2, mlp_ratio=2, pool="mean", num_classes=10, dropout=0)');
    expect(out.source).not.toContain('class BasicBlock');
    const cls = exportOf(randomModel('vit-micro-cls'), STANDARDIZE);
    expect(cls.tensors.get('cls_token')?.shape).toEqual([1, 1, 16]);
  });

  it("ResNet: torchvision's names (conv1, bn1, layerN.M, downsample.0/1, fc)", () => {
    const out = exportOf(randomModel('resnet-micro'), STANDARDIZE);
    expect(out.rootClass).toBe('ResNet');
    expect(out.tensors.get('conv1.weight')?.shape).toEqual([4, 1, 3, 3]);
    expect(out.tensors.get('layer2.0.downsample.0.weight')?.shape).toEqual([8, 4, 1, 1]);
    expect(out.sources.get('layer2.0.downsample.1.running_var')).toBe('0.stages.1.0.shortcutBn.runningVar');
    expect(out.tensors.has('layer1.0.downsample.0.weight')).toBe(false);
    expect(out.tensors.get('fc.weight')?.shape).toEqual([10, 8]);
    expect(out.source).toContain('return ResNet(channels=1, widths=[4, 8], blocks_per_stage=1, num_classes=10)');
  });

  it('LoRA layers export their merged weight (W + alpha/rank · A·B)ᵀ', () => {
    const model = randomModel('layers-conv');
    const lora = model.layers[10] as LoraDense;
    const [w, a, b] = [lora.weight?.data() ?? [], lora.loraA.data(), lora.loraB.data()];
    const merged = Array.from({ length: 16 * 10 }, (_, k) => {
      const [i, o] = [Math.floor(k / 10), k % 10];
      return w[k] + 2 * (a[i * 2] * b[o] + a[i * 2 + 1] * b[10 + o]);
    });
    const out = exportOf(model, STANDARDIZE);
    expect(out.sources.get('fc3.weight')).toBe('10.weight + 10.loraA + 10.loraB');
    const exported = out.tensors.get('fc3.weight')?.values ?? [];
    transpose(merged, 16, 10).forEach((v, k) => expect(exported[k]).toBeCloseTo(v, 6));
    expect(out.source).toContain('x = F.leaky_relu(self.conv1(x), 0.01)');
    expect(out.source).toContain('self.conv1 = nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1)');
    expect(out.source).toContain('x = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1)');
    expect(out.source).toContain('self.norm1 = nn.LayerNorm(32, eps=0.001)');
    expect(out.source).toContain('x = x.reshape(x.shape[0], 4, 4)');
  });

  it('chains of composite layers and nested Sequentials get their own attributes and classes', () => {
    const transformer = exportOf(randomModel('layers-transformer'), STANDARDIZE);
    expect(transformer.source).toContain('self.block1 = TransformerBlock(dim=8, heads=2, hidden=12, dropout=0, eps=0.000001)');
    expect(transformer.tensors.get('attn1.proj.weight')?.shape).toEqual([8, 8]);
    expect(transformer.tensors.get('patch_embed1.proj.weight')?.shape).toEqual([8, 1, 7, 7]);
    const residual = exportOf(randomModel('layers-residual'), STANDARDIZE);
    expect(residual.source).toContain('class Stack1(nn.Module):');
    expect(residual.source).toContain('self.bn1 = nn.BatchNorm2d(4, eps=0.001, momentum=0.01)');
    expect(residual.tensors.get('stack1.bn1.running_mean')?.shape).toEqual([4]);
    expect(residual.source).toMatch(/x = F\.relu\(self\.bn\d\(x\)\)/); // BatchNorm with activation 'relu'
    expect(residual.tensors.get('block1.downsample.0.weight')?.shape).toEqual([4, 1, 1, 1]);
    expect(residual.tensors.has('block2.downsample.0.weight')).toBe(false);
    expect(residual.source).toContain('self.block3 = Bottleneck(in_channels=4, width=2, stride=1)');
    expect(residual.tensors.get('block3.conv3.weight')?.shape).toEqual([8, 2, 1, 1]);
    expect(residual.tensors.get('block3.downsample.0.weight')?.shape).toEqual([8, 4, 1, 1]); // 4 -> 8 channels
  });

  it('LoRA enabled in memory on a ViT exports the same weights as after mergeLora', () => {
    const model = randomModel('vit-micro');
    enableLora(model, { rank: 2, targets: '*.attn.q|*.attn.v', seed: 1 });
    const adapters = loraLayers(model).map(([name, layer]) => [`${name}.loraB`, tensor(Float32Array.from({ length: layer.loraB.size }, (_, i) => Math.sin(i + 1) * 0.2), { shape: [...layer.loraB.shape] })] as const);
    model.loadStateDict(new Map(adapters), { strict: false });
    const adapted = exportOf(model, SCALE);
    expect(adapted.sources.get('blocks.0.attn.v.weight')).toBe('0.blocks.0.attn.v.weight + 0.blocks.0.attn.v.loraA + 0.blocks.0.attn.v.loraB');
    mergeLora(model);
    const merged = exportOf(model, SCALE);
    expect([...adapted.tensors.keys()]).toEqual([...merged.tensors.keys()]);
    for (const key of ['blocks.0.attn.q.weight', 'blocks.0.attn.v.weight', 'blocks.0.attn.k.weight']) {
      const [a, b] = [adapted.tensors.get(key)?.values ?? [], merged.tensors.get(key)?.values ?? []];
      expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))), key).toBeLessThan(1e-6);
    }
    expect(Math.max(...Array.from(adapted.tensors.get('blocks.0.attn.q.weight')?.values ?? [], (v, i) => Math.abs(v - (exportOf(randomModel('vit-micro'), SCALE).tensors.get('blocks.0.attn.q.weight')?.values[i] ?? 0))))).toBeGreaterThan(1e-3);
  });

  it('keeps names from config.json inside the header comment (no line breaks into code)', () => {
    const out = exportPytorch(randomModel('mlp'), { name: 'evil\nimport os; os.system("x")', source: 'dir\r\nx = 1', normalization: SCALE, classNames: CLASSES });
    expect(out.source.split('\n')[0]).toBe('# model.py: the zerograd model "evil import os; os.system("x")" (from dir  x = 1), exported by `zerograd export --format pytorch`.');
    expect(out.source).not.toMatch(/^import os;/m);
  });

  it("ResNet with torchvision's stem and bottlenecks: conv1 7x7, layerN.M.{conv1-3, bn1-3, downsample}, stem and block passed on", () => {
    const model = randomModel('resnet-imagenet-bottleneck');
    const out = exportOf(model, STANDARDIZE);
    expect(out.tensors.get('conv1.weight')?.shape).toEqual([2, 1, 7, 7]);
    const block = ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3'].flatMap((n) => n.startsWith('conv') ? [`${n}.weight`] : ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `${n}.${k}`));
    const downsample = ['downsample.0.weight', ...['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `downsample.1.${k}`)];
    const keys = [...out.tensors.keys()];
    expect(keys.filter((k) => k.startsWith('layer1.0.'))).toEqual([...block, ...downsample].map((k) => `layer1.0.${k}`)); // 2 -> 8 channels
    expect(keys.filter((k) => k.startsWith('layer1.1.'))).toEqual(block.map((k) => `layer1.1.${k}`));
    expect(keys.filter((k) => k.startsWith('layer2.')).length).toBe(block.length + downsample.length);
    expect(out.tensors.get('layer2.0.conv2.weight')?.shape).toEqual([4, 4, 3, 3]);
    expect(out.tensors.get('layer2.0.conv3.weight')?.shape).toEqual([16, 4, 1, 1]);
    expect(out.tensors.get('layer2.0.downsample.0.weight')?.shape).toEqual([16, 8, 1, 1]);
    expect(out.sources.get('layer2.0.bn3.running_mean')).toBe('0.stages.1.0.bn3.runningMean');
    expect(out.sources.get('layer1.0.downsample.1.weight')).toBe('0.stages.0.0.shortcutBn.weight');
    expect(out.tensors.get('fc.weight')?.shape).toEqual([10, 16]);
    expect(out.source).toContain('return ResNet(channels=1, widths=[2, 4], blocks_per_stage=[2, 1], num_classes=10, stem="imagenet", block="bottleneck")');
    expect(out.source).toContain('class Bottleneck(nn.Module):');
    expect(out.source).not.toContain('class BasicBlock(nn.Module):');
    expect(out.source.indexOf('class Bottleneck(')).toBeLessThan(out.source.indexOf('class ResNet('));
  });

  it('input adaptation in a chain: F.interpolate (bilinear, align_corners=False), expand, ChannelNormalize with no state-dict entries', () => {
    const out = exportOf(randomModel('layers-adapt-imagenet'), SCALE);
    expect(out.source).toContain('x = F.interpolate(x, size=(36, 36), mode="bilinear", align_corners=False)  # (N, 1, 36, 36)');
    expect(out.source).toContain('x = x.expand(-1, 3, -1, -1)  # (N, 3, 36, 36)');
    expect(out.source).toContain('self.normalize1 = ChannelNormalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])');
    expect(out.source).toContain('persistent=False');
    expect(out.source).toContain('self.resnet1 = ResNet(channels=3, widths=[4, 8], blocks_per_stage=[1, 2], num_classes=10, stem="imagenet")');
    expect([...out.tensors.keys()].filter((k) => !k.startsWith('resnet1.'))).toEqual([]);
    expect(out.tensors.get('resnet1.conv1.weight')?.shape).toEqual([4, 3, 7, 7]);
    const down = exportOf(randomModel('layers-adapt-bottleneck'), STANDARDIZE);
    expect(down.source).toContain('size=(20, 24)');
    expect(down.source).toContain('ChannelNormalize(mean=[0.2, 0.5, 0.8], std=[0.5, 1, 2])');
    expect(down.source).toContain('block="bottleneck")');
    expect(down.tensors.get('resnet1.conv1.weight')?.shape).toEqual([2, 3, 3, 3]);
  });

  it("knows every option of zerograd's ResNet and ViT (a new one fails here until the exporter implements it)", () => {
    expect(Object.keys(RESNET_DEFAULTS).filter((key) => !(RESNET_FIELDS as readonly string[]).includes(key))).toEqual([]);
    expect(Object.keys(VIT_DEFAULTS).filter((key) => !(VIT_FIELDS as readonly string[]).includes(key))).toEqual([]);
  });

  it("normalizes per channel in preprocess() when config.json has channelStats (imported models)", () => {
    const model = randomModel('resnet-imagenet-bottleneck');
    const stats = { mean: [0.485], std: [0.229] };
    const out = exportPytorch(model, { name: 'imported', normalization: STANDARDIZE, channelStats: stats, classNames: CLASSES });
    expect(out.source).toContain('MEAN = torch.tensor([0.485]).reshape(-1, 1, 1)  # per channel');
    expect(out.source).toContain('STD = torch.tensor([0.229]).reshape(-1, 1, 1)');
    expect(out.source).toContain('return (x.reshape(-1, *INPUT_SHAPE) - MEAN) / STD');
    const mismatched = exportPytorch(model, { name: 'imported', normalization: STANDARDIZE, channelStats: { mean: [0.4, 0.5, 0.6], std: [1, 1, 1] }, classNames: CLASSES });
    expect(mismatched.source).not.toContain('# per channel'); // 3 statistics for a 1-channel input: the single mean and std
  });

  it('refuses a ResNet or ViT option it cannot map, by name, rather than export it wrong', () => {
    const model = randomModel('resnet-micro');
    const resnet = model.layers[0];
    const config = resnet.config.bind(resnet);
    resnet.config = () => ({ ...config(), groups: 32 });
    expect(() => exportOf(model, STANDARDIZE)).toThrow("export: ResNet option 'groups' not supported by the PyTorch exporter yet (it knows channels, imageSize, widths, blocksPerStage, numClasses, stem, block)");
    const vitModel = randomModel('vit-micro');
    const vit = vitModel.layers[0];
    const vitConfig = vit.config.bind(vit);
    vit.config = () => ({ ...vitConfig(), qkvBias: false, layerScale: 0.1 });
    expect(() => exportOf(vitModel, SCALE)).toThrow("export: VisionTransformer option 'layerScale' not supported by the PyTorch exporter yet");
  });
});

// ---------------------------------------------------------------------------------------------

/** Relative agreement: max |a - b| / max(1, |b|) over all logits, and the max absolute difference. */
function compare(actual: Float32Array, expected: Float32Array): { maxAbs: number; maxRel: number } {
  let maxAbs = 0;
  let maxRel = 0;
  expected.forEach((b, i) => {
    const diff = Math.abs(actual[i] - b);
    maxAbs = Math.max(maxAbs, diff);
    maxRel = Math.max(maxRel, diff / Math.max(1, Math.abs(b)));
  });
  return { maxAbs, maxRel };
}

/** Two MNIST test digits normalized as `normalization` says, then two random normal images: (4, ...inputShape). */
function inputs(normalization: Normalization, features: number, rng: Random): Float32Array {
  const out = new Float32Array(4 * features);
  for (let n = 0; n < 2; n++) mnistDigit(n).bytes.forEach((v, p) => { out[n * features + p] = (v / 255 - normalization.mean) / normalization.std; });
  for (let i = 2 * features; i < out.length; i++) out[i] = rng.normal();
  return out;
}

const torchSuite = hasTorch ? `exported model.py in ${PYTHON} (torch) against zerograd infer` : `exported model.py against zerograd infer: skipped, ${PYTHON} has no torch (apt install python3-torch)`;

describe.runIf(hasTorch)(torchSuite, () => {
  const dir = tempDir('zerograd-export-pytorch-');
  const jobs: { name: string; folder: string; input: string; output: string; expected: string; preprocess?: boolean; train?: string }[] = [];
  const stats = new Map<string, string>(); // train-step job name -> zerograd's running statistics after the step (.npy)
  const measured: string[] = [];
  let report: { folder: string; class: string; eval: boolean; keys: number }[] = [];

  beforeAll(async () => {
    const rng = new Random(11);
    const run = async (args: string[]) => {
      const result = await zerograd(args);
      if (result.code !== 0) throw new Error(`zerograd ${args.join(' ')} failed (${result.code}): ${result.err}`);
    };
    const prepare = async (name: string, modelDir: string, normalization: Normalization, inputShape: readonly number[]) => {
      const folder = join(dir, name);
      mkdirSync(folder, { recursive: true });
      const features = inputShape.reduce((p, d) => p * d, 1);
      const input = join(folder, 'x.npy');
      writeFileSync(input, encodeNpy(inputs(normalization, features, rng), [4, ...inputShape]));
      await run(['infer', '--model', modelDir, '--input', input, '--out', join(folder, 'zerograd.npy')]);
      await run(['export', '--format', 'pytorch', '--model', modelDir, '--out', join(folder, 'pytorch')]);
      jobs.push({ name, folder: join(folder, 'pytorch'), input, output: join(folder, 'torch.npy'), expected: join(folder, 'zerograd.npy') });
    };
    await init('wasm');
    for (const [name, { normalization }] of Object.entries(ARCHITECTURES)) {
      const model = randomModel(name);
      const modelDir = join(dir, name, 'model');
      mkdirSync(modelDir, { recursive: true });
      const inputShape = model.inputShape as number[];
      saveModel(modelDir, model, { name, preprocessing: { normalization, layout: inputShape.length === 1 ? 'flat' : 'image', rows: 28, cols: 28 }, classNames: CLASSES });
      await prepare(name, modelDir, normalization, inputShape);
    }
    for (const shipped of ['mnist-cnn', 'mnist-cnn-best', 'backbone-vit-tiny-contrastive']) {
      const modelDir = join(ROOT, 'models', shipped);
      const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { preprocessing: { normalization: Normalization } };
      await prepare(`models/${shipped}`, modelDir, config.preprocessing.normalization, INPUT);
    }
    // One forward pass in training mode: batch statistics, and running averages updated with each layer's momentum.
    for (const name of TRAIN_STEP) {
      const job = jobs.find((j) => j.name === name) as (typeof jobs)[number];
      const model = randomModel(name).train();
      const x = readNpy(job.input);
      const logits = noGrad(() => scope(() => Float32Array.from(model.forwardLogits(tensor(x.values, { shape: x.shape })).data())));
      const running = [...exportOf(model, STANDARDIZE).tensors].filter(([key]) => /running_(mean|var)$/.test(key)).flatMap(([, t]) => Array.from(t.values));
      const folder = join(dir, name);
      writeFileSync(join(folder, 'zerograd-train.npy'), encodeNpy(logits, [4, 10]));
      writeFileSync(join(folder, 'zerograd-stats.npy'), encodeNpy(Float32Array.from(running), [running.length]));
      stats.set(`${name} training step`, join(folder, 'zerograd-stats.npy'));
      jobs.push({ ...job, name: `${name} training step`, output: join(folder, 'torch-train.npy'), expected: join(folder, 'zerograd-train.npy'), train: join(folder, 'torch-stats.npy') });
    }
    // preprocess(): raw 0-1 pixels (N, 28, 28) through model.py's normalization, against zerograd on the normalized input.
    const shippedJob = jobs.find((j) => j.name === 'models/mnist-cnn') as (typeof jobs)[number];
    const pixels = new Float32Array(2 * 784);
    for (let n = 0; n < 2; n++) mnistDigit(n).bytes.forEach((v, p) => { pixels[n * 784 + p] = v / 255; });
    const rawInput = join(dir, 'pixels.npy');
    writeFileSync(rawInput, encodeNpy(pixels, [2, 28, 28]));
    const expected = readNpy(shippedJob.expected);
    const firstTwo = join(dir, 'zerograd-first-two.npy');
    writeFileSync(firstTwo, encodeNpy(expected.values.slice(0, 20), [2, 10]));
    jobs.push({ name: 'models/mnist-cnn via preprocess()', folder: shippedJob.folder, input: rawInput, output: join(dir, 'torch-preprocess.npy'), expected: firstTwo, preprocess: true });

    const python = spawnSync(PYTHON, [join(import.meta.dirname, 'run_exported.py'), JSON.stringify(jobs)], { encoding: 'utf8', timeout: 240_000 });
    if (python.status !== 0) throw new Error(`run_exported.py failed (${python.status}): ${python.stderr}`);
    report = JSON.parse(python.stdout.trim().split('\n').pop() as string);
  }, 300_000);

  afterAll(() => {
    if (measured.length > 0) console.log(`PyTorch export, torch vs zerograd infer logits (4 images each):\n${measured.join('\n')}`);
  });

  it.each([
    ...Object.keys(ARCHITECTURES), 'models/mnist-cnn', 'models/mnist-cnn-best', 'models/backbone-vit-tiny-contrastive', 'models/mnist-cnn via preprocess()',
    ...TRAIN_STEP.map((name) => `${name} training step`),
  ])('%s: logits within 1e-4 relative, strict state-dict load, eval mode', (name) => {
    const job = jobs.find((j) => j.name === name);
    expect(job, name).toBeDefined();
    const index = jobs.indexOf(job as (typeof jobs)[number]);
    expect(report[index].eval).toBe(true);
    const torchOut = readNpy(job?.output as string);
    const expected = readNpy(job?.expected as string);
    expect(torchOut.shape).toEqual(expected.shape);
    const { maxAbs, maxRel } = compare(torchOut.values, expected.values);
    measured.push(`  ${name.padEnd(40)} ${report[index].class.padEnd(18)} max abs ${maxAbs.toExponential(2)}  max rel ${maxRel.toExponential(2)}`);
    expect(maxRel).toBeLessThanOrEqual(1e-4);
    expect(Math.max(...Array.from(expected.values, Math.abs))).toBeGreaterThan(0.1); // non-trivial logits
    const expectedStats = stats.get(name);
    if (expectedStats) {
      const running = compare(readNpy(job?.train as string).values, readNpy(expectedStats).values);
      measured.push(`  ${''.padEnd(40)} ${'running stats'.padEnd(18)} max abs ${running.maxAbs.toExponential(2)}  max rel ${running.maxRel.toExponential(2)}`);
      expect(running.maxRel).toBeLessThanOrEqual(1e-5);
    }
  });
});
