// BYOL: the target starts as a copy of the online backbone and projector, gets no gradient, follows
// them by the EMA with the cosine momentum schedule, and one step (with its target update) lowers the
// loss on the same views of a micro ResNet.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { ByolObjective, createObjective } from '../../src/finetune/index.js';

function squares(seed: number, count = 6): zg.Tensor {
  const rng = new zg.Random(seed);
  const pixels = new Float32Array(count * 784);
  for (let n = 0; n < count; n++) {
    const [x0, y0, size] = [3 + rng.int(14), 3 + rng.int(14), 4 + rng.int(8)];
    for (let y = y0; y < Math.min(28, y0 + size); y++) for (let x = x0; x < Math.min(28, x0 + size); x++) pixels[n * 784 + y * 28 + x] = 1;
  }
  return zg.tensor(pixels, { shape: [count, 1, 28, 28] });
}

const values = (t: zg.Tensor): number[] => Array.from(t.values());

describe('BYOL objective', () => {
  it('starts its target as a frozen copy and moves it by target <- m target + (1 - m) online, m from 0.99 to 1 on a cosine', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    const byol = new ByolObjective(net, { projectionDim: 8, hiddenDim: 16 });
    expect(byol.targetBackbone).not.toBe(net);
    net.namedParameters().forEach(([name, p]) => expect(values(byol.targetBackbone.namedParameters().find(([n]) => n === name)?.[1] as zg.Tensor), name).toEqual(values(p)));
    expect(byol.targetBackbone.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(byol.targetProjector.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(byol.momentumAt(0, 100)).toBeCloseTo(0.99, 12);
    expect(byol.momentumAt(50, 100)).toBeCloseTo(0.995, 12);
    expect(byol.momentumAt(100, 100)).toBe(1);
    const online = net.parameters()[0];
    const target = byol.targetBackbone.parameters()[0];
    const before = values(target);
    zg.assign(online, zg.addScalar(online, 1));
    byol.afterStep(0, 100); // m = 0.99: the target moves 1% of the way
    values(target).forEach((v, i) => expect(v).toBeCloseTo(before[i] + 0.01, 12));
  });

  it('one Adam step and its target update lower the loss on the same views; the target gets no gradient', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(2);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    net.train();
    const objective = createObjective('byol', net, { byol: { seed: 3, projectionDim: 16, hiddenDim: 32 } });
    expect(objective).toBeInstanceOf(ByolObjective);
    const byol = objective as ByolObjective;
    byol.head.train();
    const optimizer = new zg.Adam([...net.parameters(), ...byol.head.parameters()], { lr: 1e-3 });
    const images = squares(4).keep();
    const state = byol.rng.getState();
    const lossOnSameViews = (): number => {
      byol.rng.setState(state);
      return zg.scope(() => byol.loss(net, { images }).item());
    };
    const before = lossOnSameViews();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(4);
    zg.scope(() => {
      optimizer.zeroGrad();
      byol.rng.setState(state);
      byol.loss(net, { images }).backward();
      for (const p of [...byol.targetBackbone.parameters(), ...byol.targetProjector.parameters()]) expect(p.grad).toBeNull();
      expect(byol.predictor.parameters().every((p) => p.grad !== null)).toBe(true);
      optimizer.step();
    });
    byol.afterStep(1, 10);
    expect(lossOnSameViews()).toBeLessThan(before);
    expect(() => byol.loss(new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 }), { images })).toThrow(/the backbone the objective was built for/);
    expect(() => new ByolObjective(net, { momentum: 1 })).toThrow(/momentum must be in \[0, 1\), got 1/);
  });
});
