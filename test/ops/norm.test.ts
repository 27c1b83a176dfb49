// Fused batch norm: finite-difference gradients (float64 reference backend), agreement with the composite of
// primitives it replaced (outputs, gradients, running statistics) on every backend, the fused ReLU against a separate
// relu, frozen parameters and errors.
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';

const stats = (channels: number) => [zg.zeros([channels]), zg.tensor(Array.from({ length: channels }, (_, i) => 0.5 + i))];

describe('batchNorm gradients (finite differences)', () => {
  const shapes = [[5, 3], [3, 2, 3, 5], [2, 3, 1, 1], [4, 1, 2, 3]];
  for (const shape of shapes) {
    const c = shape[1];
    it(`training, (${shape}) with weight and bias`, () => {
      gradcheck((x, w, b) => zg.batchNorm(x, w, b, ...stats(c) as [zg.Tensor, zg.Tensor], { training: true }),
        [{ shape }, { shape: [c] }, { shape: [c] }]);
    });
    it(`training, (${shape}) without affine, and with weight or bias alone`, () => {
      gradcheck((x) => zg.batchNorm(x, null, null, ...stats(c) as [zg.Tensor, zg.Tensor], { training: true, eps: 1e-3 }), [{ shape }]);
      gradcheck((x, w) => zg.batchNorm(x, w, null, ...stats(c) as [zg.Tensor, zg.Tensor], { training: true }), [{ shape }, { shape: [c] }]);
      gradcheck((x, b) => zg.batchNorm(x, null, b, ...stats(c) as [zg.Tensor, zg.Tensor], { training: true }), [{ shape }, { shape: [c] }]);
    });
    it(`with the fused ReLU, (${shape}) in training and inference`, () => {
      gradcheck((x, w, b) => zg.batchNorm(x, w, b, ...stats(c) as [zg.Tensor, zg.Tensor], { training: true, relu: true }),
        [{ shape }, { shape: [c] }, { shape: [c] }]);
      gradcheck((x, w, b) => zg.batchNorm(x, w, b, ...stats(c) as [zg.Tensor, zg.Tensor], { training: false, relu: true }),
        [{ shape }, { shape: [c] }, { shape: [c] }]);
    });
    it(`inference, (${shape}) with and without affine`, () => {
      gradcheck((x, w, b) => zg.batchNorm(x, w, b, ...stats(c) as [zg.Tensor, zg.Tensor], { training: false }),
        [{ shape }, { shape: [c] }, { shape: [c] }]);
      gradcheck((x) => zg.batchNorm(x, null, null, ...stats(c) as [zg.Tensor, zg.Tensor], { training: false }), [{ shape }]);
    });
  }
});

/** The composite batchNorm that the fused kernels replaced, kept as the reference. */
function compositeBatchNorm(x: zg.Tensor, weight: zg.Tensor | null, bias: zg.Tensor | null, runningMean: zg.Tensor,
  runningVar: zg.Tensor, training: boolean, momentum: number, eps: number): zg.Tensor {
  const channels = x.shape[1];
  const axes = x.rank === 2 ? [0] : [0, 2, 3];
  const statShape = x.rank === 2 ? [1, channels] : [1, channels, 1, 1];
  let centered: zg.Tensor;
  let inverseStd: zg.Tensor;
  if (training) {
    const count = x.size / channels;
    const batchMean = zg.mean(x, axes, { keepDims: true });
    centered = zg.sub(x, batchMean);
    const batchVar = zg.mean(zg.mul(centered, centered), axes, { keepDims: true });
    inverseStd = zg.rsqrt(zg.addScalar(batchVar, eps));
    zg.noGrad(() => {
      const newMean = zg.add(zg.affine(runningMean, 1 - momentum, 0), zg.affine(zg.reshape(batchMean, [channels]), momentum, 0));
      const unbiased = zg.affine(zg.reshape(batchVar, [channels]), count / (count - 1), 0);
      const newVar = zg.add(zg.affine(runningVar, 1 - momentum, 0), zg.affine(unbiased, momentum, 0));
      zg.assign(runningMean, newMean);
      zg.assign(runningVar, newVar);
    });
  } else {
    centered = zg.sub(x, zg.reshape(runningMean, statShape));
    inverseStd = zg.rsqrt(zg.addScalar(zg.reshape(runningVar, statShape), eps));
  }
  let y = zg.mul(centered, inverseStd);
  if (weight) y = zg.mul(y, zg.reshape(weight, statShape));
  if (bias) y = zg.add(y, zg.reshape(bias, statShape));
  return y;
}

