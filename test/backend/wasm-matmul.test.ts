// Parity of the wasm GEMM with the reference: odd and block-crossing shapes, every transA/transB combination,
// accumulate on and off, batches with stride 0 (broadcast operands), on one thread and on all threads.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { MatmulParams } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

// (m, k, n): odd sizes, the MLP's products, and shapes crossing the kc=256 / nc=512 / mc=128 blocks; m <= 2 takes the
// vector-matrix path (16-wide blocks, then up to 3 vectors and 3 scalars).
const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [3, 17, 31], [17, 31, 3], [31, 257, 17], [1, 257, 1], [257, 3, 1], [32, 784, 128], [32, 128, 10],
  [130, 300, 70], [5, 600, 9], [33, 17, 520], [129, 513, 7],
  [1, 1600, 10], [2, 33, 37], [1, 40, 16], [2, 7, 3], [1, 9, 35], [2, 300, 12], [1, 5, 1],
];

function check(wasm: WasmBackend, p: MatmulParams, seed: number): void {
  const aLen = (p.aBatchStride === 0 ? 1 : p.batch) * p.m * p.k;
  const bLen = (p.bBatchStride === 0 ? 1 : p.batch) * p.k * p.n;
  const outLen = p.batch * p.m * p.n;
  const [aw, ac] = pair(wasm, random(aLen, seed));
  const [bw, bc] = pair(wasm, random(bLen, seed + 1));
  const [ow, oc] = pair(wasm, random(outLen, seed + 2));
  wasm.matmul(aw, bw, ow, p); cpu.matmul(ac, bc, oc, p);
  // float32 accumulation over k terms of magnitude <= 1.
  const tol = 2e-7 * Math.sqrt(p.k) * 8 + 1e-6;
  expectClose(wasm.read(ow), cpu.read(oc), `matmul ${JSON.stringify(p)}`, tol, tol);
  for (const b of [aw, bw, ow]) wasm.free(b);
}

describe.each(threadSettings)('wasm matmul, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  it.each([[false, false], [true, false], [false, true], [true, true]])('transA=%s transB=%s', (transA, transB) => {
    let seed = 1;
    for (const [m, k, n] of shapes) {
      for (const accumulate of [false, true]) {
        check(wasm, { batch: 1, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n, accumulate }, seed++);
      }
    }
  });

  it('batched, including batch stride 0 for either operand', () => {
    let seed = 100;
    for (const [batch, m, k, n] of [[1, 3, 5, 7], [3, 17, 31, 9], [4, 64, 64, 64], [7, 5, 300, 33], [2, 130, 20, 9]]) {
      for (const [aStride, bStride] of [[m * k, k * n], [0, k * n], [m * k, 0]]) {
        for (const [transA, transB] of [[false, false], [true, true], [false, true]]) {
          check(wasm, { batch, m, n, k, transA, transB, aBatchStride: aStride, bBatchStride: bStride, accumulate: seed % 2 === 0 }, seed++);
        }
      }
    }
  });

  it('k = 0 writes zeros (or leaves out untouched when accumulating)', () => {
    for (const accumulate of [false, true]) {
      check(wasm, { batch: 2, m: 3, n: 5, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate }, 7);
    }
  });
});
