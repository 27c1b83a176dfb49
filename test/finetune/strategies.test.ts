// Fine-tuning strategies: what each one trains, optimizer groups, frozen weights staying fixed,
// loading pretrained checkpoints (head skipped) and the errors for mismatched heads and architectures.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { loadPretrained, prepareFinetune } from '../../src/finetune/index.js';

const tiny: zg.VisionTransformerOptions = { dim: 16, depth: 2, heads: 2, mlpRatio: 2 };

function snapshot(model: zg.Module): Map<string, number[]> {
  return new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.values())]));
}

/** A few steps of Adam over the plan's groups on random data with `classes` labels. */
function steps(plan: ReturnType<typeof prepareFinetune>, classes: number, count = 3): void {
  const optimizer = new zg.Adam(plan.paramGroups, { lr: 0.01 });
  const x = zg.randn([4, 1, 28, 28]).keep();
  const y = zg.tensor(Int32Array.from({ length: 4 }, (_, i) => i % classes)).keep();
  plan.train();
  for (let s = 0; s < count; s++) {
    zg.scope(() => {
      optimizer.zeroGrad();
      plan.model.forward(x).crossEntropy(y).backward();
      optimizer.step();
    });
  }
}

describe('prepareFinetune', () => {
  it('full with frozenNormStatistics: every weight trains, batch-norm running statistics stay fixed', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(0);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    const plan = prepareFinetune(net, { strategy: 'full', classes: 3, frozenNormStatistics: true });
    const trainable = new Set(net.parameters());
    const buffers = () => new Map([...net.stateDict()].filter(([, t]) => !trainable.has(t)).map(([n, t]) => [n, Array.from(t.values())]));
    const before = buffers();
    const weights = snapshot(net);
    expect([...before.keys()].some((name) => /running/i.test(name))).toBe(true);
    steps(plan, 3);
    for (const [name, values] of buffers()) expect(values, name).toEqual(before.get(name));
    for (const [name, values] of snapshot(net)) expect(values, name).not.toEqual(weights.get(name));
    expect(() => prepareFinetune(net, { strategy: 'head', classes: 3, frozenNormStatistics: true })).toThrow(/frozenNormStatistics applies to the full and lora strategies/);
  });

  it('head: only a new head trains; the backbone (batch-norm statistics included) stays fixed', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(0);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    const before = new Map([...net.stateDict()].map(([n, t]) => [n, Array.from(t.values())]));
    const plan = prepareFinetune(net, { strategy: 'head', classes: 3 });
    expect(net.numClasses).toBe(3);
    expect(plan.trainable).toBe(8 * 3 + 3);
    expect(plan.paramGroups).toHaveLength(1);
    expect(plan.paramGroups[0].params).toEqual(net.head.parameters());
    expect(plan.summary).toMatch(/^head: 27 of [\d,]+ parameters trainable \(\d+\.\d\d%\)$/);
    steps(plan, 3);
    for (const [name, t] of net.stateDict()) {
      if (name.startsWith('head.')) expect(Array.from(t.values()), name).not.toEqual(before.get(name) ?? []);
      else expect(Array.from(t.values()), name).toEqual(before.get(name));
    }
  });

  it('full: everything trains, with a lower learning rate for the backbone when asked', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const vit = new zg.VisionTransformer(tiny);
    const plan = prepareFinetune(vit, { strategy: 'full', classes: 10, backboneLrScale: 0.1 });
    expect(plan.trainable).toBe(plan.total);
    expect(plan.paramGroups.map((g) => [g.params.length, g.lrScale])).toEqual([[vit.parameters().length - 2, 0.1], [2, undefined]]);
    const before = snapshot(vit);
    steps(plan, 10, 1);
    for (const [name, p] of vit.namedParameters()) expect(Array.from(p.values()), name).not.toEqual(before.get(name));
  });

  it('lora: adapters plus the head train, under 5% of the default ViT; frozen weights stay fixed', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(2);
    const plan = prepareFinetune(new zg.VisionTransformer(), { strategy: 'lora', classes: 10, lora: { rank: 8 } });
    expect(plan.lora?.layers).toHaveLength(12);
    expect(plan.fraction).toBeLessThan(0.05);
    zg.manualSeed(3);
    const vit = new zg.VisionTransformer(tiny);
    const tinyPlan = prepareFinetune(vit, { strategy: 'lora', classes: 4, lora: { rank: 2, targets: 'blocks.*.attn.*' } });
    expect(tinyPlan.paramGroups[0].params.length).toBe(2 * 4 * 2 + 2);
    const frozen = vit.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n]) => n);
    const before = snapshot(vit);
    steps(tinyPlan, 4);
    for (const [name, p] of vit.namedParameters()) if (frozen.includes(name)) expect(Array.from(p.values()), name).toEqual(before.get(name));
  });

  it('keeps a pretrained head only when its size matches the classes', () => {
    zg.manualSeed(4);
    const vit = new zg.VisionTransformer({ ...tiny, numClasses: 10 });
    const head = vit.head;
    expect(() => prepareFinetune(vit, { strategy: 'head', classes: 5, newHead: false })).toThrow(/head size mismatch: the pretrained head has 10 outputs but the task has 5 classes; start from a new head/);
    prepareFinetune(vit, { strategy: 'full', classes: 10, newHead: false });
    expect(vit.head).toBe(head);
  });

  it('rejects unknown strategies and options meant for another strategy', () => {
    const vit = new zg.VisionTransformer(tiny);
    expect(() => prepareFinetune(vit, { strategy: 'bitfit' as 'full', classes: 10 })).toThrow(/unknown fine-tuning strategy 'bitfit'; expected one of full, head, lora/);
    expect(() => prepareFinetune(vit, { strategy: 'head', classes: 10, backboneLrScale: 0.1 })).toThrow(/backboneLrScale applies to the full strategy only/);
    expect(() => prepareFinetune(vit, { strategy: 'full', classes: 10, lora: { rank: 4 } })).toThrow(/lora options apply to the lora strategy only/);
    expect(() => prepareFinetune(vit, { strategy: 'full', classes: 0 })).toThrow(/classes must be a positive integer/);
  });
});

