// Input adaptation layers: bilinear Resize as PyTorch's F.interpolate(align_corners=False) computes it
// (known values always; torch's own numbers when /usr/bin/python3 has torch), gradients, RepeatChannels,
// ChannelNormalize.
import { spawnSync } from 'node:child_process';
import { beforeEach, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { ChannelNormalize, interpolationMatrix, RepeatChannels, Resize } from '../../src/nn/layers/resize.js';
import { layerFromConfig } from '../../src/nn/registry.js';
import { tensor } from '../../src/ops/create.js';
import { setBackend } from '../../src/tensor/engine.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { torchPython } from '../helpers/python.js';

const python = torchPython();

describe('Resize and RepeatChannels', () => {
  beforeEach(() => setBackend(new CpuBackend()));

  it('interpolates with half-pixel centers, clamped at the border (align_corners=False)', () => {
    expect(Array.from(interpolationMatrix(2, 4))).toEqual([1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
    const up = new Resize(4).forward(tensor([0, 1, 2, 3], { shape: [1, 1, 2, 2] }));
    expect(up.shape).toEqual([1, 1, 4, 4]);
    expect(Array.from(up.data()).slice(0, 4)).toEqual([0, 0.25, 0.75, 1]);
    expect(Array.from(new Resize(1).forward(tensor([0, 1, 2, 3], { shape: [1, 1, 2, 2] })).data())).toEqual([1.5]);
    const same = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    expect(new Resize(2).forward(same)).toBe(same);
  });

  it('has exact gradients', () => {
    gradcheck((x) => new Resize(5, 3).forward(x), [{ shape: [2, 2, 4, 3] }]);
    gradcheck((x) => new RepeatChannels(3).forward(x), [{ shape: [2, 1, 3, 3] }]);
  });

  it('repeats a gray channel, and both layers round-trip through their configs', () => {
    const x = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    const rgb = layerFromConfig(new RepeatChannels(3).config()).forward(x);
    expect(rgb.shape).toEqual([1, 3, 2, 2]);
    expect(Array.from(rgb.data())).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    expect(layerFromConfig(new Resize(32, 30).config()).outputShape([3, 28, 28])).toEqual([3, 32, 30]);
    expect(() => new RepeatChannels(3).forward(tensor([1, 2], { shape: [1, 2, 1, 1] }))).toThrow(/one-channel images/);
    expect(() => new Resize(0)).toThrow(/positive integer/);
  });

  it('normalizes each channel with fixed statistics', () => {
    const layer = layerFromConfig(new ChannelNormalize([0.5, 1], [0.25, 2]).config());
    const y = layer.forward(tensor([1, 0.5, 3, 1], { shape: [1, 2, 2, 1] }));
    expect(Array.from(y.data())).toEqual([2, 0, 1, 0]);
    expect(layer.parameters()).toEqual([]);
    gradcheck((x) => new ChannelNormalize([0.1, 0.2, 0.3], [1, 2, 3]).forward(x), [{ shape: [2, 3, 2, 2] }]);
    expect(() => new ChannelNormalize([0.5], [0])).toThrow(/positive/);
  });

  it.skipIf(!python)('equals torch.nn.functional.interpolate (bilinear, align_corners=False) up and down', () => {
    const values = Array.from({ length: 2 * 3 * 7 * 5 }, (_, i) => Math.sin(i * 0.7));
    for (const [h, w] of [[12, 9], [4, 3], [28, 28], [32, 32]]) {
      const script = `import torch, json, sys\nx = torch.tensor(json.loads(sys.stdin.read()), dtype=torch.float64).reshape(2, 3, 7, 5)\nprint(json.dumps(torch.nn.functional.interpolate(x, size=(${h}, ${w}), mode='bilinear', align_corners=False).flatten().tolist()))`;
      const run = spawnSync(python as string, ['-c', script], { input: JSON.stringify(values), encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const expected = JSON.parse(run.stdout) as number[];
      const ours = Array.from(new Resize(h, w).forward(tensor(values, { shape: [2, 3, 7, 5] })).data());
      expect(ours.length).toBe(expected.length);
      ours.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6)); // the weights are float32
    }
  });
});
