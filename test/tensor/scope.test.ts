// Memory scopes: temporaries are freed when a scope ends; returned and kept tensors survive.
import { beforeEach, describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';

let backend: zg.CpuBackend;
beforeEach(() => {
  backend = new zg.CpuBackend();
  zg.setBackend(backend);
});

describe('scope', () => {
  it('frees temporaries and keeps the returned tensor', () => {
    const before = backend.memoryInUse();
    const result = zg.scope(() => {
      const a = zg.ones([100]);
      const b = a.mul(2).add(1);
      return b.sum();
    });
    expect(result.item()).toBe(300);
    expect(backend.memoryInUse() - before).toBe(8); // only the 1-element result
  });

  it('keeps tensors marked keep() and leaf gradients', () => {
    const w = zg.tensor([1, 2, 3], { requiresGrad: true }).keep();
    const before = backend.memoryInUse();
    zg.scope(() => {
      w.mul(w).sum().backward();
    });
    expect(w.grad?.toArray()).toEqual([2, 4, 6]);
    expect(backend.memoryInUse() - before).toBe(3 * 8); // the gradient only
  });

  it('disposed tensors refuse use with a clear message', () => {
    let escaped: zg.Tensor | null = null;
    zg.scope(() => {
      escaped = zg.ones([2]);
    });
    expect(() => (escaped as unknown as zg.Tensor).sum()).toThrow(/was disposed/);
  });

  it('memory stays flat over many training-like steps', () => {
    const w = zg.randn([8, 4]).keep();
    w.requiresGrad = true;
    const x = zg.randn([16, 8]).keep();
    const optimizer = new zg.SGD([w], { lr: 0.01, momentum: 0.9 });
    const step = () => zg.scope(() => {
      optimizer.zeroGrad();
      x.matmul(w).relu().square().mean().backward();
      optimizer.step();
    });
    step();
    const after1 = backend.memoryInUse();
    for (let i = 0; i < 200; i++) step();
    expect(backend.memoryInUse()).toBe(after1);
  });

  it('frees everything when fn throws', () => {
    const before = backend.memoryInUse();
    expect(() => zg.scope(() => {
      zg.ones([50]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(backend.memoryInUse()).toBe(before);
  });

  it('reshape views share memory and survive the original being freed', () => {
    const view = zg.scope(() => zg.arange(6).reshape([2, 3]));
    expect(view.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });
});
