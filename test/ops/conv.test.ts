// conv2d without gradients takes the Winograd path for 3x3 stride-1 windows over 8+ channels: its outputs must equal
// the im2col + GEMM path's (with gradients and the Winograd training path turned off), and its cached weight transform
// must follow in-place weight updates (optimizer steps, assign). The training path: conv-winograd-training.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as zg from '../../src/index.js';
import { winogradTraining } from '../../src/ops/conv.js';
import { backendCases } from '../helpers/backends.js';

const cases: { x: number[]; w: number[]; padding?: number; outputSize?: [number, number]; winograd: boolean }[] = [
  { x: [2, 32, 13, 13], w: [16, 32, 3, 3], winograd: true },
  { x: [1, 8, 11, 10], w: [4, 8, 3, 3], padding: 1, winograd: true },
  { x: [3, 12, 11, 11], w: [5, 12, 3, 3], outputSize: [8, 7], winograd: true },
  { x: [1, 4, 9, 9], w: [3, 4, 3, 3], winograd: false }, // too few channels
  { x: [1, 8, 9, 9], w: [3, 8, 5, 5], winograd: false }, // 5x5
];

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
};

describe.each(backendCases)('conv2d inference path ($name)', (backendCase) => {
  const previous = zg.getBackend();
  const defaults = { ...winogradTraining };
  afterEach(() => {
    zg.setBackend(previous);
    Object.assign(winogradTraining, defaults);
  });

  for (const { x: xs, w: ws, padding, outputSize, winograd } of cases) {
    it(`x ${xs.join('x')}, w ${ws.join('x')}${padding ? `, padding ${padding}` : ''}${outputSize ? `, output ${outputSize.join('x')}` : ''}: ${winograd ? 'Winograd' : 'im2col'} without gradients equals the gradient path`, async () => {
      const backend = await backendCase.make();
      zg.setBackend(backend);
      winogradTraining.minChannels = Infinity; // the gradient path is the im2col reference
      zg.manualSeed(3);
      const x = zg.randn(xs);
      const w = zg.randn(ws).mul(0.2);
      const b = zg.randn([ws[0]]);
      w.requiresGrad = true;
      const spy = vi.spyOn(backend, 'winogradConv');
      for (const relu of [false, true]) {
        const withGrad = zg.conv2d(x, w, b, { padding, relu, outputSize });
        expect(withGrad.requiresGrad).toBe(true);
        const fast = zg.noGrad(() => zg.conv2d(x, w, b, { padding, relu, outputSize }));
        expect(fast.shape).toEqual(withGrad.shape);
        expect(maxDiff(fast.values(), withGrad.values())).toBeLessThan(backendCase.tolerance * 10);
      }
      expect(spy).toHaveBeenCalledTimes(winograd ? 2 : 0);
      spy.mockRestore();
    });
  }

  it('recomputes the weight transform after an optimizer step or assign, and only then', async () => {
    const backend = await backendCase.make();
    zg.setBackend(backend);
    zg.manualSeed(4);
    const x = zg.randn([1, 8, 6, 6]);
    const w = zg.randn([2, 8, 3, 3]);
    w.requiresGrad = true;
    const transforms = vi.spyOn(backend, 'winogradWeights');
    const infer = () => zg.noGrad(() => zg.conv2d(x, w, null)).values();
    const reference = () => zg.conv2d(x, w, null).values();
    infer();
    infer();
    expect(transforms).toHaveBeenCalledTimes(1);
    const optimizer = new zg.SGD([w], { lr: 0.5 });
    zg.conv2d(x, w, null).sum().backward();
    optimizer.step();
    expect(maxDiff(infer(), reference())).toBeLessThan(backendCase.tolerance * 10);
    expect(transforms).toHaveBeenCalledTimes(2);
    zg.assign(w, zg.zeros([2, 8, 3, 3]));
    expect(Math.max(...infer().map(Math.abs))).toBe(0);
    expect(transforms).toHaveBeenCalledTimes(3);
    transforms.mockRestore();
  });
});
