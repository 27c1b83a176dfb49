// Input adaptation of imported models: bicubic position-embedding interpolation (identity on the same grid,
// PyTorch's numbers, a smooth field reproduced), the adapted chain and its errors for impossible sizes.
import { describe, expect, it } from 'vitest';
import { adaptImported, channelStatsOf, cubicMatrix, defaultImageSize, interpolateGrid } from '../../src/finetune/adapt-input.js';
import type { ModelConfig } from '../../src/io/model-config.js';
import { importedConfig } from '../../src/io/torchvision-import.js';
import { buildModel } from '../../src/models/build.js';
import type { Backbone } from '../../src/nn/layers/backbone.js';
import { ResNet } from '../../src/nn/layers/resnet.js';
import type { Sequential } from '../../src/nn/layers/sequential.js';
import { VisionTransformer } from '../../src/nn/layers/vit.js';
import type { LayerConfig } from '../../src/nn/module.js';
import { tensor } from '../../src/ops/create.js';
import { manualSeed } from '../../src/tensor/engine.js';

const thrown = (f: () => unknown): Error => {
  try { f(); } catch (err) { return err as Error; }
  throw new Error('expected an error');
};

/** An "imported" model folder's model and config.json for `layer`. */
function imported(layer: LayerConfig): { model: Sequential; config: ModelConfig } {
  manualSeed(1);
  const config = importedConfig(layer, 'test', { kind: 'standardize', mean: 0.449, std: 0.226 }, undefined, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  return { model: buildModel(config.architecture, 'test') as Sequential, config };
}

const VIT: LayerConfig = { type: 'VisionTransformer', channels: 3, imageSize: 32, patchSize: 8, dim: 8, depth: 1, heads: 2, mlpRatio: 2, pool: 'cls', numClasses: 5 };

describe('interpolateGrid (bicubic, align_corners=True)', () => {
  it('is the identity when the grid is unchanged', () => {
    const v = Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => Math.cos(i));
    expect(Array.from(interpolateGrid(v, 4, 4, 3))).toEqual(Array.from(v));
  });

  it('gives PyTorch\'s F.interpolate(mode="bicubic", align_corners=True) numbers', () => {
    // Printed by torch 1.13 for v[i] = sin(1.3 i) + 0.01 i on a 5x5 grid of 2-vectors, resized to 3x3 (all) and 7x7 (first 8).
    const v = Float32Array.from({ length: 5 * 5 * 2 }, (_, i) => Math.sin(i * 1.3) + i * 0.01);
    const to3 = [0.0, 0.973558, -0.843455, 0.26512, -0.747826, -0.671984, 0.962558, 1.037328, 0.025747, 1.13387, -0.68332, 0.290888, 1.386628, 0.516871, 1.046246, 1.378466, 0.061446, 1.253133];
    const to7 = [0.0, 0.973558, 0.520135, -0.246744, 0.055219, -0.555374, -0.843455, 0.26512];
    Array.from(interpolateGrid(v, 5, 3, 2)).forEach((x, i) => expect(x).toBeCloseTo(to3[i], 5));
    Array.from(interpolateGrid(v, 5, 7, 2)).slice(0, 8).forEach((x, i) => expect(x).toBeCloseTo(to7[i], 5));
  });

  it('reproduces a smooth field sampled on a finer or coarser grid', () => {
    const field = (y: number, x: number) => [Math.sin(2 * y) * Math.cos(1.5 * x), 0.3 * x - 0.7 * y + 0.2]; // on [0, 1]^2
    const sample = (g: number) => Float32Array.from(Array.from({ length: g * g }, (_, k) => field(Math.floor(k / g) / (g - 1), (k % g) / (g - 1))).flat());
    for (const [from, to] of [[14, 5], [8, 14], [4, 2]]) {
      const got = interpolateGrid(sample(from), from, to, 2);
      const want = sample(to);
      const worst = Math.max(...Array.from(got, (x, i) => Math.abs(x - want[i])));
      expect(worst, `${from}x${from} -> ${to}x${to}`).toBeLessThan(0.04); // PyTorch's cubic (a = -0.75, clamped borders) is exact for constants only; the field spans about 2
    }
  });

  it('has interpolation rows that sum to 1, and refuses a wrong length', () => {
    const m = cubicMatrix(6, 4);
    for (let i = 0; i < 4; i++) expect(m.slice(i * 6, i * 6 + 6).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(thrown(() => interpolateGrid(new Float32Array(10), 3, 2, 1)).message).toMatch(/10 values are not a 3x3 grid of 1-vectors/);
  });
});

describe('adaptImported', () => {
  it('puts Resize, RepeatChannels and ChannelNormalize in front of a ViT rebuilt for the new side, position embeddings resampled', () => {
    const { model, config } = imported(VIT);
    const old = model.layers[0] as VisionTransformer;
    const [posEmbed, clsToken] = [Float32Array.from(old.posEmbed.data()), Array.from((old.clsToken as { data(): Float32Array }).data())];
    const adapted = adaptImported(model, config, 16, '--image-size 16');
    expect(old.posEmbed.disposed).toBe(true); // the imported weights were copied, then freed
    expect(adapted.model.layers.map((l) => l.constructor.name)).toEqual(['Resize', 'RepeatChannels', 'ChannelNormalize', 'VisionTransformer']);
    expect(adapted.model.config()).toMatchObject({ inputShape: [1, 28, 28] });
    const vit = adapted.backbone as VisionTransformer;
    expect(vit.options.imageSize).toBe(16);
    expect(vit.posEmbed.shape).toEqual([1, 4, 8]);
    expect(Array.from(vit.posEmbed.data())).toEqual(Array.from(interpolateGrid(posEmbed, 4, 2, 8)));
    expect(Array.from((vit.clsToken as { data(): Float32Array }).data())).toEqual(clsToken); // class token kept
    expect(adapted.summary).toMatch(/Resize 28->16, RepeatChannels\(3\), ChannelNormalize\(mean \[0.485, 0.456, 0.406\], std \[0.229, 0.224, 0.225\]\), position embeddings 4x4->2x2/);
    const logits = adapted.model.eval().forward(tensor(new Float32Array(2 * 28 * 28).fill(0.5), { shape: [2, 1, 28, 28] }));
    expect(logits.shape).toEqual([2, 5]);
  });

  it('keeps the grid, and every weight, at the default side of a small ViT', () => {
    const { model, config } = imported(VIT);
    const before = new Map([...(model.layers[0] as Backbone).stateDict()].map(([name, t]) => [name, Array.from(t.data())]));
    const adapted = adaptImported(model, config, undefined, '--from x');
    expect(adapted.imageSize).toBe(32);
    for (const [name, t] of adapted.backbone.stateDict()) expect(Array.from(t.data()), name).toEqual(before.get(name));
  });

  it('picks 32 for large ResNets and ViT-B/16 (2x2 patches), and a ViT\'s patch multiple from 32', () => {
    const resnet = new ResNet({ channels: 3, imageSize: 224, widths: [2], blocksPerStage: 1, stem: 'imagenet', numClasses: 3 });
    expect(defaultImageSize(resnet)).toBe(32);
    const vit = (patchSize: number) => new VisionTransformer({ channels: 3, imageSize: 240, patchSize, dim: 4, depth: 1, heads: 1, mlpRatio: 1 });
    expect(defaultImageSize(vit(16))).toBe(32);
    expect(defaultImageSize(vit(12))).toBe(36);
    expect(defaultImageSize(vit(20))).toBe(40);
  });

  it('says which sides work when the side is impossible', () => {
    const { model, config } = imported(VIT);
    const notMultiple = thrown(() => adaptImported(model, config, 20, '--image-size 20'));
    expect(notMultiple.name).toBe('UsageError');
    expect(notMultiple.message).toMatch(/--image-size 20: 20 is not a multiple of the ViT's patch size 8; sides that work: 8, 16, 24, 32/);
    expect(thrown(() => adaptImported(model, config, 0, '--image-size 0')).message).toMatch(/must be an integer from 1 to 1024, got 0/);
    const resnet = imported({ type: 'ResNet', channels: 3, imageSize: 40, widths: [2], blocksPerStage: 1, stem: 'imagenet', numClasses: 3 });
    expect(thrown(() => adaptImported(resnet.model, resnet.config, 4, '--image-size 4')).message).toMatch(/4 is too small for a ResNet; use at least 8/);
  });
});

describe('channelStatsOf', () => {
  it('uses the per-channel statistics, else (folders imported before they were recorded) the channel averages', () => {
    const { config } = imported(VIT);
    expect(channelStatsOf(config, 3)).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const { channelStats: _, ...older } = config.preprocessing;
    expect(channelStatsOf({ ...config, preprocessing: older }, 3)).toEqual({ mean: [0.449, 0.449, 0.449], std: [0.226, 0.226, 0.226] });
    expect(channelStatsOf({ ...config, preprocessing: { ...older, normalization: { kind: 'scale', mean: 0, std: 1 } } }, 3)).toEqual({ mean: [0, 0, 0], std: [1, 1, 1] });
  });
});
