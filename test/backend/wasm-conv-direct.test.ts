// Parity of the direct convolution kernels (few input channels, stride 1) with the float64 reference, on one thread
// and on all threads of both kernel builds: the forward with bias and ReLU, and the weight and bias gradients with and
// without the ReLU mask, over odd sizes, padding, cropped outputs, 1-4 input channels, kernels 2x2 to 7x7 and channel counts not a multiple of 4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowGeometry } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

// [batch, channels, height, width, kernel, pad, outChannels, crop rows, crop cols (0: full)]
const cases: number[][] = [
  [3, 1, 28, 28, 3, 0, 8, 0, 0], [2, 1, 12, 12, 5, 0, 6, 0, 0], [1, 2, 7, 9, 3, 1, 5, 0, 0], [2, 3, 6, 5, 3, 2, 3, 0, 0],
  [1, 1, 11, 13, 3, 0, 4, 8, 10], [2, 1, 5, 5, 5, 0, 1, 0, 0], [1, 3, 9, 6, 2, 0, 7, 0, 0], [1, 1, 13, 10, 4, 1, 9, 11, 9],
  [1, 2, 9, 10, 7, 2, 5, 0, 0], [2, 4, 6, 6, 3, 1, 6, 5, 6],
];

function geometry([batch, channels, height, width, kernel, pad, , cropH, cropW]: number[]): WindowGeometry {
  const outH = height + 2 * pad - kernel + 1;
  const outW = width + 2 * pad - kernel + 1;
  return {
    batch, channels, height, width, kernelH: kernel, kernelW: kernel, strideH: 1, strideW: 1, padH: pad, padW: pad,
    outH: cropH || outH, outW: cropW || outW,
  };
}

describe.each(threadSettings)('wasm direct convolution, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  for (const relu of [false, true]) {
    for (const withBias of [true, false]) {
      it(`convolves ${withBias ? 'with' : 'without'} bias, ${relu ? 'with' : 'without'} ReLU, like the reference`, () => {
        let seed = 21;
        for (const c of cases) {
          const g = geometry(c);
          const outChannels = c[6];
          const [xw, xc] = pair(wasm, random(g.batch * g.channels * g.height * g.width, seed++));
          const [ww, wc] = pair(wasm, random(outChannels * g.channels * g.kernelH * g.kernelW, seed++));
          const [bw, bc] = pair(wasm, random(outChannels, seed++));
          const size = g.batch * outChannels * g.outH * g.outW;
          const [ow, oc] = [wasm.alloc(size, 'float32'), cpu.alloc(size, 'float32')];
          wasm.convDirect(xw, ww, withBias ? bw : null, ow, g, outChannels, relu);
          cpu.convDirect(xc, wc, withBias ? bc : null, oc, g, outChannels, relu);
          expectClose(wasm.read(ow), cpu.read(oc), `conv ${c.join(',')}`, 1e-5, 1e-5);
          for (const b of [xw, ww, bw, ow]) wasm.free(b);
        }
      });
    }
  }

  for (const masked of [false, true]) {
    it(`computes weight and bias gradients ${masked ? 'through the fused ReLU' : 'without a mask'} like the reference`, () => {
      let seed = 41;
      for (const c of cases) {
        const g = geometry(c);
        const outChannels = c[6];
        const taps = g.channels * g.kernelH * g.kernelW;
        const outSize = g.batch * outChannels * g.outH * g.outW;
        const [xw, xc] = pair(wasm, random(g.batch * g.channels * g.height * g.width, seed++));
        const [dyw, dyc] = pair(wasm, random(outSize, seed++));
        const [yw, yc] = pair(wasm, random(outSize, seed++)); // about half <= 0
        const [dww, dwc] = [wasm.alloc(outChannels * taps, 'float32'), cpu.alloc(outChannels * taps, 'float32')];
        const [dbw, dbc] = [wasm.alloc(outChannels, 'float32'), cpu.alloc(outChannels, 'float32')];
        wasm.fill(dww, Number.NaN); // both outputs are overwritten
        wasm.fill(dbw, Number.NaN);
        wasm.convDirectBackwardFilter(xw, dyw, masked ? yw : null, dww, dbw, g, outChannels);
        cpu.convDirectBackwardFilter(xc, dyc, masked ? yc : null, dwc, dbc, g, outChannels);
        // Sums of up to a few thousand products: compare against the scale of the sum of |terms|.
        const atol = 2e-6 * g.batch * g.outH * g.outW;
        expectClose(wasm.read(dww), cpu.read(dwc), `dw ${c.join(',')}`, 1e-5, atol);
        expectClose(wasm.read(dbw), cpu.read(dbc), `db ${c.join(',')}`, 1e-5, atol);
        // Either output alone gives the same values.
        const dwOnly = wasm.alloc(outChannels * taps, 'float32');
        const dbOnly = wasm.alloc(outChannels, 'float32');
        wasm.convDirectBackwardFilter(xw, dyw, masked ? yw : null, dwOnly, null, g, outChannels);
        wasm.convDirectBackwardFilter(xw, dyw, masked ? yw : null, null, dbOnly, g, outChannels);
        expect(Array.from(wasm.read(dwOnly))).toEqual(Array.from(wasm.read(dww)));
        expect(Array.from(wasm.read(dbOnly))).toEqual(Array.from(wasm.read(dbw)));
        for (const b of [xw, dyw, yw, dww, dbw, dwOnly, dbOnly]) wasm.free(b);
      }
    });
  }
});

describe('wasm direct convolution weight gradient across thread counts', () => {
  it('gives bit-identical results on 1 thread and on all threads, split or not', async () => {
    const g = geometry([5, 2, 14, 13, 3, 1, 12, 0, 0]);
    const outChannels = 12;
    const taps = g.channels * 9;
    const outSize = g.batch * outChannels * g.outH * g.outW;
    const results: number[][] = [];
    for (const setting of threadSettings.filter((s) => s.kernels === threadSettings[0].kernels)) {
      const wasm = await makeWasm(setting);
      const [x] = pair(wasm, random(g.batch * g.channels * g.height * g.width, 7));
      const [dy] = pair(wasm, random(outSize, 8));
      const [y] = pair(wasm, random(outSize, 9));
      const dw = wasm.alloc(outChannels * taps, 'float32');
      const db = wasm.alloc(outChannels, 'float32');
      wasm.convDirectBackwardFilter(x, dy, y, dw, db, g, outChannels);
      results.push([...wasm.read(dw), ...wasm.read(db)]);
      wasm.dispose();
    }
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });
});
