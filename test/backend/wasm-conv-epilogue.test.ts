// Parity of the convolution epilogue kernels (GEMM rows -> NCHW with bias and fused ReLU, and the backward mask and
// transpose, with the bias gradient) against the float64 reference, on one thread and on all threads, over channel and spatial sizes on both
// sides of a multiple of 4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvOutputGeometry } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

const geometries: ConvOutputGeometry[] = [
  [1, 1, 1], [2, 3, 5], [3, 4, 4], [2, 5, 7], [4, 32, 676], [3, 64, 121], [5, 33, 49], [64, 16, 64],
].map(([batch, channels, spatial]) => ({ batch, channels, spatial }));

const label = (g: ConvOutputGeometry) => `(${g.batch}, ${g.channels}, ${g.spatial})`;

describe.each(threadSettings)('wasm conv epilogue, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  for (const relu of [false, true]) {
    for (const withBias of [true, false]) {
      it(`forward ${withBias ? 'with' : 'without'} bias, ${relu ? 'with' : 'without'} ReLU, matches the reference exactly`, () => {
        for (const g of geometries) {
          const size = g.batch * g.channels * g.spatial;
          const [fw, fc] = pair(wasm, random(size, size + 1));
          const [bw, bc] = pair(wasm, random(g.channels, 7));
          const [ow, oc] = [wasm.alloc(size, 'float32'), cpu.alloc(size, 'float32')];
          wasm.convEpilogue(fw, withBias ? bw : null, ow, g, relu);
          cpu.convEpilogue(fc, withBias ? bc : null, oc, g, relu);
          expectClose(wasm.read(ow), cpu.read(oc), `out ${label(g)}`, 1e-6, 1e-6);
        }
      });
    }
    it(`backward ${relu ? 'masks by the ReLU output and ' : ''}transposes back to rows`, () => {
      for (const g of geometries) {
        const size = g.batch * g.channels * g.spatial;
        const [dyw, dyc] = pair(wasm, random(size, size + 2));
        const [yw, yc] = pair(wasm, random(size, size + 3).map((v) => Math.max(v, 0))); // about half exact zeros
        const [dw, dc] = [wasm.alloc(size, 'float32'), cpu.alloc(size, 'float32')];
        wasm.convEpilogueBackward(dyw, relu ? yw : null, dw, g);
        cpu.convEpilogueBackward(dyc, relu ? yc : null, dc, g);
        expectClose(wasm.read(dw), cpu.read(dc), `dflat ${label(g)}`, 0, 0);
      }
    });
    it(`backward ${relu ? 'with ReLU ' : ''}also sums the bias gradient in the same pass`, () => {
      for (const g of geometries) {
        const size = g.batch * g.channels * g.spatial;
        const [dyw, dyc] = pair(wasm, random(size, size + 4));
        const [yw, yc] = pair(wasm, random(size, size + 5).map((v) => Math.max(v, 0)));
        const [dw, dc] = [wasm.alloc(size, 'float32'), cpu.alloc(size, 'float32')];
        const [bw, bc] = pair(wasm, random(g.channels, 8)); // overwritten, not accumulated into
        wasm.convEpilogueBackward(dyw, relu ? yw : null, dw, g, bw);
        cpu.convEpilogueBackward(dyc, relu ? yc : null, dc, g, bc);
        expectClose(wasm.read(dw), cpu.read(dc), `dflat with dbias ${label(g)}`, 0, 0);
        expectClose(wasm.read(bw), cpu.read(bc), `dbias ${label(g)}`, 1e-5, 1e-5);
        const bias = Array.from(cpu.read(bc));
        const flat = cpu.read(dc);
        for (let c = 0; c < g.channels; c++) { // the reference's dbias is dflat's column sums
          let s = 0;
          for (let r = 0; r < g.batch * g.spatial; r++) s += flat[r * g.channels + c];
          expect(bias[c]).toBeCloseTo(s, 9);
        }
      }
    });
  }

  it('lays the rows out as NCHW: flat row (n, s) column c lands at (n, c, s)', () => {
    const g = { batch: 2, channels: 5, spatial: 3 };
    const flat = Float32Array.from({ length: 30 }, (_, i) => i); // value = (n*3 + s)*5 + c
    const [fw] = pair(wasm, flat);
    const out = wasm.alloc(30, 'float32');
    wasm.convEpilogue(fw, null, out, g, false);
    const values = wasm.read(out);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 5; c++) for (let s = 0; s < 3; s++) {
      expect(values[(n * 5 + c) * 3 + s]).toBe((n * 3 + s) * 5 + c);
    }
  });
});
