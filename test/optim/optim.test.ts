// Optimizers beyond the PyTorch goldens: Nesterov, weight decay, param groups, state round
// trip, schedules and gradient clipping.
import { beforeEach, describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';

beforeEach(() => zg.setBackend(new zg.CpuBackend()));

function param(values: number[]): zg.Tensor {
  const p = zg.tensor(values).keep();
  p.requiresGrad = true;
  return p;
}

describe('optimizers', () => {
  it('SGD with Nesterov momentum and weight decay follows the formula', () => {
    const p = param([1]);
    const opt = new zg.SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.5 });
    p.mul(p).sum().backward(); // grad 2
    opt.step();
    // g = 2 + 0.5*1 = 2.5; v = 2.5; p -= 0.1 * (g + 0.9 v) = 0.1 * 4.75
    expect(p.item()).toBeCloseTo(1 - 0.475, 12);
  });

  it('param groups scale the learning rate', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new zg.SGD([{ params: [a] }, { params: [b], lrScale: 0.1 }], { lr: 1 });
    a.add(b).sum().backward();
    opt.step();
    expect(a.item()).toBeCloseTo(0, 12);
    expect(b.item()).toBeCloseTo(0.9, 12);
  });

  it('frozen parameters do not move', () => {
    const a = param([1, 2]);
    const frozen = param([3, 4]);
    frozen.requiresGrad = false;
    const opt = new zg.Adam([a, frozen], { lr: 0.1 });
    a.mul(frozen).sum().backward();
    opt.step();
    expect(frozen.toArray()).toEqual([3, 4]);
    expect(a.toArray()).not.toEqual([1, 2]);
  });

  it('state dict round trip continues exactly', () => {
    const run = (resumeAfter: number | null) => {
      const p = param([0.5, -1.5]);
      let opt = new zg.Adam([p], { lr: 0.05 });
      for (let step = 0; step < 6; step++) {
        if (step === resumeAfter) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict())) as zg.OptimizerState;
          opt = new zg.Adam([p], { lr: 0.05 });
          opt.loadStateDict(saved);
        }
        opt.zeroGrad();
        p.square().sum().backward();
        opt.step();
      }
      return p.toArray();
    };
    expect(run(3)).toEqual(run(null));
  });

  it('rejects state from another optimizer', () => {
    const p = param([1]);
    const adam = new zg.Adam([p]);
    expect(() => new zg.SGD([p]).loadStateDict(adam.stateDict())).toThrow(/state is for Adam, this optimizer is SGD/);
  });
});

describe('schedules', () => {
  it('step, cosine with warm-up, and one-cycle', () => {
    const step = { type: 'step', stepSize: 10, gamma: 0.5 } as const;
    expect(zg.learningRateAt(step, 1, 9, 100)).toBe(1);
    expect(zg.learningRateAt(step, 1, 10, 100)).toBe(0.5);
    const cosine = { type: 'cosine', warmupSteps: 10 } as const;
    expect(zg.learningRateAt(cosine, 1, 0, 110)).toBeCloseTo(0.1, 12);
    expect(zg.learningRateAt(cosine, 1, 10, 110)).toBeCloseTo(1, 12);
    expect(zg.learningRateAt(cosine, 1, 60, 110)).toBeCloseTo(0.5, 12);
    expect(zg.learningRateAt(cosine, 1, 110, 110)).toBeCloseTo(0, 12);
    const oneCycle = { type: 'onecycle', maxLr: 1, pctStart: 0.25 } as const;
    expect(zg.learningRateAt(oneCycle, 1, 0, 100)).toBeCloseTo(0.04, 12);
    expect(zg.learningRateAt(oneCycle, 1, 25, 100)).toBeCloseTo(1, 12);
    expect(zg.learningRateAt(oneCycle, 1, 100, 100)).toBeLessThan(1e-5);
  });
});

describe('clipGradNorm', () => {
  it('scales gradients to the maximum norm and returns the original norm', () => {
    const p = param([3, 4]);
    p.mul(zg.tensor([3, 4])).sum().backward(); // grad = [3, 4], norm 5
    const norm = zg.clipGradNorm([p], 1);
    expect(norm).toBeCloseTo(5, 12);
    const g = (p.grad as zg.Tensor).values();
    expect(Math.hypot(g[0], g[1])).toBeCloseTo(1, 5);
  });
});
