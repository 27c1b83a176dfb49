// Parity of the wasm window kernels (im2col / col2im, max and average pooling with their backward passes)
// and of the fused softmax family and optimizer steps, on one thread and on all threads.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WindowGeometry } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

function geometry(batch: number, channels: number, height: number, width: number, kernel: number, stride: number, pad: number): WindowGeometry {
  return {
    batch, channels, height, width, kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride, padH: pad, padW: pad,
    outH: Math.floor((height + 2 * pad - kernel) / stride) + 1, outW: Math.floor((width + 2 * pad - kernel) / stride) + 1,
  };
}

const geometries = [
  geometry(1, 1, 1, 1, 1, 1, 0), geometry(2, 3, 7, 5, 3, 1, 1), geometry(1, 2, 17, 31, 3, 2, 1), geometry(3, 1, 28, 28, 3, 1, 0),
  geometry(2, 4, 13, 13, 2, 2, 0), geometry(1, 3, 9, 11, 5, 3, 2), { ...geometry(2, 2, 8, 10, 3, 1, 1), kernelW: 2, outW: 11 },
  geometry(2, 3, 26, 26, 2, 2, 0), geometry(1, 2, 19, 27, 2, 2, 0), geometry(2, 5, 13, 13, 3, 1, 0),
  geometry(2, 3, 11, 9, 2, 2, 0), geometry(3, 2, 5, 7, 2, 2, 0), geometry(1, 1, 8, 8, 2, 2, 0),
];