function values(n: number, seed: number, offset = 0): number[] {
  const rng = new zg.Random(seed);
  return Array.from({ length: n }, () => offset + rng.normal());
}

interface Run { out: number[]; grads: number[][]; runningMean: number[]; runningVar: number[] }

/** Two training steps then one inference step, returning the last output, all gradients and the running statistics. */
function run(shape: number[], affine: boolean, fused: boolean): Run {
  return zg.scope(() => {
    const c = shape[1];
    const size = shape.reduce((p, d) => p * d, 1);
    const x = zg.tensor(values(size, 1, 3), { shape, requiresGrad: true });
    const weight = affine ? zg.tensor(values(c, 2, 1), { requiresGrad: true }) : null;
    const bias = affine ? zg.tensor(values(c, 3), { requiresGrad: true }) : null;
    const runningMean = zg.zeros([c]);
    const runningVar = zg.ones([c]);
    const g = zg.tensor(values(size, 4), { shape });
    const bn = (input: zg.Tensor, training: boolean) => (fused
      ? zg.batchNorm(input, weight, bias, runningMean, runningVar, { training, momentum: 0.3, eps: 1e-4 })
      : compositeBatchNorm(input, weight, bias, runningMean, runningVar, training, 0.3, 1e-4));
    bn(x, true).mul(g).sum().backward();
    bn(x.mul(2).add(1), true).mul(g).sum().backward();
    const out = bn(x, false);
    out.mul(g).sum().backward();
    const params = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    return {
      out: Array.from(out.values()), grads: params.map((p) => Array.from((p.grad as zg.Tensor).values())),
      runningMean: Array.from(runningMean.values()), runningVar: Array.from(runningVar.values()),
    };
  });
}

function expectNear(actual: number[], expected: number[], tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tolerance * Math.max(1, Math.abs(expected[i]))) {
      expect.fail(`${what}[${i}]: fused ${actual[i]} vs composite ${expected[i]}`);
    }
  }
}

for (const backendCase of backendCases) {
  describe(`batchNorm against the composite of primitives on ${backendCase.name}`, () => {
    for (const [shape, affine] of [[[6, 5], true], [[7, 3, 1, 1], false], [[4, 9, 5, 3], true], [[2, 1, 7, 7], false]] as const) {
      it(`(${shape}) ${affine ? 'with' : 'without'} affine: outputs, gradients and running statistics`, async () => {
        zg.setBackend(await backendCase.make());
        const fused = run([...shape], affine, true);
        const composite = run([...shape], affine, false);
        const tolerance = backendCase.tolerance * 5;
        expectNear(fused.out, composite.out, tolerance, 'output');
        fused.grads.forEach((g, k) => expectNear(g, composite.grads[k], tolerance, `gradient ${k}`));
        expectNear(fused.runningMean, composite.runningMean, tolerance, 'running mean');
        expectNear(fused.runningVar, composite.runningVar, tolerance, 'running var');
      });
    }
  });
}

for (const backendCase of backendCases) {
  describe(`batchNorm with the fused ReLU against batchNorm then relu on ${backendCase.name}`, () => {
    for (const [shape, training] of [[[6, 5], true], [[4, 9, 5, 3], true], [[3, 6, 4, 4], false]] as const) {
      it(`(${shape}) ${training ? 'training' : 'inference'}: outputs and gradients`, async () => {
        zg.setBackend(await backendCase.make());
        const c = shape[1];
        const size = shape.reduce((p, d) => p * d, 1);
        const result = (fused: boolean) => zg.scope(() => {
          const x = zg.tensor(values(size, 6), { shape: [...shape], requiresGrad: true });
          const weight = zg.tensor(values(c, 7, 1), { requiresGrad: true });
          const bias = zg.tensor(values(c, 8), { requiresGrad: true });
          const [runningMean, runningVar] = stats(c);
          const options = { training, momentum: 0.3 };
          const y = fused
            ? zg.batchNorm(x, weight, bias, runningMean, runningVar, { ...options, relu: true })
            : zg.relu(zg.batchNorm(x, weight, bias, runningMean, runningVar, options));
          y.mul(zg.tensor(values(size, 9), { shape: [...shape] })).sum().backward();
          return [y, x.grad, weight.grad, bias.grad].map((t) => Array.from((t as zg.Tensor).values()));
        });
        const [fused, separate] = [result(true), result(false)];
        if (!fused[0].some((v) => v === 0) || !fused[0].some((v) => v > 0)) expect.fail('the ReLU should clamp some outputs and pass others');
        ['output', 'dx', 'dweight', 'dbias'].forEach((what, k) => expectNear(fused[k], separate[k], backendCase.tolerance * 5, what));
      });
    }
  });
}

