// Pretraining objectives on tiny models: masks, shapes, determinism with a seed, the NT-Xent value
// by hand, and the loss going down over a few steps on a tiny batch.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';
import { ContrastiveObjective, createObjective, MaeObjective, ntXent, randomPatchMask, SupervisedObjective, type PretrainObjective } from '../../src/finetune/index.js';

const tinyVit: zg.VisionTransformerOptions = { dim: 16, depth: 1, heads: 2, mlpRatio: 2 };

/** Eight 28x28 images of random bright rectangles on a dark background, (8, 1, 28, 28). */
function rectangles(seed: number, count = 8): zg.Tensor {
  const rng = new zg.Random(seed);
  const pixels = new Float32Array(count * 784);
  for (let n = 0; n < count; n++) {
    for (let r = 0; r < 2; r++) {
      const [x0, y0] = [4 + rng.int(14), 4 + rng.int(14)];
      const [w, h] = [3 + rng.int(8), 3 + rng.int(8)];
      for (let y = y0; y < Math.min(28, y0 + h); y++) for (let x = x0; x < Math.min(28, x0 + w); x++) pixels[n * 784 + y * 28 + x] = 1;
    }
  }
  return zg.tensor(pixels, { shape: [count, 1, 28, 28] });
}

/** Losses of `steps` Adam steps on one batch for the backbone and the objective's head. */
function losses(backbone: zg.Backbone, objective: PretrainObjective, batch: { images: zg.Tensor; labels?: zg.Tensor }, steps: number, lr = 3e-3): number[] {
  const params = [...backbone.parameters(), ...(objective.head?.parameters() ?? [])];
  const optimizer = new zg.Adam(params, { lr });
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    out.push(zg.scope(() => {
      optimizer.zeroGrad();
      const loss = objective.loss(backbone, batch);
      expect(loss.shape).toEqual([]);
      loss.backward();
      optimizer.step();
      return loss.item();
    }));
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((p, x) => p + x, 0) / xs.length;

describe('randomPatchMask', () => {
  it('splits every example into keep visible and N - keep hidden patches, with restore as the inverse', () => {
    const mask = randomPatchMask(3, 16, 4, new zg.Random(1));
    expect(mask.visible).toHaveLength(12);
    expect(mask.hidden).toHaveLength(36);
    const rows = [...mask.visible, ...mask.hidden];
    expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: 48 }, (_, i) => i));
    for (let b = 0; b < 3; b++) for (const i of [...mask.visible.slice(b * 4, b * 4 + 4), ...mask.hidden.slice(b * 12, b * 12 + 12)]) expect(Math.floor(i / 16)).toBe(b);
    mask.restore.forEach((row, position) => expect(rows[row]).toBe(position));
    expect(randomPatchMask(3, 16, 4, new zg.Random(1))).toEqual(mask);
    expect(randomPatchMask(3, 16, 4, new zg.Random(2)).visible).not.toEqual(mask.visible);
  });
});

