// SimSiam: the loss by hand (aligned -1, orthogonal 0), no gradient through the stop-gradient side,
// gradients against finite differences, one Adam step on a micro ResNet lowers the loss on the same
// views, and createObjective builds it with its heads.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { createObjective, SimSiamObjective, simSiamLoss } from '../../src/finetune/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

/** `count` 28x28 images of a bright square at a seeded place. */
function squares(seed: number, count = 6): zg.Tensor {
  const rng = new zg.Random(seed);
  const pixels = new Float32Array(count * 784);
  for (let n = 0; n < count; n++) {
    const [x0, y0, size] = [3 + rng.int(14), 3 + rng.int(14), 4 + rng.int(8)];
    for (let y = y0; y < Math.min(28, y0 + size); y++) for (let x = x0; x < Math.min(28, x0 + size); x++) pixels[n * 784 + y * 28 + x] = 1;
  }
  return zg.tensor(pixels, { shape: [count, 1, 28, 28] });
}

describe('simSiamLoss', () => {
  it('is -1 when every prediction points along its partner view\'s projection and 0 when orthogonal', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.scope(() => {
      const z = zg.tensor([[1, 0], [0, 2], [3, 0], [0, 1]]); // views of image 0: rows 0 and 2; image 1: rows 1 and 3
      expect(simSiamLoss(zg.tensor([[5, 0], [0, 1], [1, 0], [0, 7]]), z).item()).toBeCloseTo(-1, 10); // up to the 1e-12 guard inside the norm
      expect(simSiamLoss(zg.tensor([[0, 5], [1, 0], [0, 1], [7, 0]]), z).item()).toBeCloseTo(0, 10);
      expect(simSiamLoss(zg.tensor([[1, 1], [0, 1], [1, 0], [0, 1]]), z).item()).toBeCloseTo(-(Math.SQRT1_2 + 3) / 4, 10);
    });
    expect(() => simSiamLoss(zg.zeros([3, 2]), zg.zeros([3, 2]))).toThrow(/expects \(2B, dim\) predictions/);
  });

  it('sends no gradient through the projections (stop-gradient) and the predictions\' gradient matches finite differences', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.scope(() => {
      const p = zg.tensor(Array.from(zg.randn([4, 3]).values()), { shape: [4, 3], requiresGrad: true });
      const z = zg.tensor(Array.from(zg.randn([4, 3]).values()), { shape: [4, 3], requiresGrad: true });
      simSiamLoss(p, z).backward();
      expect(p.grad).not.toBeNull();
      expect(z.grad === null || Array.from(z.grad.values()).every((g) => g === 0)).toBe(true);
    });
    const z = Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    gradcheck((p) => simSiamLoss(p, zg.tensor(z, { shape: [4, 3] })), [{ shape: [4, 3] }]);
  });
});

describe('SimSiam objective', () => {
  it('one Adam step lowers the loss on the same views (micro ResNet, batch norm in training mode)', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    net.train();
    const objective = createObjective('simsiam', net, { simsiam: { seed: 2, projectionDim: 16 } });
    expect(objective).toBeInstanceOf(SimSiamObjective);
    expect(objective.config()).toMatchObject({ objective: 'simsiam', projectionDim: 16, hiddenDim: 128, predictorDim: 4 });
    const head = objective.head as zg.Module;
    head.train();
    const optimizer = new zg.Adam([...net.parameters(), ...head.parameters()], { lr: 1e-3 });
    const images = squares(3).keep();
    const state = objective.rng?.getState();
    const lossOnSameViews = (): number => {
      if (state) objective.rng?.setState(state);
      return zg.scope(() => objective.loss(net, { images }).item());
    };
    const before = lossOnSameViews();
    expect(before).toBeGreaterThan(-1);
    expect(before).toBeLessThan(1);
    zg.scope(() => {
      optimizer.zeroGrad();
      if (state) objective.rng?.setState(state);
      objective.loss(net, { images }).backward();
      for (const p of [...net.parameters().filter((q) => !net.head.parameters().includes(q)), ...head.parameters()]) expect(p.grad, 'every backbone and head parameter gets a gradient').not.toBeNull();
      optimizer.step();
    });
    expect(lossOnSameViews()).toBeLessThan(before);
  });

  it('needs two images per batch and positive widths', () => {
    zg.manualSeed(2);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    expect(() => new SimSiamObjective(net, { predictorDim: 0 })).toThrow(/predictorDim must be a positive integer, got 0/);
    expect(() => new SimSiamObjective(net).loss(net, { images: squares(1, 1) })).toThrow(/needs at least 2 images per batch/);
  });
});
