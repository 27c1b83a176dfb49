// Finite-difference gradient checks (float64, reference backend) of whole micro models: a ViT with two
// blocks (both poolings), a ResNet with an identity and a projection block (batch norm in training
// mode), and the MAE objective (encoder on the visible patches + decoder). Backbone tests elsewhere
// only check that every parameter gets a gradient; these check its value.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { MaeObjective } from '../../src/finetune/mae.js';
import { gradcheckParameters } from '../helpers/gradcheck.js';

/** Two 8x8 images (or `count`) of seeded noise and their labels among 3 classes. */
function batch(count = 2): { images: zg.Tensor; labels: zg.Tensor } {
  const images = zg.randn([count, 1, 8, 8]).keep();
  const labels = zg.tensor(Int32Array.from({ length: count }, (_, i) => i % 3), { shape: [count], dtype: 'int32' }).keep();
  return { images, labels };
}

describe('gradients of micro models against finite differences (float64)', () => {
  for (const pool of ['cls', 'mean'] as const) {
    it(`VisionTransformer (2 blocks, 4 patches, pool ${pool}): every parameter, cross-entropy`, () => {
      zg.setBackend(new zg.CpuBackend());
      zg.manualSeed(3);
      const vit = new zg.VisionTransformer({ imageSize: 8, patchSize: 4, dim: 8, depth: 2, heads: 2, mlpRatio: 2, pool, numClasses: 3 });
      const { images, labels } = batch();
      const params = vit.namedParameters();
      expect(params.some(([name]) => name.startsWith('blocks.1.attn'))).toBe(true);
      const checked = gradcheckParameters(params, () => vit.forward(images).crossEntropy(labels), { samples: 4 });
      expect(checked).toBeGreaterThan(4 * 20);
    });
  }

  it('ResNet (an identity block and a strided projection block, batch norm in training mode): every parameter', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const net = new zg.ResNet({ imageSize: 8, widths: [2, 3], blocksPerStage: 1, numClasses: 3 });
    net.train();
    const { images, labels } = batch(4);
    const params = net.namedParameters();
    expect(params.some(([name]) => /proj/i.test(name) || /shortcut/i.test(name))).toBe(true);
    const checked = gradcheckParameters(params, () => net.forward(images).crossEntropy(labels), { samples: 5 });
    expect(checked).toBeGreaterThan(30);
  });

  it('MAE objective (same mask every evaluation): the encoder and decoder parameters it trains', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(5);
    const vit = new zg.VisionTransformer({ imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpRatio: 2, pool: 'mean', numClasses: 3 });
    const objective = new MaeObjective(vit, { maskRatio: 0.5, decoderDim: 8, decoderDepth: 1, decoderHeads: 2, seed: 2 });
    const { images, labels } = batch(3);
    const maskState = objective.rng.getState();
    const loss = (): zg.Tensor => {
      objective.rng.setState(maskState); // the same hidden patches for analytic and numeric gradients
      return objective.loss(vit, { images, labels });
    };
    // The classification head is not part of the MAE loss.
    const params = [...vit.namedParameters().filter(([name]) => !name.startsWith('head.')), ...objective.head.namedParameters().map(([n, p]) => [`decoder.${n}`, p] as const)];
    expect(params.some(([name]) => name.startsWith('decoder.'))).toBe(true);
    const checked = gradcheckParameters(params, loss, { samples: 4 });
    expect(checked).toBeGreaterThan(40);
  });
});
