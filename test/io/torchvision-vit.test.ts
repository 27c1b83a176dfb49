// The torchvision ViT key plan: its zerograd names and shapes are exactly those of the VisionTransformer it
// describes (built here, small), the options come from the keys (heads from the table or --heads), the class
// token's position row is folded into clsToken and in_proj is split into q, k, v (rows, then transposed).
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { TORCHVISION_VITS, vitOptions, vitPlan } from '../../src/io/torchvision-vit.js';
import { mapStateDict } from '../../src/io/torchvision.js';
import type { StateTensor } from '../../src/io/torch-checkpoint.js';
import { VIT_DEFAULTS, type VisionTransformerOptions } from '../../src/nn/layers/vit.js';
import { thrown } from '../data/helpers.js';

const small: Required<VisionTransformerOptions> = { ...VIT_DEFAULTS, imageSize: 16, channels: 3, patchSize: 8, dim: 4, depth: 2, heads: 2, mlpRatio: 2.5, numClasses: 3 };

/** A torchvision-keyed state dict for `options` whose values count up from `start` in every tensor. */
function stateFor(options: Required<VisionTransformerOptions>): Map<string, StateTensor> {
  const state = new Map<string, StateTensor>();
  for (const p of vitPlan(options)) {
    const size = p.sourceShape.reduce((a, d) => a * d, 1);
    state.set(p.source, { dtype: 'F32', shape: p.sourceShape, values: Float32Array.from({ length: size }, (_, i) => i) });
  }
  return state;
}

describe('torchvision VisionTransformer key plan', () => {
  it('names every tensor of the built model with its shape', () => {
    zg.setBackend(new zg.CpuBackend());
    const model = new zg.Sequential([new zg.VisionTransformer(small)], { inputShape: [3, 16, 16] });
    const own = [...model.stateDict()].map(([key, t]) => [key, [...t.shape]]);
    expect(vitPlan(small).map((p) => [p.target, p.shape]).sort()).toEqual(own.sort());
  });

  it('reads the options from the keys: vit_b_16 from its table, `vit` with --heads or width / 64', () => {
    const state = stateFor(small);
    expect(vitOptions('vit', state, 'v.pth', 2)).toEqual(small);
    expect(vitOptions('vit', state, 'v.pth').heads).toBe(1); // 4 / 64, at least 1
    expect(TORCHVISION_VITS.vit_b_16).toEqual({ patchSize: 16, heads: 12, dim: 768, depth: 12 });
    expect(vitOptions('vit_b_16', state, 'v.pth')).toMatchObject({ dim: 768, depth: 12, heads: 12, patchSize: 16, imageSize: 32, numClasses: 3 }); // the plan then names the mismatches
    expect(thrown(() => vitOptions('vit', state, 'v.pth', 3)).message).toMatch(/--heads 3 does not divide the width 4/);
    expect(thrown(() => vitOptions('vit', state, 'v.pth', 2, 20)).message).toMatch(/--image-size 20 is not a multiple of the 8-pixel patches/);
    expect(thrown(() => vitOptions('vit', new Map(), 'v.pth')).message).toMatch(/v\.pth: no conv_proj\.weight; not a torchvision VisionTransformer state dict/);
  });

  it('folds pos_embedding[0] into the class token, keeps the patch rows, splits in_proj into q, k, v', () => {
    const { tensors } = mapStateDict(stateFor(small), vitPlan(small), 'v.pth');
    const values = (key: string) => Array.from((tensors.get(key) as zg.NamedArray).values);
    expect(values('0.clsToken')).toEqual([0, 2, 4, 6]); // class_token 0..3 + pos_embedding row 0 (0..3)
    expect(values('0.posEmbed')).toEqual(Array.from({ length: 16 }, (_, i) => i + 4)); // rows 1..4 of (1, 5, 4)
    // in_proj_weight (12, 4) counting 0..47: k is rows 4..7 (values 16..31), as (in, out): column-major
    expect(values('0.blocks.1.attn.k.weight')).toEqual([16, 20, 24, 28, 17, 21, 25, 29, 18, 22, 26, 30, 19, 23, 27, 31]);
    expect(values('0.blocks.0.attn.v.bias')).toEqual([8, 9, 10, 11]);
    expect(tensors.get('0.patchEmbed.proj.weight')?.shape).toEqual([192, 4]);
    expect((tensors.get('0.patchEmbed.proj.weight') as zg.NamedArray).values[1]).toBe(192); // (D, C*p*p) transposed: [0][1] is conv_proj[1, 0, 0, 0]
  });
});
