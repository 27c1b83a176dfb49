// The torchvision layout of ResNet: the 7x7/2 stem with its 3x3/2 max pool, bottleneck blocks, blocks per stage as
// a list; shapes, parameter counts, gradients, config round trips and the errors for bad options.
// (The CIFAR-style defaults are covered in vit.test.ts; the numerics against torchvision in test/cli/import.test.ts.)
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';

const values = (t: zg.Tensor): number[] => Array.from(t.values());

describe('ResNet, imagenet stem and bottleneck blocks', () => {
  it('maps (B, 3, 40, 40) through a 7x7/2 stem and 3x3/2 max pool (10x10) and 4x-wide bottleneck stages', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const net = new zg.ResNet({ channels: 3, imageSize: 40, widths: [2, 4], blocksPerStage: [2, 1], stem: 'imagenet', block: 'bottleneck', numClasses: 3 });
    expect(net.featureDim).toBe(16);
    const names = net.namedModules().map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['stem', 'stemPool', 'stages.0.0.conv3', 'stages.0.0.shortcutConv', 'stages.1.0.shortcutBn']));
    expect(names).not.toContain('stages.0.1.shortcutConv'); // 8 -> 8 channels at stride 1: identity shortcut
    // stem 2*3*49 + bn 4; stage 0 block 0: 1x1 2*2, 3x3 2*2*9, 1x1 8*2, bn 4+4+16, shortcut 8*2 + 16;
    // block 1: 2*8, 36, 16, 24; stage 1: 4*8, 4*4*9, 16*4, bn 8+8+32, shortcut 16*8 + 32; head 16*3 + 3
    expect(net.countParameters().total).toBe(294 + 4 + (4 + 36 + 16 + 24 + 16 + 16) + (16 + 36 + 16 + 24) + (32 + 144 + 64 + 48 + 128 + 32) + 51);
    const stem = zg.scope(() => (net.children().find(([n]) => n === 'stemPool')?.[1] as zg.Module).outputShape([2, 20, 20]));
    expect(stem).toEqual([2, 10, 10]);
    zg.scope(() => {
      const x = zg.randn([2, 3, 40, 40]);
      expect(net.features(x).shape).toEqual([2, 16]);
      const y = net.forward(x);
      expect(y.shape).toEqual([2, 3]);
      y.sum().backward();
      for (const [name, p] of net.namedParameters()) expect(p.grad, name).not.toBeNull();
    });
  });

  it('round-trips its config (stem, block, per-stage depths) through layerFromConfig, with the same outputs', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(2);
    const net = new zg.ResNet({ channels: 3, imageSize: 33, widths: [3, 5, 4], blocksPerStage: [1, 2, 1], stem: 'imagenet', numClasses: 4 });
    const config = JSON.parse(JSON.stringify(net.config())) as zg.LayerConfig;
    expect(config).toMatchObject({ type: 'ResNet', stem: 'imagenet', blocksPerStage: [1, 2, 1], widths: [3, 5, 4] });
    expect(config.block).toBeUndefined(); // defaults are left out, so older configs read as before
    const rebuilt = zg.layerFromConfig(config);
    expect(rebuilt.config()).toEqual(net.config());
    rebuilt.loadStateDict(net.stateDict());
    net.eval();
    rebuilt.eval();
    zg.scope(() => {
      const x = zg.randn([2, 3, 33, 33]); // odd sides: 33 -> 17 -> 9 -> 9, 5, 3
      expect(values(rebuilt.forward(x))).toEqual(values(net.forward(x)));
    });
    const block = zg.layerFromConfig({ type: 'BottleneckBlock', inChannels: 4, width: 2, stride: 2 });
    expect(block.outputShape([4, 9, 9])).toEqual([8, 5, 5]);
  });

  it('refuses depths that do not match the stages, and unknown stems and blocks, by name', () => {
    expect(() => new zg.ResNet({ widths: [4, 8], blocksPerStage: [1] })).toThrow(/blocksPerStage must be a positive integer or one per stage \(2\), got \[1\]/);
    expect(() => zg.layerFromConfig({ type: 'ResNet', stem: 'tiny' })).toThrow(/stem must be 'cifar' or 'imagenet', got "tiny"/);
    expect(() => zg.layerFromConfig({ type: 'ResNet', block: 'wide' })).toThrow(/block must be 'basic' or 'bottleneck', got "wide"/);
  });
});
