// LoRA on Conv2D: the kernel's update is B·A reshaped (PEFT/loralib), B = 0 leaves a ResNet unchanged,
// gradients of A and B against finite differences, merging folds the update into the kernel (same
// outputs, plain Conv2D again), configs and state dicts round-trip, and the default targets of a ResNet.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { gradcheckParameters } from '../helpers/gradcheck.js';

const micro: zg.ResNetOptions = { imageSize: 8, widths: [3, 4], blocksPerStage: 1, numClasses: 3 };

function values(t: zg.Tensor): number[] {
  return Array.from(t.values());
}

function randomizeB(model: zg.Module): void {
  for (const [, layer] of zg.loraLayers(model)) zg.assign(layer.loraB, zg.mulScalar(zg.randn(layer.loraB.shape), 0.3));
}

describe('LoraConv2D', () => {
  it('adds scale·reshape(B·A) to the kernel: the same output as a Conv2D holding W + scale·B·A', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(0);
    const base = new zg.Conv2D({ filters: 5, kernelSize: 3, padding: 1, stride: 2, inChannels: 2 });
    const lora = new zg.LoraConv2D(base, { rank: 2, alpha: 6 });
    expect(lora.loraA.shape).toEqual([2, 2 * 3 * 3]);
    expect(lora.loraB.shape).toEqual([5, 2]);
    expect(lora.scale).toBe(3);
    const x = zg.randn([2, 2, 7, 7]).keep();
    expect(zg.scope(() => values(lora.forward(x)))).toEqual(zg.scope(() => values(base.forward(x)))); // B = 0
    zg.assign(lora.loraB, zg.randn([5, 2]));
    // The update by hand: W[o, c, i, j] + 3 * sum_r B[o, r] A[r, (c, i, j)].
    const a = values(lora.loraA);
    const b = values(lora.loraB);
    const w = values(base.weight as zg.Tensor).map((v, index) => {
      const o = Math.floor(index / 18);
      const col = index % 18;
      return v + 3 * (b[o * 2] * a[col] + b[o * 2 + 1] * a[18 + col]);
    });
    const reference = new zg.Conv2D({ filters: 5, kernelSize: 3, padding: 1, stride: 2, inChannels: 2 });
    zg.assign(reference.weight as zg.Tensor, zg.tensor(Float64Array.from(w), { shape: [5, 2, 3, 3] }));
    zg.assign(reference.bias as zg.Tensor, base.bias as zg.Tensor);
    const got = zg.scope(() => values(lora.forward(x)));
    const want = zg.scope(() => values(reference.forward(x)));
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-10));
  });

  it('gradients of loraA and loraB in a ResNet (batch norm in training mode) match finite differences (float64)', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const net = new zg.ResNet(micro);
    net.train();
    zg.enableLora(net, { rank: 2, alpha: 4, seed: 2, trainable: 'head' });
    randomizeB(net); // with B = 0, A gets a zero gradient: check both non-trivially
    const images = zg.randn([3, 1, 8, 8]).keep();
    const labels = zg.tensor(Int32Array.from([0, 1, 2]), { dtype: 'int32' }).keep();
    const params = net.namedParameters().filter(([name]) => name.includes('lora'));
    expect(params.map(([n]) => n)).toEqual([
      'stages.0.0.conv1.loraA', 'stages.0.0.conv1.loraB', 'stages.0.0.conv2.loraA', 'stages.0.0.conv2.loraB',
      'stages.1.0.conv1.loraA', 'stages.1.0.conv1.loraB', 'stages.1.0.conv2.loraA', 'stages.1.0.conv2.loraB',
    ]);
    const checked = gradcheckParameters(params, () => net.forward(images).crossEntropy(labels), { samples: 5 });
    expect(checked).toBeGreaterThanOrEqual(8 * 5);
  });

  it('targets the residual blocks\' 3x3 convolutions of a ResNet by default, not the stem or the 1x1 shortcuts', () => {
    zg.manualSeed(2);
    const net = new zg.ResNet(micro);
    expect(zg.defaultLoraTargets(net)).toBe('stages.*.conv1|stages.*.conv2');
    const report = zg.enableLora(net, { rank: 2, trainable: 'head' });
    expect(report.layers).toEqual(['stages.0.0.conv1', 'stages.0.0.conv2', 'stages.1.0.conv1', 'stages.1.0.conv2']);
    expect(net.namedModules().find(([n]) => n === 'stages.1.0.shortcutConv')?.[1]).not.toBeInstanceOf(zg.LoraConv2D);
    // A (2, Cin·9) and B (Cout, 2) per layer (Cin -> Cout: 3 -> 3, 3 -> 3, 3 -> 4, 4 -> 4), plus the head (4 -> 3).
    expect(report.trainable).toBe((2 * 27 + 3 * 2) + (2 * 27 + 3 * 2) + (2 * 27 + 4 * 2) + (2 * 36 + 4 * 2) + (4 * 3 + 3));
    expect(zg.defaultLoraTargets(new zg.VisionTransformer({ dim: 16, depth: 1, heads: 2, mlpRatio: 2 }))).toBe('*.attn.q|*.attn.v');
  });

  it('trains only the adapters and head; merging gives the same outputs with plain Conv2D layers, loadable into a fresh ResNet', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(3);
    const net = new zg.ResNet(micro);
    const x = zg.randn([4, 1, 8, 8]).keep();
    const labels = zg.tensor(Int32Array.from([0, 1, 2, 0]), { dtype: 'int32' }).keep();
    zg.enableLora(net, { rank: 2, alpha: 4, trainable: 'head', seed: 1 });
    const frozen = net.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n, p]) => [n, values(p)] as const);
    const optimizer = new zg.Adam(net.trainableParameters(), { lr: 0.01 });
    net.train();
    for (let s = 0; s < 4; s++) {
      zg.scope(() => {
        optimizer.zeroGrad();
        net.forward(x).crossEntropy(labels).backward();
        optimizer.step();
      });
    }
    const byName = new Map(net.namedParameters());
    for (const [name, before] of frozen) expect(values(byName.get(name) as zg.Tensor), name).toEqual(before);
    net.eval();
    const unmerged = zg.scope(() => values(net.forward(x)));
    expect(zg.mergeLora(net)).toEqual(['stages.0.0.conv1', 'stages.0.0.conv2', 'stages.1.0.conv1', 'stages.1.0.conv2']);
    expect(net.namedModules().some(([, m]) => m instanceof zg.LoraConv2D)).toBe(false);
    const merged = zg.scope(() => values(net.forward(x)));
    merged.forEach((m, i) => expect(Math.abs(m - unmerged[i])).toBeLessThan(1e-10));
    const fresh = zg.layerFromConfig(net.config());
    fresh.loadStateDict(net.stateDict());
    fresh.eval();
    expect(zg.scope(() => values(fresh.forward(x)))).toEqual(merged);
  });

  it('round-trips an adapted model through its JSON config and state dict', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const model = new zg.Sequential([new zg.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }), new zg.MaxPool2D(), new zg.Flatten(), new zg.Dense({ units: 3 })], { inputShape: [2, 6, 6] });
    zg.enableLora(model, { rank: 2, targets: '0|3' });
    expect(model.layers[0]).toBeInstanceOf(zg.LoraConv2D);
    expect(model.layers[3]).toBeInstanceOf(zg.LoraDense);
    randomizeB(model);
    const config = JSON.parse(JSON.stringify(model.config())) as zg.LayerConfig;
    expect((config.layers as zg.LayerConfig[])[0]).toMatchObject({ type: 'LoraConv2D', rank: 2, alpha: 2, inChannels: 2, filters: 4 });
    const rebuilt = zg.layerFromConfig(config);
    rebuilt.loadStateDict(model.stateDict());
    zg.scope(() => {
      const x = zg.randn([2, 2, 6, 6]);
      expect(values(rebuilt.forward(x))).toEqual(values(model.forward(x)));
    });
  });

  it('says when the rank does not fit a convolution', () => {
    zg.manualSeed(5);
    const net = new zg.ResNet(micro);
    expect(() => zg.enableLora(net, { rank: 4, targets: 'stages.0.0.conv1' })).toThrow(/rank 4 is larger than layer 'stages\.0\.0\.conv1' allows: min\(in 3x3x3 = 27, out 3\) = 3/);
    expect(zg.loraLayers(net)).toEqual([]);
  });
});
