// Every differentiable op's gradient against central finite differences (float64, reference backend).
import { describe, it } from 'vitest';
import * as zg from '../../src/index.js';
import { winogradTraining } from '../../src/ops/conv.js';
import { gradcheck } from '../helpers/gradcheck.js';

describe('gradients of element-wise ops', () => {
  it('add, sub, mul, div with broadcasting', () => {
    gradcheck((a, b) => a.add(b), [{ shape: [3, 4] }, { shape: [4] }]);
    gradcheck((a, b) => a.sub(b), [{ shape: [2, 1, 3] }, { shape: [4, 1] }]);
    gradcheck((a, b) => a.mul(b), [{ shape: [3, 4] }, { shape: [3, 1] }]);
    gradcheck((a, b) => a.div(b), [{ shape: [2, 3] }, { shape: [1, 3], positive: true }]);
  });
  it('pow, maximum, minimum', () => {
    gradcheck((a, b) => a.pow(b), [{ shape: [2, 3], positive: true }, { shape: [3] }]);
    gradcheck((a) => a.pow(3), [{ shape: [5] }]);
    gradcheck((a) => a.pow(-1.5), [{ shape: [5], positive: true }]);
    gradcheck((a, b) => a.maximum(b), [{ shape: [6] }, { shape: [6] }]);
    gradcheck((a, b) => a.minimum(b), [{ shape: [2, 3] }, { shape: [3] }]);
  });
  it('scalar arithmetic', () => {
    gradcheck((a) => a.add(2).mul(-3).sub(1).div(4), [{ shape: [4] }]);
  });
  const unaries: [string, (x: zg.Tensor) => zg.Tensor, boolean][] = [
    ['neg', (x) => x.neg(), false],
    ['exp', (x) => x.exp(), false],
    ['log', (x) => x.log(), true],
    ['sqrt', (x) => x.sqrt(), true],
    ['rsqrt', (x) => x.rsqrt(), true],
    ['abs', (x) => x.abs(), false],
    ['square', (x) => x.square(), false],
    ['reciprocal', (x) => x.reciprocal(), true],
    ['relu', (x) => x.relu(), false],
    ['leakyRelu', (x) => x.leakyRelu(0.1), false],
    ['sigmoid', (x) => x.sigmoid(), false],
    ['tanh', (x) => x.tanh(), false],
    ['gelu', (x) => x.gelu(), false],
    ['gelu tanh', (x) => x.gelu({ approximate: 'tanh' }), false],
  ];
  for (const [name, f, positive] of unaries) {
    it(name, () => gradcheck(f, [{ shape: [3, 5], positive }]));
  }
});

describe('gradients of reductions', () => {
  it('sum and mean over axes', () => {
    gradcheck((x) => x.sum(), [{ shape: [3, 4] }]);
    gradcheck((x) => x.sum(1), [{ shape: [3, 4] }]);
    gradcheck((x) => x.mean([0, 2], { keepDims: true }), [{ shape: [2, 3, 4] }]);
    gradcheck((x) => x.mean([0, 2, 3]), [{ shape: [2, 3, 2, 2] }]);
  });
  it('max and min', () => {
    gradcheck((x) => x.max(1), [{ shape: [3, 5] }]);
    gradcheck((x) => x.min(0), [{ shape: [3, 5] }]);
    gradcheck((x) => x.max(), [{ shape: [7] }]);
  });
  it('variance', () => {
    gradcheck((x) => zg.variance(x, 1, { unbiased: true }), [{ shape: [3, 5] }]);
  });
});

describe('gradients of matmul', () => {
  it('2-D', () => gradcheck((a, b) => a.matmul(b), [{ shape: [3, 4] }, { shape: [4, 5] }]));
  it('batched with a shared weight', () => gradcheck((a, b) => a.matmul(b), [{ shape: [2, 3, 4] }, { shape: [4, 2] }]));
  it('batched both sides', () => gradcheck((a, b) => a.matmul(b), [{ shape: [2, 3, 4] }, { shape: [2, 4, 2] }]));
  it('batch broadcast on the left', () => gradcheck((a, b) => a.matmul(b), [{ shape: [1, 3, 4] }, { shape: [2, 4, 2] }]));
  it('vectors', () => gradcheck((a, b) => a.matmul(b), [{ shape: [4] }, { shape: [4, 3] }]));
});

describe('gradients of movement ops', () => {
  it('reshape, permute, transpose', () => {
    gradcheck((x) => x.reshape([6, 2]), [{ shape: [3, 4] }]);
    gradcheck((x) => x.permute([2, 0, 1]), [{ shape: [2, 3, 4] }]);
    gradcheck((x) => x.transpose(), [{ shape: [3, 4] }]);
  });
  it('slice, pad, concat, expand, gather', () => {
    gradcheck((x) => x.slice([1, 0], [2, 3]), [{ shape: [4, 5] }]);
    gradcheck((x) => x.pad([[1, 2], [0, 1]]), [{ shape: [2, 3] }]);
    gradcheck((a, b) => zg.concat([a, b], 1), [{ shape: [2, 3] }, { shape: [2, 2] }]);
    gradcheck((x) => x.expand([3, 2, 4]), [{ shape: [2, 1] }]);
    gradcheck((x) => x.gather(zg.tensor(new Int32Array([2, 0, 2])), 1), [{ shape: [2, 3, 2] }]);
  });
});

