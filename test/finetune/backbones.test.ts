// The named backbones: every description that states a parameter count (and, for the ResNets, the
// multiply-adds per 28x28 image) states the built model's, and the ResNet family spans 0.5 M to 5-10 M.
import { describe, expect, it } from 'vitest';
import { BACKBONES, buildBackbone } from '../../src/finetune/backbones.js';
import { Conv2D, ResNet } from '../../src/nn/index.js';

/** Multiply-adds of the convolutions for one (1, 28, 28) image, in module order (stem, then each block's conv1, conv2, shortcut). */
function multiplyAdds(net: ResNet): number {
  let total = 0;
  let side = 28;
  for (const [name, m] of net.namedModules()) {
    if (!(m instanceof Conv2D) || m.weight === null) continue;
    const [out, inChannels, k] = m.weight.shape;
    // A shortcut's output has the size of its block's output, which conv1's stride already set.
    if (!name.endsWith('shortcutConv')) side = Math.floor((side - 1) / m.stride) + 1;
    total += side * side * out * inChannels * k * k;
  }
  return total;
}

describe('BACKBONES', () => {
  for (const [name, spec] of Object.entries(BACKBONES)) {
    const stated = /\(([\d.]+) M parameters/.exec(spec.description);
    if (!stated) continue;
    it(`${name}: "${stated[0]})" is its parameter count`, () => {
      const { backbone } = buildBackbone(name);
      const decimals = stated[1].split('.')[1]?.length ?? 0;
      expect((backbone.countParameters().total / 1e6).toFixed(decimals)).toBe(stated[1]);
      const macs = /([\d.]+) M multiply-adds/.exec(spec.description);
      if (backbone instanceof ResNet) {
        expect(macs, 'a ResNet states its multiply-adds').not.toBeNull();
        expect(Math.round(multiplyAdds(backbone) / 1e6)).toBe(Number(macs?.[1]));
      }
    });
  }

  it('has a ResNet family: resnet-small about 0.5 M, resnet, resnet-large 5-10 M parameters', () => {
    const count = (name: string) => buildBackbone(name).backbone.countParameters().total;
    expect(count('resnet-small')).toBeGreaterThan(0.4e6);
    expect(count('resnet-small')).toBeLessThan(0.6e6);
    expect(count('resnet')).toBeGreaterThan(count('resnet-small'));
    expect(count('resnet-large')).toBeGreaterThan(5e6);
    expect(count('resnet-large')).toBeLessThan(10e6);
  });
});
