// Parity of the Winograd F(2x2, 3x3) kernels with the float64 reference, on one thread and on all threads: the
// weight transform, whole convolutions over odd and even sizes, padding, cropped outputs, batches, bias, ReLU, and the
// training backward (winogradConvBackward: dx, dw, plane sums from the kept input tiles).
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WindowGeometry } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { winogradTileStride } from '../../src/backend/winograd-layout.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

// [batch, channels, height, width, pad, outChannels, crop rows, crop cols (0: full)]
const cases: number[][] = [
  [1, 32, 13, 13, 0, 64, 10, 10], [2, 8, 7, 9, 0, 5, 0, 0], [3, 9, 6, 6, 1, 4, 0, 0], [1, 16, 5, 8, 1, 3, 4, 7],
  [2, 12, 3, 3, 0, 2, 0, 0], [1, 10, 12, 4, 2, 6, 0, 0], [2, 8, 22, 21, 1, 8, 21, 19], [4, 8, 18, 18, 0, 8, 0, 0], // the last pads its 64 tiles to 65
];

function geometry([batch, channels, height, width, pad, , cropH, cropW]: number[]): WindowGeometry {
  const outH = height + 2 * pad - 2;
  const outW = width + 2 * pad - 2;
  return {
    batch, channels, height, width, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: pad, padW: pad,
    outH: cropH || outH, outW: cropW || outW,
  };
}

describe.each(threadSettings)('wasm Winograd convolution, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  it('transforms weights like the reference', () => {
    for (const [o, c] of [[1, 1], [4, 3], [64, 32]]) {
      const [ww, wc] = pair(wasm, random(o * c * 9, o + c));
      const [uw, uc] = [wasm.alloc(16 * o * c, 'float32'), cpu.alloc(16 * o * c, 'float32')];
      wasm.winogradWeights(ww, uw, o, c);
      cpu.winogradWeights(wc, uc, o, c);
      expectClose(wasm.read(uw), cpu.read(uc), `U ${o}x${c}`, 1e-6, 1e-6);
    }
  });

  for (const relu of [false, true]) {
    for (const withBias of [true, false]) {
      it(`convolves ${withBias ? 'with' : 'without'} bias, ${relu ? 'with' : 'without'} ReLU, like the reference`, () => {
        let seed = 11;
        for (const c of cases) {
          const g = geometry(c);
          const outChannels = c[5];
          const [xw, xc] = pair(wasm, random(g.batch * g.channels * g.height * g.width, seed++));
          const [ww, wc] = pair(wasm, random(outChannels * g.channels * 9, seed++));
          const [bw, bc] = pair(wasm, random(outChannels, seed++));
          const [uw, uc] = [wasm.alloc(16 * outChannels * g.channels, 'float32'), cpu.alloc(16 * outChannels * g.channels, 'float32')];
          wasm.winogradWeights(ww, uw, outChannels, g.channels);
          cpu.winogradWeights(wc, uc, outChannels, g.channels);
          const size = g.batch * outChannels * g.outH * g.outW;
          const [ow, oc] = [wasm.alloc(size, 'float32'), cpu.alloc(size, 'float32')];
          wasm.winogradConv(xw, uw, withBias ? bw : null, ow, g, outChannels, relu);
          cpu.winogradConv(xc, uc, withBias ? bc : null, oc, g, outChannels, relu);
          expectClose(wasm.read(ow), cpu.read(oc), `conv ${c.join(',')}`, 1e-5, 1e-5);
          for (const b of [xw, ww, bw, uw, ow]) wasm.free(b);
        }
      });
    }
  }

  for (const relu of [false, true]) {
    it(`backpropagates ${relu ? 'through the fused ReLU ' : ''}like the reference: dx, dw and plane sums`, () => {
      let seed = 41;
      for (const c of cases) {
        const g = geometry(c);
        const outChannels = c[5];
        const tiles = winogradTileStride(g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2), g.channels, outChannels);
        const [xw, xc] = pair(wasm, random(g.batch * g.channels * g.height * g.width, seed++));
        const [ww, wc] = pair(wasm, random(outChannels * g.channels * 9, seed++));
        const [uw, uc] = [wasm.alloc(16 * outChannels * g.channels, 'float32'), cpu.alloc(16 * outChannels * g.channels, 'float32')];
        wasm.winogradWeights(ww, uw, outChannels, g.channels);
        cpu.winogradWeights(wc, uc, outChannels, g.channels);
        const size = g.batch * outChannels * g.outH * g.outW;
        const [ow, oc] = [wasm.alloc(size, 'float32'), cpu.alloc(size, 'float32')];
        const [vw, vc] = [wasm.alloc(16 * g.channels * tiles, 'float32'), cpu.alloc(16 * g.channels * tiles, 'float32')];
        wasm.write(vw, new Float32Array(vw.length).fill(Number.NaN)); // padded tiles must be zeroed, not read as they are
        wasm.winogradConv(xw, uw, null, ow, g, outChannels, relu, vw);
        cpu.winogradConv(xc, uc, null, oc, g, outChannels, relu, vc);
        expectClose(wasm.read(vw), cpu.read(vc), `input tiles ${c.join(',')}`, 1e-5, 1e-5);
        const [dyw, dyc] = pair(wasm, random(size, seed++));
        const dxSize = g.batch * g.channels * g.height * g.width;
        const [dxw, dxc] = [wasm.alloc(dxSize, 'float32'), cpu.alloc(dxSize, 'float32')];
        const [dww, dwc] = [wasm.alloc(outChannels * g.channels * 9, 'float32'), cpu.alloc(outChannels * g.channels * 9, 'float32')];
        const [sw, sc] = [wasm.alloc(g.batch * outChannels, 'float32'), cpu.alloc(g.batch * outChannels, 'float32')];
        wasm.winogradConvBackward(dyw, relu ? ow : null, uw, vw, dxw, dww, sw, g, outChannels);
        cpu.winogradConvBackward(dyc, relu ? oc : null, uc, vc, dxc, dwc, sc, g, outChannels);
        expectClose(wasm.read(dxw), cpu.read(dxc), `dx ${c.join(',')}`, 1e-4, 1e-4);
        expectClose(wasm.read(dww), cpu.read(dwc), `dw ${c.join(',')}`, 1e-4, 1e-4);
        expectClose(wasm.read(sw), cpu.read(sc), `plane sums ${c.join(',')}`, 1e-5, 1e-5);
        for (const b of [xw, ww, uw, ow, vw, dyw, dxw, dww, sw]) wasm.free(b);
      }
    });
  }
});