describe('MAE objective', () => {
  it('reconstructs hidden patches: scalar loss, gradients to encoder and decoder, same seed same losses', () => {
    zg.setBackend(new zg.CpuBackend());
    const run = () => {
      zg.manualSeed(0);
      const vit = new zg.VisionTransformer(tinyVit);
      const mae = new MaeObjective(vit, { seed: 5, decoderDim: 16, decoderHeads: 2 });
      expect(mae.visibleCount(16)).toBe(4);
      const images = rectangles(1);
      const first = zg.scope(() => {
        const loss = mae.loss(vit, { images });
        loss.backward();
        return loss.item();
      });
      for (const [name, p] of [...vit.namedParameters(), ...mae.head.namedParameters('decoder')]) {
        if (name.startsWith('head.')) continue; // the classifier head is not part of MAE
        expect(p.grad, name).not.toBeNull();
      }
      return [first, ...losses(vit, mae, { images }, 3)];
    };
    const a = run();
    expect(a.every(Number.isFinite)).toBe(true);
    expect(run()).toEqual(a);
  });

  it('loss decreases over a few steps on a tiny batch', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const vit = new zg.VisionTransformer(tinyVit);
    const mae = new MaeObjective(vit, { seed: 1, decoderDim: 16, decoderHeads: 2, maskRatio: 0.5, normalizePixels: false });
    const history = losses(vit, mae, { images: rectangles(2) }, 30, 1e-2);
    expect(mean(history.slice(-5))).toBeLessThan(0.6 * mean(history.slice(0, 5)));
  });

  it('gives the same loss and gradients on the wasm backend as on the reference', async () => {
    const run = async (backend: zg.Backend) => {
      zg.setBackend(backend);
      zg.manualSeed(7);
      const vit = new zg.VisionTransformer(tinyVit);
      const mae = new MaeObjective(vit, { seed: 3, decoderDim: 16, decoderHeads: 2 });
      return zg.scope(() => {
        const loss = mae.loss(vit, { images: rectangles(8, 4) });
        loss.backward();
        return [loss.item(), ...vit.parameters().filter((p) => p.grad).flatMap((p) => Array.from((p.grad as zg.Tensor).values()))];
      });
    };
    const reference = await run(new zg.CpuBackend());
    const wasm = await run(await backendCases[1].make());
    expect(wasm).toHaveLength(reference.length);
    reference.forEach((r, i) => expect(Math.abs(wasm[i] - r), `value ${i}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(r))));
  });

  it('needs a vision transformer and a mask ratio in (0, 1)', () => {
    zg.manualSeed(2);
    expect(() => new MaeObjective(new zg.ResNet({ widths: [4], blocksPerStage: 1 }))).toThrow(/mae objective needs a VisionTransformer backbone \(got ResNet\); use contrastive or supervised/);
    expect(() => new MaeObjective(new zg.VisionTransformer(tinyVit), { maskRatio: 1 })).toThrow(/maskRatio must be between 0 and 1/);
  });
});

describe('contrastive objective', () => {
  it('NT-Xent equals the hand-computed value for orthogonal pairs', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.scope(() => {
      // Views 0/2 are e1 (scaled), views 1/3 are e2: each row's partner has cosine 1, the others 0 and 0.
      const z = zg.tensor([[2, 0], [0, 1], [3, 0], [0, 5]]);
      const t = 0.5;
      expect(ntXent(z, t).item()).toBeCloseTo(-Math.log(Math.exp(1 / t) / (Math.exp(1 / t) + 2)), 12);
    });
    expect(() => ntXent(zg.zeros([3, 2]), 0.5)).toThrow(/expects \(2B, dim\) projections/);
  });

  it('makes two different seeded views per image and its loss decreases on a tiny batch', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(3);
    const vit = new zg.VisionTransformer({ ...tinyVit, pool: 'mean' });
    // Mild distortions: with the default strong ones a 16-wide one-block ViT needs far more than 25 steps.
    const augment = { translate: 1, rotate: 5, scale: 0.05, shear: 0, elastic: 0 };
    const objective = new ContrastiveObjective(vit, { seed: 4, projectionDim: 8, augment });
    const images = rectangles(5, 6);
    const views = zg.scope(() => Array.from(objective.views(images).values()));
    expect(views).toHaveLength(2 * 6 * 784);
    expect(views.slice(0, 784)).not.toEqual(views.slice(6 * 784, 7 * 784));
    expect(Array.from(new ContrastiveObjective(vit, { seed: 4, augment }).views(images).values())).toEqual(views);
    const history = losses(vit, objective, { images }, 25, 1e-3);
    expect(mean(history.slice(-5))).toBeLessThan(0.7 * mean(history.slice(0, 5)));
  });

  it('works on a ResNet backbone', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const net = new zg.ResNet({ widths: [4, 8], blocksPerStage: 1 });
    const objective = createObjective('contrastive', net, { contrastive: { projectionDim: 4 } });
    expect(objective.head?.parameters().length).toBe(4);
    expect(Number.isFinite(zg.scope(() => objective.loss(net, { images: rectangles(6, 4) }).item()))).toBe(true);
  });
});

describe('supervised objective and createObjective', () => {
  it('is the cross-entropy of the backbone logits and needs labels', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(5);
    const vit = new zg.VisionTransformer({ ...tinyVit, numClasses: 3 });
    const images = rectangles(7, 4);
    const labels = zg.tensor(Int32Array.from([0, 1, 2, 1]));
    const objective = createObjective('supervised', vit);
    expect(objective).toBeInstanceOf(SupervisedObjective);
    zg.scope(() => {
      expect(objective.loss(vit, { images, labels }).item()).toBe(vit.forward(images).crossEntropy(labels).item());
    });
    expect(() => objective.loss(vit, { images })).toThrow(/the batch has no labels/);
    expect(() => createObjective('dino' as 'mae', vit)).toThrow(/unknown pretraining objective 'dino'; expected one of mae, contrastive, supervised, simsiam, byol/);
    const history = losses(vit, objective, { images, labels }, 10, 1e-2);
    expect(history[9]).toBeLessThan(history[0]);
  });
});
