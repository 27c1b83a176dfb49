// conv2d with gradients takes the Winograd training path for 3x3 stride-1 windows (forced here on every shape): its
// output and every gradient (input, weight, bias) must equal the im2col + GEMM path's, with and without bias and the
// fused ReLU, cropped outputs, padding 0 and 1, odd sizes, one image and several.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as zg from '../../src/index.js';
import { winogradTraining } from '../../src/ops/conv.js';
import { backendCases } from '../helpers/backends.js';

const cases: { x: number[]; w: number[]; padding?: number; outputSize?: [number, number] }[] = [
  { x: [2, 16, 13, 13], w: [8, 16, 3, 3], outputSize: [10, 10] },
  { x: [1, 8, 7, 9], w: [9, 8, 3, 3], padding: 1 },
  { x: [3, 9, 6, 5], w: [8, 9, 3, 3] },
  { x: [2, 8, 9, 8], w: [10, 8, 3, 3], padding: 1, outputSize: [7, 4] },
  { x: [1, 12, 3, 4], w: [8, 12, 3, 3] },
  { x: [2, 4, 6, 7], w: [5, 4, 3, 3], padding: 1, outputSize: [5, 6] },
];

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
};

describe.each(backendCases)('conv2d Winograd training path ($name)', (backendCase) => {
  const previous = zg.getBackend();
  const defaults = { ...winogradTraining };
  afterEach(() => {
    zg.setBackend(previous);
    Object.assign(winogradTraining, defaults);
  });

  for (const { x: xs, w: ws, padding, outputSize } of cases) {
    const label = `x ${xs.join('x')}, w ${ws.join('x')}${padding ? `, padding ${padding}` : ''}${outputSize ? `, output ${outputSize.join('x')}` : ''}`;
    it(`${label}: output and gradients equal im2col + GEMM's`, async () => {
      const backend = await backendCase.make();
      zg.setBackend(backend);
      zg.manualSeed(5);
      const x = zg.randn(xs);
      const w = zg.randn(ws).mul(0.2);
      const b = zg.randn([ws[0]]).mul(0.5);
      for (const t of [x, w, b]) t.requiresGrad = true;
      const spy = vi.spyOn(backend, 'winogradConvBackward');
      for (const relu of [false, true]) {
        for (const withBias of [true, false]) {
          const run = (least: number) => {
            Object.assign(winogradTraining, { minChannels: least, minTiles: least });
            x.grad = null; w.grad = null; b.grad = null;
            const y = zg.conv2d(x, w, withBias ? b : null, { padding, relu, outputSize });
            const upstream = zg.randn(y.shape, 0, 1, new zg.Random(9));
            y.mul(upstream).sum().backward();
            return { y: y.values(), dx: x.grad!.values(), dw: w.grad!.values(), db: withBias ? b.grad!.values() : [] };
          };
          const fast = run(1);
          const reference = run(Infinity);
          const tolerance = backendCase.tolerance * 10;
          for (const key of ['y', 'dx', 'dw', 'db'] as const) {
            expect(maxDiff(fast[key], reference[key]), `${key}, relu ${relu}, bias ${withBias}`).toBeLessThan(tolerance);
          }
        }
      }
      expect(spy).toHaveBeenCalledTimes(4);
      spy.mockRestore();
    });
  }

  it('skips what needs no gradient: a frozen weight keeps no input tiles, an input needs no dx', async () => {
    const backend = await backendCase.make();
    zg.setBackend(backend);
    zg.manualSeed(6);
    Object.assign(winogradTraining, { minChannels: 1, minTiles: 1 });
    const x = zg.randn([2, 8, 6, 6]);
    const w = zg.randn([8, 8, 3, 3]);
    x.requiresGrad = true;
    const spy = vi.spyOn(backend, 'winogradConvBackward');
    zg.conv2d(x, w, null, { padding: 1 }).sum().backward();
    expect(spy.mock.calls[0][3]).toBeNull(); // no input tiles
    expect(spy.mock.calls[0][5]).toBeNull(); // no dw
    x.requiresGrad = false;
    w.requiresGrad = true;
    zg.conv2d(x, w, null).sum().backward();
    expect(spy.mock.calls[1][4]).toBeNull(); // no dx
    expect(w.grad).not.toBeNull();
    spy.mockRestore();
  });
});