describe('batchNorm autograd bookkeeping and errors', () => {
  it('running statistics follow PyTorch (momentum, unbiased variance)', () => {
    zg.setBackend(new zg.CpuBackend());
    const [runningMean, runningVar] = [zg.tensor([1, 2]), zg.tensor([3, 4])];
    zg.batchNorm(zg.tensor([[1, 10], [3, 30], [5, 50]]), null, null, runningMean, runningVar, { training: true, momentum: 0.25 });
    // Batch means 3 and 30; unbiased variances 4 and 400.
    expectNear(Array.from(runningMean.values()), [0.75 + 0.75, 1.5 + 7.5], 1e-12, 'running mean');
    expectNear(Array.from(runningVar.values()), [2.25 + 1, 3 + 100], 1e-12, 'running var');
  });

  it('frozen parameters get no gradient and do not change the others', () => {
    zg.setBackend(new zg.CpuBackend());
    const grads = (freeze: 'none' | 'weight' | 'x') => zg.scope(() => {
      const x = zg.tensor(values(24, 5), { shape: [4, 3, 2, 1], requiresGrad: freeze !== 'x' });
      const weight = zg.tensor(values(3, 6, 1), { requiresGrad: freeze !== 'weight' });
      const bias = zg.tensor(values(3, 7), { requiresGrad: true });
      const [m, v] = [zg.zeros([3]), zg.ones([3])];
      zg.batchNorm(x, weight, bias, m, v, { training: true }).mul(zg.tensor(values(24, 8), { shape: [4, 3, 2, 1] })).sum().backward();
      return [x.grad, weight.grad, bias.grad].map((g) => (g ? Array.from(g.values()) : null));
    });
    const all = grads('none');
    const frozenWeight = grads('weight');
    const frozenX = grads('x');
    expect(frozenWeight[1]).toBeNull();
    expectNear(frozenWeight[0] as number[], all[0] as number[], 1e-12, 'x with frozen weight');
    expectNear(frozenWeight[2] as number[], all[2] as number[], 1e-12, 'bias with frozen weight');
    expect(frozenX[0]).toBeNull();
    expectNear(frozenX[1] as number[], all[1] as number[], 1e-12, 'weight with a constant input');
  });

  it('an inference-mode backward uses the running statistics of its forward, not later ones', () => {
    zg.setBackend(new zg.CpuBackend());
    const weightGrad = (trainInBetween: boolean) => zg.scope(() => {
      const weight = zg.tensor([1.5, -0.5], { requiresGrad: true });
      const [m, v] = [zg.tensor([0.3, -0.2]), zg.tensor([2, 0.5])];
      const out = zg.batchNorm(zg.tensor(values(8, 10), { shape: [4, 2] }), weight, null, m, v, { training: false });
      if (trainInBetween) zg.batchNorm(zg.tensor(values(8, 11, 5), { shape: [4, 2] }), null, null, m, v, { training: true });
      out.mul(zg.tensor(values(8, 12), { shape: [4, 2] })).sum().backward();
      return Array.from((weight.grad as zg.Tensor).values());
    });
    expectNear(weightGrad(true), weightGrad(false), 1e-12, 'weight gradient');
  });

  it('records nothing under noGrad', () => {
    zg.setBackend(new zg.CpuBackend());
    const x = zg.tensor(values(6, 9), { shape: [3, 2], requiresGrad: true });
    const out = zg.noGrad(() => zg.batchNorm(x, null, null, zg.zeros([2]), zg.ones([2]), { training: true }));
    expect(out.requiresGrad).toBe(false);
    expect(out.node).toBeNull();
  });

  it('names what is wrong', () => {
    zg.setBackend(new zg.CpuBackend());
    const [m, v] = [zg.zeros([3]), zg.ones([3])];
    expect(() => zg.batchNorm(zg.zeros([2, 3, 4]), null, null, m, v, { training: true })).toThrow(/expected \(N, C\) or \(N, C, H, W\)/);
    expect(() => zg.batchNorm(zg.zeros([2, 4]), null, null, m, v, { training: true })).toThrow(/running statistics have 3 entries, input has 4 channels/);
    expect(() => zg.batchNorm(zg.zeros([2, 3]), zg.ones([2]), null, m, v, { training: true })).toThrow(/weight has 2 entries, input has 3 channels/);
    expect(() => zg.batchNorm(zg.zeros([1, 3]), null, null, m, v, { training: true })).toThrow(/training needs more than one value per channel/);
    expect(zg.batchNorm(zg.zeros([1, 3]), null, null, m, v, { training: false }).shape).toEqual([1, 3]);
  });
});
