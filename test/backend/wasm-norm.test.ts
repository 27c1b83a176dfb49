// Parity of the fused batch-norm kernels (forward in training and inference mode, backward with every optional
// output, and with the fused ReLU) against the float64 reference, on one thread and on all threads, over odd shapes and spatial == 1.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { BatchNormGeometry, DataBuffer } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

// (batch, channels, spatial): (N, C) layouts with channels on both sides of a multiple of 4, then NCHW planes of
// 3, 5, 7x7 and 12x12 values (spatial not a multiple of 4, and one that is).
const geometries: BatchNormGeometry[] = [
  [8, 1, 1], [5, 3, 1], [7, 4, 1], [16, 7, 1], [9, 65, 1], [64, 33, 1],
  [2, 5, 3], [3, 2, 5], [2, 1, 49], [4, 65, 49], [3, 33, 7], [16, 16, 144],
].map(([batch, channels, spatial]) => ({ batch, channels, spatial }));

const label = (g: BatchNormGeometry) => `(${g.batch}, ${g.channels}, ${g.spatial})`;

describe.each(threadSettings)('wasm batch norm, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  const both = (length: number): [DataBuffer, DataBuffer] => [wasm.alloc(length, 'float32'), cpu.alloc(length, 'float32')];

  for (const affine of [true, false]) {
    it(`forward in training mode ${affine ? 'with' : 'without'} weight and bias`, () => {
      for (const g of geometries) {
        const size = g.batch * g.channels * g.spatial;
        // An offset of 50 checks that the statistics survive a mean far from zero in float32.
        const [xw, xc] = pair(wasm, random(size, size, 49, 51));
        const [ww, wc] = pair(wasm, random(g.channels, 2, 0.5, 1.5));
        const [bw, bc] = pair(wasm, random(g.channels, 3));
        const [[mw, mc], [vw, vc], [iw, ic], [yw, yc]] = [both(g.channels), both(g.channels), both(g.channels), both(size)];
        wasm.batchNormForward(xw, affine ? ww : null, affine ? bw : null, mw, vw, iw, yw, g, true, 1e-5);
        cpu.batchNormForward(xc, affine ? wc : null, affine ? bc : null, mc, vc, ic, yc, g, true, 1e-5);
        expectClose(wasm.read(mw), cpu.read(mc), `mean ${label(g)}`, 1e-6, 1e-6);
        expectClose(wasm.read(vw), cpu.read(vc), `variance ${label(g)}`, 1e-4, 1e-6);
        expectClose(wasm.read(iw), cpu.read(ic), `invStd ${label(g)}`, 1e-4, 1e-6);
        expectClose(wasm.read(yw), cpu.read(yc), `y ${label(g)}`, 1e-4, 2e-5);
      }
    });
  }

  it('forward in training mode keeps the variance of values far from zero (mean 1000, spread 0.01)', () => {
    for (const g of geometries.filter((q) => q.spatial > 1)) {
      const size = g.batch * g.channels * g.spatial;
      const x = random(size, size + 9, 999.99, 1000.01);
      x[0] = 1000.5; // the first value of channel 0 an outlier: the one-pass sums are shifted by it
      const [xw, xc] = pair(wasm, x);
      const [[mw, mc], [vw, vc], [iw, ic], [yw, yc]] = [both(g.channels), both(g.channels), both(g.channels), both(size)];
      wasm.batchNormForward(xw, null, null, mw, vw, iw, yw, g, true, 1e-12);
      cpu.batchNormForward(xc, null, null, mc, vc, ic, yc, g, true, 1e-12);
      expectClose(wasm.read(vw), cpu.read(vc), `variance far from zero ${label(g)}`, 1e-4, 1e-12);
    }
  });

  it('forward in inference mode reads the given statistics', () => {
    for (const g of geometries) {
      const size = g.batch * g.channels * g.spatial;
      const [xw, xc] = pair(wasm, random(size, size + 1, -3, 3));
      const [ww, wc] = pair(wasm, random(g.channels, 4));
      const [bw, bc] = pair(wasm, random(g.channels, 5));
      const [mw, mc] = pair(wasm, random(g.channels, 6));
      const [vw, vc] = pair(wasm, random(g.channels, 7, 0.1, 4));
      const [[iw, ic], [yw, yc]] = [both(g.channels), both(size)];
      wasm.batchNormForward(xw, ww, bw, mw, vw, iw, yw, g, false, 1e-3);
      cpu.batchNormForward(xc, wc, bc, mc, vc, ic, yc, g, false, 1e-3);
      expectClose(wasm.read(mw), cpu.read(mc), `running mean untouched ${label(g)}`, 0, 0);
      expectClose(wasm.read(iw), cpu.read(ic), `invStd ${label(g)}`, 1e-6, 1e-6);
      expectClose(wasm.read(yw), cpu.read(yc), `y ${label(g)}`, 1e-5, 1e-5);
    }
  });

  for (const training of [true, false]) {
    it(`fused ReLU (${training ? 'batch' : 'running'} statistics): forward clamps in the same pass, backward masks dy by its output`, () => {
      for (const g of geometries) {
        const size = g.batch * g.channels * g.spatial;
        const [xw, xc] = pair(wasm, random(size, size + 4, -2, 2));
        const [ww, wc] = pair(wasm, random(g.channels, 11, 0.5, 1.5));
        const [bw, bc] = pair(wasm, random(g.channels, 12));
        const [mw, mc] = pair(wasm, random(g.channels, 13, -0.2, 0.2));
        const [vw, vc] = pair(wasm, random(g.channels, 14, 0.5, 2));
        const [[iw, ic], [yw, yc]] = [both(g.channels), both(size)];
        wasm.batchNormForward(xw, ww, bw, mw, vw, iw, yw, g, training, 1e-5, true);
        cpu.batchNormForward(xc, wc, bc, mc, vc, ic, yc, g, training, 1e-5, true);
        const y = wasm.read(yw);
        expectClose(y, cpu.read(yc), `y with ReLU ${label(g)}`, 1e-4, 2e-5);
        if (y.some((v) => v < 0)) throw new Error(`batchNormForward with ReLU ${label(g)}: negative output`);
        const [dyw, dyc] = pair(wasm, random(size, size + 5));
        const [yw2, yc2] = pair(wasm, y); // the same mask on both sides (values near 0 may round either way)
        const [[dxw, dxc], [dww, dwc], [dbw, dbc]] = [both(size), both(g.channels), both(g.channels)];
        wasm.batchNormBackward(xw, dyw, mw, iw, ww, dxw, dww, dbw, g, training, yw2);
        cpu.batchNormBackward(xc, dyc, mc, ic, wc, dxc, dwc, dbc, g, training, yc2);
        expectClose(wasm.read(dxw), cpu.read(dxc), `dx with ReLU ${label(g)}`, 1e-4, 2e-5);
        expectClose(wasm.read(dww), cpu.read(dwc), `dweight with ReLU ${label(g)}`, 1e-4, 2e-5);
        expectClose(wasm.read(dbw), cpu.read(dbc), `dbias with ReLU ${label(g)}`, 1e-4, 2e-5);
        const dbOnly = wasm.alloc(g.channels, 'float32'); // no dx: the masked dy cannot be kept there
        wasm.batchNormBackward(xw, dyw, mw, iw, ww, null, null, dbOnly, g, training, yw2);
        expectClose(wasm.read(dbOnly), cpu.read(dbc), `dbias alone with ReLU ${label(g)}`, 1e-4, 2e-5);
      }
    });
  }

  for (const training of [true, false]) {
    it(`backward (${training ? 'batch' : 'running'} statistics), with and without each output`, () => {
      for (const g of geometries) {
        const size = g.batch * g.channels * g.spatial;
        const [xw, xc] = pair(wasm, random(size, size + 2, -2, 2));
        const [dyw, dyc] = pair(wasm, random(size, size + 3));
        const [mw, mc] = pair(wasm, random(g.channels, 8, -0.2, 0.2));
        const [iw, ic] = pair(wasm, random(g.channels, 9, 0.5, 1.5));
        const [ww, wc] = pair(wasm, random(g.channels, 10, 0.5, 1.5));
        for (const withWeight of [true, false]) {
          const [[dxw, dxc], [dww, dwc], [dbw, dbc]] = [both(size), both(g.channels), both(g.channels)];
          const where = `${label(g)} weight ${withWeight}`;
          wasm.batchNormBackward(xw, dyw, mw, iw, withWeight ? ww : null, dxw, dww, dbw, g, training);
          cpu.batchNormBackward(xc, dyc, mc, ic, withWeight ? wc : null, dxc, dwc, dbc, g, training);
          expectClose(wasm.read(dxw), cpu.read(dxc), `dx ${where}`, 1e-4, 2e-5);
          expectClose(wasm.read(dww), cpu.read(dwc), `dweight ${where}`, 1e-4, 2e-5);
          expectClose(wasm.read(dbw), cpu.read(dbc), `dbias ${where}`, 1e-4, 2e-5);
        }
        // Absent outputs are skipped; the ones asked for are unchanged.
        const [dxOnly, dbOnly] = [wasm.alloc(size, 'float32'), wasm.alloc(g.channels, 'float32')];
        const [dxRef, dbRef] = [cpu.alloc(size, 'float32'), cpu.alloc(g.channels, 'float32')];
        wasm.batchNormBackward(xw, dyw, mw, iw, ww, dxOnly, null, null, g, training);
        wasm.batchNormBackward(xw, dyw, mw, iw, ww, null, null, dbOnly, g, training);
        cpu.batchNormBackward(xc, dyc, mc, ic, wc, dxRef, null, dbRef, g, training);
        expectClose(wasm.read(dxOnly), cpu.read(dxRef), `dx alone ${label(g)}`, 1e-4, 2e-5);
        expectClose(wasm.read(dbOnly), cpu.read(dbRef), `dbias alone ${label(g)}`, 1e-4, 2e-5);
      }
    });
  }
});
