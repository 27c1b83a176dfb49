// The torchvision key plan: its zerograd names and shapes are exactly those of the ResNet it describes (built for
// real here, in small widths), every named architecture resolves, and mapStateDict names each unknown, missing,
// mismatched or integer key, skips num_batches_tracked and transposes fc.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { mapStateDict, resnetOptions, resnetPlan, TORCHVISION_RESNETS } from '../../src/io/torchvision.js';
import type { StateTensor } from '../../src/io/torch-checkpoint.js';
import { RESNET_DEFAULTS, type ResNetOptions } from '../../src/nn/layers/resnet.js';
import { thrown } from '../data/helpers.js';

const f32 = (shape: number[], fill = (i: number) => i): StateTensor => ({ dtype: 'F32', shape, values: Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => fill(i)) });

/** A state dict with every tensor the plan of `options` names (torchvision's shapes), plus num_batches_tracked. */
function stateFor(options: Required<ResNetOptions>): Map<string, StateTensor> {
  const state = new Map<string, StateTensor>();
  for (const p of resnetPlan(options)) {
    state.set(p.source, f32(p.sourceShape));
    if (p.source.endsWith('running_var')) state.set(p.source.replace('running_var', 'num_batches_tracked'), { dtype: 'I64', shape: [], values: new Float64Array([3]) });
  }
  return state;
}

describe('torchvision ResNet key plan', () => {
  const cases: [string, ResNetOptions][] = [
    ['basic, imagenet stem', { widths: [3, 4, 6, 5], blocksPerStage: [2, 1, 2, 1], stem: 'imagenet', channels: 3 }],
    ['bottleneck, imagenet stem', { widths: [2, 3, 4, 2], blocksPerStage: [1, 2, 1, 1], stem: 'imagenet', block: 'bottleneck', channels: 3 }],
    ['basic, cifar stem (the zerograd default)', { widths: [4, 4, 8], blocksPerStage: 2 }],
  ];
  for (const [name, options] of cases) {
    it(`names every tensor of the built model with its shape: ${name}`, () => {
      zg.setBackend(new zg.CpuBackend());
      const full = { ...RESNET_DEFAULTS, ...options } as Required<ResNetOptions>;
      const model = new zg.Sequential([new zg.ResNet(full)], { inputShape: [full.channels, 32, 32] });
      const own = [...model.stateDict()].map(([key, t]) => [key, [...t.shape]]);
      expect(resnetPlan(full).map((p) => [p.target, p.shape]).sort()).toEqual(own.sort());
    });
  }

  it('resolves resnet18, resnet34 and resnet50 (classes from fc), and reads widths, depths and block for `resnet`', () => {
    const fc = new Map([['fc.weight', f32([7, 512])]]);
    expect(resnetOptions('resnet18', fc, 224, 'x.pth')).toMatchObject({ widths: [64, 128, 256, 512], blocksPerStage: [2, 2, 2, 2], block: 'basic', stem: 'imagenet', numClasses: 7, channels: 3 });
    expect(resnetOptions('resnet34', fc, 224, 'x.pth').blocksPerStage).toEqual([3, 4, 6, 3]);
    expect(resnetOptions('resnet50', fc, 224, 'x.pth')).toMatchObject({ block: 'bottleneck', blocksPerStage: [3, 4, 6, 3] });
    expect(resnetPlan(resnetOptions('resnet50', new Map([['fc.weight', f32([1000, 2048])]]), 224, 'x')).length).toBe(267); // torchvision 0.14's resnet50 state dict: 320 entries, 53 of them num_batches_tracked
    expect(Object.keys(TORCHVISION_RESNETS)).toEqual(['resnet18', 'resnet34', 'resnet50']);
    const small = { ...RESNET_DEFAULTS, widths: [2, 3, 4, 2], blocksPerStage: [1, 2, 1, 1], stem: 'imagenet', block: 'bottleneck', channels: 3, numClasses: 5, imageSize: 64 } as Required<ResNetOptions>;
    expect(resnetOptions('resnet', stateFor(small), 64, 'x.pth')).toEqual(small);
    expect(thrown(() => resnetOptions('resnet18', new Map([['head.weight', f32([2, 2])]]), 224, 'x.pth')).message).toMatch(/x\.pth: no fc\.weight of shape \(classes, features\); not a torchvision ResNet state dict \(keys: head\.weight\)/);
  });
});

describe('mapStateDict', () => {
  const options = { ...RESNET_DEFAULTS, widths: [2, 2, 3, 3], blocksPerStage: [1, 1, 1, 1], stem: 'imagenet', channels: 3, numClasses: 4 } as Required<ResNetOptions>;

  it('renames, keeps float32, transposes fc (out, in) -> (in, out) and skips num_batches_tracked', () => {
    const state = stateFor(options);
    state.set('fc.weight', f32([4, 3], (i) => i)); // rows are classes
    state.set('bn1.weight', { dtype: 'F16', shape: [2], values: new Float32Array([0.5, 1.5]) });
    const { tensors, skipped } = mapStateDict(state, resnetPlan(options), 'r.pth');
    expect(skipped.length).toBe(resnetPlan(options).filter((p) => p.source.endsWith('running_var')).length);
    expect(state.size).toBe(skipped.length); // the float tensors were taken out as they were converted
    const head = tensors.get('0.head.weight') as zg.NamedArray;
    expect(head.shape).toEqual([3, 4]);
    expect(Array.from(head.values)).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
    expect(Array.from((tensors.get('0.stemBn.weight') as zg.NamedArray).values)).toEqual([0.5, 1.5]);
    expect((tensors.get('0.stages.1.0.shortcutBn.runningVar') as zg.NamedArray).dtype).toBe('F32');
  });

  it('names unknown, missing, mismatched and integer keys together in one DataError', () => {
    const state = stateFor(options);
    state.delete('layer2.0.downsample.0.weight');
    state.set('layer5.0.conv1.weight', f32([1]));
    state.set('layer1.0.conv1.weight', f32([2, 2, 1, 1]));
    state.set('fc.bias', { dtype: 'I64', shape: [4], values: new Float64Array(4) });
    const error = thrown(() => mapStateDict(state, resnetPlan(options), 'r.pth'));
    expect(error).toBeInstanceOf(zg.DataError);
    expect(error.message).toBe('r.pth: does not fit the architecture: unknown keys layer5.0.conv1.weight; missing keys layer2.0.downsample.0.weight; '
      + 'shape mismatches: layer1.0.conv1.weight is (2, 2, 1, 1), expected (2, 2, 3, 3); non-float tensors fc.bias (I64)');
  });
});