describe.each(threadSettings)('wasm windows and composites, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  it('im2col and col2im', () => {
    for (const g of geometries) {
      const inLen = g.batch * g.channels * g.height * g.width;
      const colLen = g.batch * g.outH * g.outW * g.channels * g.kernelH * g.kernelW;
      const [xw, xc] = pair(wasm, random(inLen, inLen));
      const [cw, cc] = pair(wasm, random(colLen, 1));
      wasm.im2col(xw, cw, g); cpu.im2col(xc, cc, g);
      expectClose(wasm.read(cw), cpu.read(cc), `im2col ${JSON.stringify(g)}`, 0, 0);
      const [dw, dc] = pair(wasm, random(colLen, 2));
      wasm.col2im(dw, xw, g); cpu.col2im(dc, xc, g);
      expectClose(wasm.read(xw), cpu.read(xc), `col2im ${JSON.stringify(g)}`, 1e-6, 1e-6);
    }
  });

  it('max pooling and its backward', () => {
    for (const g of geometries) {
      const inLen = g.batch * g.channels * g.height * g.width;
      const outLen = g.batch * g.channels * g.outH * g.outW;
      const x = random(inLen, 3);
      x[0] = x[1]; // a tie: the first index must win
      const [xw, xc] = pair(wasm, x);
      const [ow, oc] = [wasm.alloc(outLen, 'float32'), cpu.alloc(outLen, 'float32')];
      const [aw, ac] = [wasm.alloc(outLen, 'int32'), cpu.alloc(outLen, 'int32')];
      wasm.maxPool(xw, ow, aw, g); cpu.maxPool(xc, oc, ac, g);
      expectClose(wasm.read(ow), cpu.read(oc), `maxPool ${JSON.stringify(g)}`, 0, 0);
      expectClose(wasm.read(aw), cpu.read(ac), `maxPool argmax ${JSON.stringify(g)}`, 0, 0);
      const [dyw, dyc] = pair(wasm, random(outLen, 4));
      const [dxw, dxc] = [wasm.alloc(inLen, 'float32'), cpu.alloc(inLen, 'float32')];
      wasm.maxPoolBackward(dyw, aw, dxw, g); cpu.maxPoolBackward(dyc, ac, dxc, g);
      expectClose(wasm.read(dxw), cpu.read(dxc), `maxPoolBackward ${JSON.stringify(g)}`, 1e-6, 1e-6);
    }
  });

  it('max pooling breaks ties like the reference (coarse values, many ties in every lane)', () => {
    for (const g of geometries) {
      const inLen = g.batch * g.channels * g.height * g.width;
      const outLen = g.batch * g.channels * g.outH * g.outW;
      const x = random(inLen, 5).map((v) => Math.round(v * 2) / 2);
      const [xw, xc] = pair(wasm, x);
      const [ow, oc] = [wasm.alloc(outLen, 'float32'), cpu.alloc(outLen, 'float32')];
      const [aw, ac] = [wasm.alloc(outLen, 'int32'), cpu.alloc(outLen, 'int32')];
      wasm.maxPool(xw, ow, aw, g); cpu.maxPool(xc, oc, ac, g);
      expectClose(wasm.read(aw), cpu.read(ac), `maxPool argmax with ties ${JSON.stringify(g)}`, 0, 0);
      for (const b of [xw, ow, aw]) wasm.free(b);
    }
  });

  it('max pooling picks the same element as the reference around NaN', () => {
    for (const g of geometries) {
      const inLen = g.batch * g.channels * g.height * g.width;
      const outLen = g.batch * g.channels * g.outH * g.outW;
      const x = random(inLen, 7).map((v, i) => (i % 7 === 3 || i % 11 === 0 ? Number.NaN : v));
      const [xw, xc] = pair(wasm, x);
      const [ow, oc] = [wasm.alloc(outLen, 'float32'), cpu.alloc(outLen, 'float32')];
      const [aw, ac] = [wasm.alloc(outLen, 'int32'), cpu.alloc(outLen, 'int32')];
      wasm.maxPool(xw, ow, aw, g); cpu.maxPool(xc, oc, ac, g);
      expectClose(wasm.read(aw), cpu.read(ac), `maxPool argmax with NaN ${JSON.stringify(g)}`, 0, 0);
      for (const b of [xw, ow, aw]) wasm.free(b);
    }
  });

  it('average pooling and its backward', () => {
    for (const g of geometries) {
      const inLen = g.batch * g.channels * g.height * g.width;
      const outLen = g.batch * g.channels * g.outH * g.outW;
      const [xw, xc] = pair(wasm, random(inLen, 5));
      const [ow, oc] = [wasm.alloc(outLen, 'float32'), cpu.alloc(outLen, 'float32')];
      wasm.avgPool(xw, ow, g); cpu.avgPool(xc, oc, g);
      expectClose(wasm.read(ow), cpu.read(oc), `avgPool ${JSON.stringify(g)}`, 1e-6, 1e-6);
      const [dyw, dyc] = pair(wasm, random(outLen, 6));
      const [dxw, dxc] = [wasm.alloc(inLen, 'float32'), cpu.alloc(inLen, 'float32')];
      wasm.avgPoolBackward(dyw, dxw, g); cpu.avgPoolBackward(dyc, dxc, g);
      expectClose(wasm.read(dxw), cpu.read(dxc), `avgPoolBackward ${JSON.stringify(g)}`, 1e-6, 1e-6);
    }
  });

  it('softmax, log-softmax and their backward passes', () => {
    for (const [rows, cols] of [[1, 1], [3, 17], [31, 10], [2, 257], [257, 3], [64, 1000]]) {
      for (const log of [false, true]) {
        const [xw, xc] = pair(wasm, random(rows * cols, cols, -20, 20));
        const [yw, yc] = [wasm.alloc(rows * cols, 'float32'), cpu.alloc(rows * cols, 'float32')];
        wasm.softmax(xw, yw, rows, cols, log); cpu.softmax(xc, yc, rows, cols, log);
        expectClose(wasm.read(yw), cpu.read(yc), `softmax log=${log} (${rows},${cols})`, 1e-5, 1e-6);
        const [y2w, y2c] = pair(wasm, wasm.read(yw));
        const [dyw, dyc] = pair(wasm, random(rows * cols, rows));
        const [dxw, dxc] = [wasm.alloc(rows * cols, 'float32'), cpu.alloc(rows * cols, 'float32')];
        wasm.softmaxBackward(y2w, dyw, dxw, rows, cols, log); cpu.softmaxBackward(y2c, dyc, dxc, rows, cols, log);
        expectClose(wasm.read(dxw), cpu.read(dxc), `softmaxBackward log=${log} (${rows},${cols})`, 1e-5, 1e-5);
      }
    }
  });

  it('softmax cross-entropy with sparse and dense targets', () => {
    for (const [rows, cols] of [[1, 1], [1, 10], [32, 10], [17, 31], [64, 257]]) {
      const [xw, xc] = pair(wasm, random(rows * cols, rows, -15, 15));
      const labels = Array.from({ length: rows }, (_, r) => (r * 7) % cols);
      const dense = random(rows * cols, 9, 0, 1);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += dense[r * cols + c];
        for (let c = 0; c < cols; c++) dense[r * cols + c] /= s;
      }
      for (const sparse of [true, false]) {
        const [tw, tc] = sparse ? pair(wasm, labels, 'int32') : pair(wasm, dense);
        const [lw, lc] = [wasm.alloc(rows, 'float32'), cpu.alloc(rows, 'float32')];
        const [pw, pc] = [wasm.alloc(rows * cols, 'float32'), cpu.alloc(rows * cols, 'float32')];
        wasm.softmaxCrossEntropy(xw, tw, sparse, lw, pw, rows, cols); cpu.softmaxCrossEntropy(xc, tc, sparse, lc, pc, rows, cols);
        expectClose(wasm.read(lw), cpu.read(lc), `sce losses sparse=${sparse} (${rows},${cols})`, 1e-5, 1e-5);
        expectClose(wasm.read(pw), cpu.read(pc), `sce probs sparse=${sparse} (${rows},${cols})`, 1e-5, 1e-6);
      }
    }
  });

  it('Adam / AdamW and SGD steps over several iterations', () => {
    for (const n of [1, 3, 17, 257, 5001]) {
      const adam = [
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: 0 },
        { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupledWeightDecay: 0.1 },
      ];
      for (const h of adam) {
        const [pw, pc] = pair(wasm, random(n, n));
        const [mw, mc] = pair(wasm, new Float32Array(n));
        const [vw, vc] = pair(wasm, new Float32Array(n));
        for (let step = 1; step <= 3; step++) {
          const [gw, gc] = pair(wasm, random(n, n + step));
          wasm.adamStep(pw, gw, mw, vw, { ...h, step }); cpu.adamStep(pc, gc, mc, vc, { ...h, step });
        }
        expectClose(wasm.read(pw), cpu.read(pc), `adam param n=${n}`, 1e-5, 1e-6);
        expectClose(wasm.read(mw), cpu.read(mc), `adam m n=${n}`, 1e-5, 1e-7);
        expectClose(wasm.read(vw), cpu.read(vc), `adam v n=${n}`, 1e-5, 1e-9);
      }
      for (const h of [
        { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
        { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 1e-3 },
        { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0 },
      ]) {
        const [pw, pc] = pair(wasm, random(n, n));
        const [vw, vc] = pair(wasm, new Float32Array(n));
        for (let step = 1; step <= 3; step++) {
          const [gw, gc] = pair(wasm, random(n, n + step));
          wasm.sgdStep(pw, gw, vw, h); cpu.sgdStep(pc, gc, vc, h);
        }
        expectClose(wasm.read(pw), cpu.read(pc), `sgd ${JSON.stringify(h)} n=${n}`, 1e-5, 1e-6);
      }
    }
  });
});
