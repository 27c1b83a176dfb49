// Backbones: the vision transformer and the residual CNN — shapes, parameter counts, patch order,
// config round trips through layerFromConfig + loadStateDict, gradients and backend parity.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';

const tiny: zg.VisionTransformerOptions = { dim: 16, depth: 2, heads: 2, mlpRatio: 2 };

function values(t: zg.Tensor): number[] {
  return Array.from(t.values());
}

describe('VisionTransformer', () => {
  it('has 1-5 M parameters by default and maps (B, 1, 28, 28) to (B, 10) logits and (B, 128) features', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(0);
    const vit = new zg.VisionTransformer();
    const { total } = vit.countParameters();
    expect(total).toBe(1_199_754);
    expect(total).toBeGreaterThan(1e6);
    expect(total).toBeLessThan(5e6);
    expect(vit.featureDim).toBe(128);
    zg.scope(() => {
      const x = zg.randn([2, 1, 28, 28]);
      expect(vit.forward(x).shape).toEqual([2, 10]);
      expect(vit.features(x).shape).toEqual([2, 128]);
      expect(vit.forward(x.reshape([2, 784])).shape).toEqual([2, 10]);
    });
  });

  it('names modules for LoRA patterns: blocks.{i}.attn.{q,k,v,out}, blocks.{i}.mlp.{fc1,fc2}, head', () => {
    zg.manualSeed(0);
    const names = new zg.VisionTransformer(tiny).namedModules().map(([n]) => n);
    for (const name of ['patchEmbed.proj', 'blocks.0.attn.q', 'blocks.1.attn.v', 'blocks.1.mlp.fc2', 'norm', 'head']) expect(names).toContain(name);
    const params = new zg.VisionTransformer(tiny).namedParameters().map(([n]) => n);
    expect(params.slice(0, 2)).toEqual(['posEmbed', 'clsToken']);
  });

  it('patchify cuts row-major p x p patches and unpatchify inverts it', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.scope(() => {
      const images = zg.arange(2 * 16).reshape([2, 1, 4, 4]);
      const patches = zg.patchify(images, 2); // (2, 4, 4)
      expect(patches.shape).toEqual([2, 4, 4]);
      expect(values(patches.slice([0, 0, 0], [1, 2, 4]))).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
      expect(values(zg.unpatchify(patches, 2, 1))).toEqual(values(images));
      const rgb = zg.randn([1, 3, 6, 6]);
      expect(values(zg.unpatchify(zg.patchify(rgb, 3), 3, 3))).toEqual(values(rgb));
    });
  });

  for (const pool of ['cls', 'mean'] as const) {
    it(`round-trips its config and weights (pool ${pool}) and every parameter gets a gradient`, () => {
      zg.setBackend(new zg.CpuBackend());
      zg.manualSeed(1);
      const vit = new zg.VisionTransformer({ ...tiny, pool, patchSize: 4, numClasses: 3 });
      const config = JSON.parse(JSON.stringify(vit.config()));
      expect(config).toEqual({ type: 'VisionTransformer', imageSize: 28, channels: 1, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpRatio: 2, pool, numClasses: 3, dropout: 0 });
      const rebuilt = zg.layerFromConfig(config) as zg.VisionTransformer;
      rebuilt.loadStateDict(vit.stateDict());
      zg.scope(() => {
        const x = zg.randn([2, 1, 28, 28]);
        const y = vit.forward(x);
        expect(values(rebuilt.forward(x))).toEqual(values(y));
        y.sum().backward();
        for (const [name, p] of vit.namedParameters()) expect(p.grad, name).not.toBeNull();
      });
    });
  }

  it('carries Hugging Face numerics as options: layer norm eps, no q/k/v bias, a tanh head; a replaced head is plain again', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const vit = new zg.VisionTransformer({ ...tiny, patchSize: 7, layerNormEps: 1e-12, qkvBias: false, headActivation: 'tanh' });
    const norms = vit.namedModules().map(([, m]) => m).filter((m): m is zg.LayerNorm => m instanceof zg.LayerNorm);
    expect(norms.length).toBe(5); // 2 per block and the final one
    expect(norms.every((n) => n.eps === 1e-12)).toBe(true);
    const names = [...vit.stateDict().keys()];
    expect(names).not.toContain('blocks.0.attn.q.bias');
    expect(names).toContain('blocks.0.attn.out.bias');
    const config = JSON.parse(JSON.stringify(vit.config()));
    expect(config).toMatchObject({ layerNormEps: 1e-12, qkvBias: false, headActivation: 'tanh' });
    const rebuilt = zg.layerFromConfig(config) as zg.VisionTransformer;
    rebuilt.loadStateDict(vit.stateDict());
    zg.scope(() => {
      const x = zg.randn([2, 1, 28, 28]);
      const y = values(rebuilt.forward(x));
      expect(y).toEqual(values(vit.forward(x)));
      expect(y.every((v) => Math.abs(v) < 1)).toBe(true); // tanh
    });
    vit.replaceHead(4);
    expect(vit.config()).not.toHaveProperty('headActivation');
    expect(() => new zg.VisionTransformer({ ...tiny, layerNormEps: 0 })).toThrow(/VisionTransformer: layer norm eps must be a positive number, got 0/);
  });

  it('encodes any subset of patch tokens (the class token is prepended)', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(2);
    const vit = new zg.VisionTransformer(tiny);
    zg.scope(() => {
      const tokens = vit.embed(zg.randn([3, 1, 28, 28]));
      expect(tokens.shape).toEqual([3, 16, 16]);
      expect(vit.encode(tokens.slice([0, 0, 0], [3, 4, 16])).shape).toEqual([3, 5, 16]);
    });
  });

  it('gives clear errors for bad options, inputs and checkpoints of another architecture', () => {
    expect(() => new zg.VisionTransformer({ patchSize: 5 })).toThrow(/imageSize 28 is not divisible by patchSize 5; patch sizes that fit: 2, 4, 7, 14/);
    expect(() => new zg.VisionTransformer({ dim: 30, heads: 4 })).toThrow(/dim 30 is not divisible by heads 4/);
    expect(() => zg.layerFromConfig({ type: 'VisionTransformer', dims: 64 })).toThrow(/unknown option 'dims'; known options: imageSize, channels, patchSize, dim, depth, heads/);
    zg.manualSeed(3);
    const vit = new zg.VisionTransformer(tiny);
    expect(() => zg.scope(() => vit.forward(zg.zeros([2, 1, 32, 32])))).toThrow(/expects images \(batch, 1, 28, 28\) or \(batch, 784\), got \[2, 1, 32, 32\]/);
    const deeper = new zg.VisionTransformer({ ...tiny, depth: 3 });
    expect(() => vit.loadStateDict(deeper.stateDict())).toThrow(/unexpected tensors: blocks\.2\./);
    const wider = new zg.VisionTransformer({ ...tiny, dim: 32 });
    expect(() => vit.loadStateDict(wider.stateDict())).toThrow(/'posEmbed' has shape \[1, 16, 32\], the model expects \[1, 16, 16\]/);
  });
});

