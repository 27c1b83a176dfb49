// Tensor creation, dtypes, shapes, errors that name the op and both shapes, and autograd basics.
import { beforeEach, describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';

beforeEach(() => zg.setBackend(new zg.CpuBackend()));

describe('creating tensors', () => {
  it('from nested arrays, typed arrays and constants', () => {
    const a = zg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const b = zg.tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(b.toArray()).toEqual([[1, 2], [3, 4]]);
    const labels = zg.tensor(new Int32Array([3, 1]));
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.data())).toEqual([3, 1]);
    expect(zg.zeros([2, 3]).sum().item()).toBe(0);
    expect(zg.full([4], 2.5).toArray()).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(zg.scalar(7).shape).toEqual([]);
    expect(zg.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(zg.tensor(5).item()).toBe(5);
  });

  it('rejects ragged arrays and wrong sizes with clear errors', () => {
    expect(() => zg.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => zg.tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/5 values do not fill shape \[2, 3\]/);
  });

  it('rank 0 to 5', () => {
    for (let rank = 0; rank <= 5; rank++) {
      const shape = Array.from({ length: rank }, (_, i) => i + 1);
      const t = zg.ones(shape);
      expect(t.shape).toEqual(shape);
      expect(t.sum().item()).toBe(shape.reduce((p, d) => p * d, 1));
    }
  });
});

describe('shape errors name the op and both shapes', () => {
  it('broadcasting', () => {
    expect(() => zg.tensor([[1, 2, 3]]).add(zg.tensor([1, 2]))).toThrow(/add: shapes \[1, 3\] and \[2\] cannot be broadcast/);
  });
  it('matmul', () => {
    expect(() => zg.zeros([2, 3]).matmul(zg.zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] @ \[4, 5\]/);
  });
  it('reshape, conv2d, crossEntropy', () => {
    expect(() => zg.zeros([2, 3]).reshape([4, 2])).toThrow(/reshape: cannot reshape \[2, 3\]/);
    expect(() => zg.conv2d(zg.zeros([1, 2, 5, 5]), zg.zeros([4, 3, 3, 3]))).toThrow(/conv2d: input \[1, 2, 5, 5\] does not match weight \[4, 3, 3, 3\]/);
    expect(() => zg.crossEntropy(zg.zeros([2, 3]), zg.tensor(new Int32Array([0, 5])))).toThrow(/target 5 at row 1 is outside 0..2/);
  });
});

describe('broadcasting and reductions', () => {
  it('computes NumPy-style results', () => {
    const a = zg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.add(zg.tensor([10, 20, 30])).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(a.mul(zg.tensor([[2], [3]])).toArray()).toEqual([[2, 4, 6], [12, 15, 18]]);
    expect(a.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(a.mean(1, { keepDims: true }).toArray()).toEqual([[2], [5]]);
    expect(a.max(1).toArray()).toEqual([3, 6]);
    expect(Array.from(zg.tensor([[1, 9, 3], [7, 2, 7]]).argmax(1).data())).toEqual([1, 0]);
  });
  it('matmul, transpose, slice, concat, pad, gather', () => {
    const a = zg.tensor([[1, 2], [3, 4]]);
    expect(a.matmul(a).toArray()).toEqual([[7, 10], [15, 22]]);
    expect(a.transpose().toArray()).toEqual([[1, 3], [2, 4]]);
    expect(zg.arange(10).reshape([2, 5]).slice([0, 1], [2, 2]).toArray()).toEqual([[1, 2], [6, 7]]);
    expect(zg.concat([a, a], 1).toArray()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(zg.tensor([1, 2]).pad([[1, 1]]).toArray()).toEqual([0, 1, 2, 0]);
    expect(a.gather(zg.tensor(new Int32Array([1, 1, 0])), 0).toArray()).toEqual([[3, 4], [3, 4], [1, 2]]);
  });
});

describe('autograd', () => {
  it('accumulates gradients across backward calls until zeroed', () => {
    const w = zg.tensor([1, 2, 3], { requiresGrad: true });
    w.mul(w).sum().backward();
    expect(w.grad?.toArray()).toEqual([2, 4, 6]);
    w.mul(2).sum().backward();
    expect(w.grad?.toArray()).toEqual([4, 6, 8]);
  });
  it('noGrad and detach cut the graph', () => {
    const w = zg.tensor([1, 2], { requiresGrad: true });
    const y = zg.noGrad(() => w.mul(3));
    expect(y.requiresGrad).toBe(false);
    const z = w.detach().mul(3);
    expect(z.requiresGrad).toBe(false);
    expect(() => z.sum().backward()).toThrow(/does not require a gradient/);
  });
  it('frozen parameters get no gradient', () => {
    const frozen = zg.tensor([1, 2]);
    const live = zg.tensor([3, 4], { requiresGrad: true });
    frozen.mul(live).sum().backward();
    expect(frozen.grad).toBeNull();
    expect(live.grad?.toArray()).toEqual([1, 2]);
  });
  it('a shared input used twice sums both paths', () => {
    const x = zg.tensor([2], { requiresGrad: true });
    x.mul(x).add(x).sum().backward(); // d(x^2 + x)/dx = 2x + 1
    expect(x.grad?.item()).toBe(5);
  });
  it('backward on a non-scalar needs a gradient of its shape', () => {
    const x = zg.tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(/pass a gradient of the same shape/);
    x.mul(2).backward(zg.tensor([1, 10]));
    expect(x.grad?.toArray()).toEqual([2, 20]);
  });
});
