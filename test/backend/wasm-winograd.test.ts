// Parity of the Winograd F(2x2, 3x3) kernels with the float64 reference, on one thread and on all threads: the
// weight transform, and whole convolutions over odd and even sizes, padding, cropped outputs, batches, bias, ReLU.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WindowGeometry } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

// [batch, channels, height, width, pad, outChannels, crop rows, crop cols (0: full)]
const cases: number[][] = [
  [1, 32, 13, 13, 0, 64, 10, 10], [2, 8, 7, 9, 0, 5, 0, 0], [3, 9, 6, 6, 1, 4, 0, 0], [1, 16, 5, 8, 1, 3, 4, 7],
  [2, 12, 3, 3, 0, 2, 0, 0], [1, 10, 12, 4, 2, 6, 0, 0],
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
});
