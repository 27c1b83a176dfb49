// LoRA invariants: B = 0 gives the base model exactly; merged and unmerged outputs agree after
// training; frozen parameters never change; trainable share on the default ViT; patterns and errors.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';

const tiny: zg.VisionTransformerOptions = { dim: 16, depth: 2, heads: 2, mlpRatio: 2, numClasses: 4 };

function values(t: zg.Tensor): number[] {
  return Array.from(t.values());
}

/** A few Adam steps on the trainable parameters, fitting random labels. */
function train(model: zg.Module, x: zg.Tensor, labels: zg.Tensor, steps = 5): void {
  const optimizer = new zg.Adam(model.trainableParameters(), { lr: 0.01 });
  for (let s = 0; s < steps; s++) {
    zg.scope(() => {
      optimizer.zeroGrad();
      model.forward(x).crossEntropy(labels).backward();
      optimizer.step();
    });
  }
}

describe('enableLora', () => {
  it('with B = 0 gives exactly the base model outputs', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(0);
    const vit = new zg.VisionTransformer(tiny);
    const x = zg.randn([3, 1, 28, 28]).keep();
    const before = zg.scope(() => values(vit.forward(x)));
    const report = zg.enableLora(vit, { rank: 4, targets: '*.attn.q|*.attn.v|*.mlp.*' });
    expect(report.layers).toEqual(['blocks.0.attn.q', 'blocks.0.attn.v', 'blocks.0.mlp.fc1', 'blocks.0.mlp.fc2', 'blocks.1.attn.q', 'blocks.1.attn.v', 'blocks.1.mlp.fc1', 'blocks.1.mlp.fc2']);
    expect(zg.scope(() => values(vit.forward(x)))).toEqual(before);
  });

  for (const backendCase of backendCases.slice(0, 2)) {
    it(`after training, merged and unmerged models agree and frozen parameters are unchanged (${backendCase.name})`, async () => {
      zg.setBackend(await backendCase.make());
      zg.manualSeed(1);
      const vit = new zg.VisionTransformer(tiny);
      const x = zg.randn([4, 1, 28, 28]).keep();
      const labels = zg.tensor(Int32Array.from([0, 1, 2, 3])).keep();
      const base = zg.scope(() => values(vit.forward(x)));
      const report = zg.enableLora(vit, { rank: 2, alpha: 4, trainable: 'head', seed: 3 });
      const frozen = vit.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n, p]) => [n, values(p)] as const);
      const adapters = vit.namedParameters().filter(([n]) => n.includes('lora')).map(([n, p]) => [n, values(p)] as const);
      expect(frozen.length).toBeGreaterThan(0);
      expect(report.trainable).toBe(2 * 2 * (16 * 2 + 2 * 16) + (16 * 4 + 4)); // q and v in 2 blocks, plus the head
      train(vit, x, labels);
      const byName = new Map(vit.namedParameters());
      for (const [name, before] of frozen) expect(values(byName.get(name) as zg.Tensor), name).toEqual(before);
      for (const [name, before] of adapters.filter(([n]) => n.endsWith('loraB'))) expect(values(byName.get(name) as zg.Tensor), name).not.toEqual(before);
      const unmerged = zg.scope(() => values(vit.forward(x)));
      expect(unmerged).not.toEqual(base);
      expect(zg.mergeLora(vit)).toEqual(report.layers);
      const merged = zg.scope(() => values(vit.forward(x)));
      const tolerance = backendCase.name === 'cpu' ? 1e-10 : 1e-5;
      merged.forEach((m, i) => expect(Math.abs(m - unmerged[i])).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(m))));
      // The merged model is the plain architecture again: same names, loadable into a fresh ViT.
      expect(zg.loraLayers(vit)).toEqual([]);
      const fresh = zg.layerFromConfig(vit.config());
      fresh.loadStateDict(vit.stateDict());
      expect(zg.scope(() => values(fresh.forward(x)))).toEqual(merged);
    });
  }

  it('trains under 5% of the default ViT with rank 8 on the attention projections', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(2);
    const report = zg.enableLora(new zg.VisionTransformer(), { rank: 8, targets: '*.attn.q|*.attn.v', trainable: 'head' });
    expect(report.layers).toHaveLength(12);
    expect(report.trainable).toBe(12 * (128 * 8 + 8 * 128) + 128 * 10 + 10);
    expect(report.fraction).toBeLessThan(0.05);
    expect(report.total).toBe(1_199_754 + 12 * 2048);
  });

  it('matches globs over dotted names, /regex/ strings and lists', () => {
    zg.manualSeed(3);
    const match = (pattern: zg.ModulePattern) => zg.matchModules(new zg.VisionTransformer(tiny), pattern).map(([n]) => n);
    expect(match('blocks.*.mlp.*')).toEqual(['blocks.0.mlp.fc1', 'blocks.0.mlp.fc2', 'blocks.1.mlp.fc1', 'blocks.1.mlp.fc2']);
    expect(match('/blocks\\.1\\.attn\\.(k|out)/')).toEqual(['blocks.1.attn.k', 'blocks.1.attn.out']);
    expect(match(['head', 'patchEmbed.proj'])).toEqual(['patchEmbed.proj', 'head']);
    expect(match('blocks.?.attn.q')).toEqual(['blocks.0.attn.q', 'blocks.1.attn.q']);
  });

  it('works inside a Sequential (forward and forwardLogits see the adapter) and round-trips LoraDense configs', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const model = new zg.Sequential([new zg.Dense({ units: 6, activation: 'relu' }), new zg.Dense({ units: 3, activation: 'softmax' })], { inputShape: [5] });
    zg.enableLora(model, { rank: 2, targets: '0|1' });
    expect(model.layers[1]).toBeInstanceOf(zg.LoraDense);
    expect(model.endsWithSoftmax).toBe(true);
    const lora = model.layers[1] as zg.LoraDense;
    zg.assign(lora.loraB, zg.randn(lora.loraB.shape));
    const rebuilt = zg.layerFromConfig(JSON.parse(JSON.stringify(model.config())));
    rebuilt.loadStateDict(model.stateDict());
    zg.scope(() => {
      const x = zg.randn([2, 5]);
      expect(values(rebuilt.forward(x))).toEqual(values(model.forward(x)));
      expect(values(model.forwardLogits(x).softmax())).toEqual(values(model.forward(x)));
    });
  });

  it('gives clear errors: no match, rank too large or below 1, applied twice, merge without adapters', () => {
    zg.manualSeed(5);
    const vit = new zg.VisionTransformer(tiny);
    expect(() => zg.enableLora(vit, { rank: 2, targets: '*.attn.query' })).toThrow(/LoRA targets '\*\.attn\.query' match no Dense or Conv2D layer; Dense and Conv2D layers in this model: patchEmbed\.proj, blocks\.0\.attn\.q, /);
    expect(() => zg.enableLora(vit, { rank: 2, targets: 'blocks.0.attn' })).toThrow(/it matches blocks\.0\.attn \(MultiHeadSelfAttention\), which are not Dense or Conv2D layers/);
    expect(() => zg.enableLora(vit, { rank: 5, targets: 'head' })).toThrow(/rank 5 is larger than layer 'head' allows: min\(in 16, out 4\) = 4/);
    expect(() => zg.enableLora(vit, { rank: 0 })).toThrow(/rank must be a positive integer, got 0/);
    expect(() => zg.enableLora(vit, { rank: 2, trainable: 'heads' })).toThrow(/trainable pattern 'heads' matches no module/);
    expect(zg.loraLayers(vit)).toEqual([]); // failed calls leave the model untouched
    expect(vit.countParameters().trainable).toBe(vit.countParameters().total);
    expect(() => zg.mergeLora(vit)).toThrow(/no LoRA adapters/);
    zg.enableLora(vit, { rank: 2 });
    expect(() => zg.enableLora(vit, { rank: 2 })).toThrow(/LoRA is already enabled on 4 layer\(s\) \(blocks\.0\.attn\.q, .*\); call mergeLora\(model\) before enabling it again/);
  });
});