describe('ResNet', () => {
  it('maps (B, 1, 28, 28) to (B, widths[-1]) features through strided stages', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1, numClasses: 5 });
    expect(net.namedModules().map(([n]) => n)).toContain('stages.1.0.shortcutConv');
    // stem 9*4 + bn 8; block 4->4: 2 convs 144 each + 2 bn 8 each; block 4->8: 288 + 576 + 32 + 3 bn 16 each; head 8*5+5
    expect(net.countParameters().total).toBe(36 + 8 + 2 * 144 + 16 + 288 + 576 + 32 + 48 + 45);
    zg.scope(() => {
      const x = zg.randn([3, 1, 28, 28]);
      expect(net.features(x).shape).toEqual([3, 8]);
      const y = net.forward(x);
      expect(y.shape).toEqual([3, 5]);
      y.sum().backward();
      for (const [name, p] of net.namedParameters()) expect(p.grad, name).not.toBeNull();
    });
  });

  it('round-trips its config, weights and batch-norm statistics', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(5);
    const net = new zg.ResNet({ widths: [4, 6], blocksPerStage: 2 });
    zg.scope(() => net.forward(zg.randn([4, 1, 28, 28]))); // updates running statistics
    const rebuilt = zg.layerFromConfig(JSON.parse(JSON.stringify(net.config())));
    rebuilt.loadStateDict(net.stateDict());
    net.eval();
    rebuilt.eval();
    zg.scope(() => {
      const x = zg.randn([2, 1, 28, 28]);
      expect(values(rebuilt.forward(x))).toEqual(values(net.forward(x)));
    });
  });
});

describe('backbones on every backend', () => {
  for (const backendCase of backendCases) {
    it(`a tiny ViT's logits and gradients on ${backendCase.name} match the reference`, async () => {
      const run = async (backend: zg.Backend) => {
        zg.setBackend(backend);
        zg.manualSeed(6);
        const vit = new zg.VisionTransformer({ ...tiny, patchSize: 7 });
        return zg.scope(() => {
          const x = zg.randn([2, 1, 28, 28]);
          const y = vit.forward(x);
          y.mul(zg.randn(y.shape)).sum().backward();
          return [values(y), ...vit.parameters().map((p) => values(p.grad as zg.Tensor))];
        });
      };
      const reference = await run(new zg.CpuBackend());
      const actual = await run(await backendCase.make());
      reference.forEach((expected, k) => {
        expected.forEach((e, i) => expect(Math.abs(actual[k][i] - e), `tensor ${k}[${i}]`).toBeLessThan(backendCase.tolerance * 10 * Math.max(1, Math.abs(e))));
      });
    });
  }
});