describe('gradients of neural-network ops', () => {
  it('softmax and logSoftmax on every axis', () => {
    gradcheck((x) => x.softmax(), [{ shape: [3, 5] }]);
    gradcheck((x) => x.logSoftmax(), [{ shape: [3, 5] }]);
    gradcheck((x) => x.softmax(0), [{ shape: [3, 5] }]);
  });
  it('cross-entropy with sparse and one-hot targets', () => {
    gradcheck((x) => x.crossEntropy(zg.tensor(new Int32Array([1, 0, 4]))), [{ shape: [3, 5] }]);
    gradcheck((x) => x.crossEntropy(zg.tensor([[0.2, 0.8, 0], [0, 0, 1]])), [{ shape: [2, 3] }]);
  });
  it('mse', () => gradcheck((a, b) => a.mse(b), [{ shape: [3, 4] }, { shape: [3, 4] }]));
  it('conv2d with stride and padding', () => {
    gradcheck((x, w, b) => zg.conv2d(x, w, b, { stride: 1, padding: 1 }), [{ shape: [2, 2, 5, 5] }, { shape: [3, 2, 3, 3] }, { shape: [3] }]);
    gradcheck((x, w) => zg.conv2d(x, w, null, { stride: 2, padding: [0, 1] }), [{ shape: [1, 3, 6, 5] }, { shape: [2, 3, 2, 3] }]);
  });

  it('conv2d with the fused ReLU', () => {
    gradcheck((x, w, b) => zg.conv2d(x, w, b, { padding: 1, relu: true }), [{ shape: [2, 2, 5, 5] }, { shape: [5, 2, 3, 3] }, { shape: [5] }]);
    gradcheck((x, w) => zg.conv2d(x, w, null, { stride: 2, relu: true }), [{ shape: [1, 3, 7, 6] }, { shape: [4, 3, 2, 3] }]);
  });
  it('conv2d by the Winograd training path (bias, ReLU, padding 0 and 1, cropped output)', () => {
    const defaults = { ...winogradTraining };
    Object.assign(winogradTraining, { minChannels: 1, minTiles: 1 });
    try {
      gradcheck((x, w, b) => zg.conv2d(x, w, b, { padding: 1, relu: true }), [{ shape: [2, 3, 5, 4] }, { shape: [2, 3, 3, 3] }, { shape: [2] }]);
      gradcheck((x, w) => zg.conv2d(x, w, null, { outputSize: [2, 3] }), [{ shape: [1, 2, 5, 6] }, { shape: [3, 2, 3, 3] }]);
    } finally {
      Object.assign(winogradTraining, defaults);
    }
  });
  it('max and average pooling', () => {
    gradcheck((x) => x.maxPool2d(2), [{ shape: [2, 2, 4, 5] }]);
    gradcheck((x) => x.maxPool2d(3, { stride: 2, padding: 1 }), [{ shape: [1, 2, 5, 5] }]);
    gradcheck((x) => x.avgPool2d(2, { stride: 1 }), [{ shape: [1, 2, 4, 3] }]);
    gradcheck((x) => x.avgPool2d(3, { stride: 2, padding: 1 }), [{ shape: [1, 1, 5, 5] }]);
  });
  it('batch norm (training) and layer norm', () => {
    gradcheck((x, w, b) => zg.batchNorm(x, w, b, zg.zeros([3]), zg.ones([3]), { training: true }), [{ shape: [4, 3, 2, 2] }, { shape: [3] }, { shape: [3] }]);
    gradcheck((x, w, b) => zg.batchNorm(x, w, b, zg.zeros([3]), zg.ones([3]), { training: false }), [{ shape: [4, 3] }, { shape: [3] }, { shape: [3] }]);
    gradcheck((x, w, b) => zg.layerNorm(x, w, b), [{ shape: [3, 6] }, { shape: [6] }, { shape: [6] }]);
  });
  it('multi-head attention through batched matmul and softmax', () => {
    // (B, H, T, D) queries, keys, values
    gradcheck((q, k, v) => q.matmul(k.transpose()).mul(0.5).softmax().matmul(v), [{ shape: [1, 2, 3, 4] }, { shape: [1, 2, 3, 4] }, { shape: [1, 2, 3, 4] }]);
  });
});

describe('the gradient check itself', () => {
  it('fails on a wrong chain rule', async () => {
    const { record } = await import('../../src/autograd/graph.js');
    const wrongSquare = (x: zg.Tensor) => record(zg.noGrad(() => x.mul(x)), 'wrongSquare', [x], (dy) => [dy.mul(x).mul(3)]);
    const { expect } = await import('vitest');
    expect(() => gradcheck(wrongSquare, [{ shape: [4] }])).toThrow(/analytic/);
  });
});
