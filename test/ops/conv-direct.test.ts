// conv2d's direct path (stride 1, at most 4 input channels, x without a gradient) against its im2col + GEMM path
// (taken when x needs a gradient): outputs and weight / bias gradients, with ReLU, padding, cropped outputs, odd sizes
// and 1-3 input channels, on every backend; and float64 finite differences through the direct path.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';

const cases: { x: number[]; w: number[]; padding?: number; outputSize?: [number, number]; direct: boolean }[] = [
  { x: [3, 1, 12, 12], w: [8, 1, 3, 3], direct: true },
  { x: [2, 1, 13, 11], w: [6, 1, 5, 5], direct: true },
  { x: [2, 2, 7, 9], w: [5, 2, 3, 3], padding: 1, direct: true },
  { x: [1, 3, 8, 7], w: [3, 3, 3, 3], padding: 2, direct: true },
  { x: [2, 1, 11, 11], w: [4, 1, 3, 3], outputSize: [8, 8], direct: true }, // 9x9 cropped for a 2x2 pool
  { x: [1, 1, 9, 8], w: [2, 1, 7, 7], padding: 1, direct: true }, // 7x7: the generic weight-gradient loop
  { x: [1, 1, 10, 10], w: [2, 1, 9, 9], padding: 1, direct: false }, // 9x9: past DIRECT_MAX_TAPS
  { x: [1, 5, 6, 6], w: [2, 5, 3, 3], direct: false }, // 5 channels: im2col
];

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
};

describe.each(backendCases)('conv2d direct path ($name)', (backendCase) => {
  const previous = zg.getBackend();
  afterEach(() => zg.setBackend(previous));

  for (const { x: xs, w: ws, padding, outputSize, direct } of cases) {
    const label = `x ${xs.join('x')}, w ${ws.join('x')}${padding ? `, padding ${padding}` : ''}${outputSize ? `, output ${outputSize.join('x')}` : ''}`;
    it(`${label}: ${direct ? 'direct' : 'im2col'} path, values and weight / bias gradients equal the im2col path's`, async () => {
      const backend = await backendCase.make();
      zg.setBackend(backend);
      zg.manualSeed(5);
      const spy = vi.spyOn(backend, 'convDirect');
      for (const relu of [false, true]) {
        const run = (xNeedsGrad: boolean) => {
          const x = zg.randn(xs, 0, 1, new zg.Random(1));
          x.requiresGrad = xNeedsGrad;
          const w = zg.randn(ws, 0, 1, new zg.Random(2)).mul(0.3).detach();
          const b = zg.randn([ws[0]], 0, 1, new zg.Random(3)).mul(0.3).detach();
          w.requiresGrad = true;
          b.requiresGrad = true;
          const out = zg.conv2d(x, w, b, { padding, relu, outputSize });
          const g = zg.randn(out.shape, 0, 1, new zg.Random(4));
          out.mul(g).sum().backward();
          return { out: out.values(), dw: w.grad!.values(), db: b.grad!.values() };
        };
        const fast = run(false);
        const reference = run(true);
        const tolerance = backendCase.tolerance * 10;
        expect(maxDiff(fast.out, reference.out), 'output').toBeLessThan(tolerance);
        expect(maxDiff(fast.dw, reference.dw), 'weight gradient').toBeLessThan(tolerance);
        expect(maxDiff(fast.db, reference.db), 'bias gradient').toBeLessThan(tolerance);
      }
      expect(spy).toHaveBeenCalledTimes(direct ? 2 : 0);
      spy.mockRestore();
    });
  }

  it('takes the direct path without gradients too, and im2col when x needs a gradient', async () => {
    const backend = await backendCase.make();
    zg.setBackend(backend);
    const spy = vi.spyOn(backend, 'convDirect');
    const x = zg.randn([1, 1, 6, 6], 0, 1, new zg.Random(1));
    const w = zg.randn([2, 1, 3, 3], 0, 1, new zg.Random(2));
    zg.noGrad(() => zg.conv2d(x, w, null));
    expect(spy).toHaveBeenCalledTimes(1);
    x.requiresGrad = true;
    zg.conv2d(x, w, null);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});

describe('gradients through the direct path (float64 finite differences)', () => {
  const input = (shape: number[], seed: number) => {
    const rng = new zg.Random(seed);
    return Float64Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal());
  };
  it('weight and bias, with padding, a crop and the fused ReLU', () => {
    const x1 = input([2, 1, 6, 7], 11);
    gradcheck((w, b) => zg.conv2d(zg.tensor(x1, { shape: [2, 1, 6, 7] }), w, b, { padding: 1, relu: true }),
      [{ shape: [3, 1, 3, 3] }, { shape: [3] }]);
    const x2 = input([1, 2, 7, 6], 12);
    gradcheck((w, b) => zg.conv2d(zg.tensor(x2, { shape: [1, 2, 7, 6] }), w, b, { outputSize: [2, 1] }),
      [{ shape: [2, 2, 5, 5] }, { shape: [2] }]);
  });
});