describe('loadPretrained', () => {
  it('loads everything but the head by default, so a 10-class checkpoint fits a 3-class model', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(5);
    const pretrained = new zg.VisionTransformer({ ...tiny, numClasses: 10 });
    const model = new zg.VisionTransformer({ ...tiny, numClasses: 3 });
    const head = Array.from((model.head.weight as zg.Tensor).values());
    loadPretrained(model, pretrained.stateDict());
    expect(Array.from(model.posEmbed.values())).toEqual(Array.from(pretrained.posEmbed.values()));
    expect(Array.from((model.head.weight as zg.Tensor).values())).toEqual(head);
    zg.scope(() => {
      const x = zg.randn([2, 1, 28, 28]);
      expect(Array.from(model.features(x).values())).toEqual(Array.from(pretrained.features(x).values()));
    });
    expect(() => loadPretrained(model, pretrained.stateDict(), { includeHead: true })).toThrow(/'head\.weight' has shape \[16, 10\], the model expects \[16, 3\]/);
  });

  it('names the mismatch when the checkpoint comes from another architecture', () => {
    zg.manualSeed(6);
    const model = new zg.VisionTransformer(tiny);
    expect(() => loadPretrained(model, new zg.ResNet({ widths: [4], blocksPerStage: 1 }).stateDict()))
      .toThrow(/checkpoint does not fit this VisionTransformer \(type="VisionTransformer", imageSize=28, .*\); was it saved from another architecture\? loadStateDict: missing tensors: posEmbed, clsToken, .*unexpected tensors: stem\.weight/);
    expect(() => loadPretrained(model, new zg.VisionTransformer({ ...tiny, depth: 1 }).stateDict())).toThrow(/missing tensors: blocks\.1\.norm1\.weight/);
  });
});
