// The zero-skipping matmul (kernels/sparse-gemm.ts) on mostly-zero left operands: the same bits as the dense GEMM
// on every shape (k blocks, column remainders, gemv rows and narrow outputs that fall back), and close to the reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatmulParams } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings } from './wasm-parity.js';

// (m, k, n): odd sizes, the MLP's first layer, k crossing the kc=256 block, n with 32-, 4- and 1-column remainders,
// m <= 2 (gemv) and narrow n (transposed output), which the kernel leaves to the dense GEMM.
const shapes: Array<[number, number, number]> = [
  [3, 17, 31], [32, 784, 128], [12, 300, 45], [37, 5, 70], [7, 600, 36], [2, 40, 33], [40, 33, 9], [5, 3, 4],
];

/** Uniform values in [-1, 1) with about `density` of them non-zero (and the rest exact zeros). */
function sparse(n: number, seed: number, density: number): Float32Array {
  const keep = random(n, seed + 99, 0, 1);
  return random(n, seed).map((v, i) => (keep[i] < density ? v : 0));
}

function run(wasm: WasmBackend, p: MatmulParams, seed: number, sparseDensity: number): Float32Array {
  const previous = { ...wasm.thresholds };
  Object.assign(wasm.thresholds, { sparseDensity, sparseMatmul: 0 });
  try {
    const [aw, ac] = pair(wasm, sparse((p.aBatchStride === 0 ? 1 : p.batch) * p.m * p.k, seed, 0.2));
    const [bw, bc] = pair(wasm, random((p.bBatchStride === 0 ? 1 : p.batch) * p.k * p.n, seed + 1));
    const [ow, oc] = pair(wasm, random(p.batch * p.m * p.n, seed + 2));
    wasm.matmul(aw, bw, ow, p); cpu.matmul(ac, bc, oc, p);
    const out = wasm.read(ow) as Float32Array;
    const tol = 2e-7 * Math.sqrt(p.k) * 8 + 1e-6;
    expectClose(out, cpu.read(oc), `matmul ${JSON.stringify(p)}`, tol, tol);
    for (const b of [aw, bw, ow]) wasm.free(b);
    return out;
  } finally {
    Object.assign(wasm.thresholds, previous);
  }
}

describe.each(threadSettings)('wasm zero-skipping matmul, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  it.each([[false, false], [true, false], [false, true]])('transA=%s transB=%s: bit-identical to the dense GEMM', (transA, transB) => {
    let seed = 1;
    for (const [m, k, n] of shapes) {
      for (const accumulate of [false, true]) {
        const p = { batch: 1, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n, accumulate };
        const dense = run(wasm, p, seed, 0); // never skips
        const skipping = run(wasm, p, seed, 1); // always skips
        expect(Array.from(skipping), `matmul ${JSON.stringify(p)}`).toEqual(Array.from(dense));
        seed++;
      }
    }
  });

  it('batched, including a broadcast (stride 0) operand', () => {
    let seed = 200;
    for (const [batch, m, k, n, aStride, bStride] of [[3, 9, 70, 40, 630, 2800], [2, 16, 300, 33, 0, 9900], [4, 5, 8, 64, 40, 0]]) {
      const p = { batch, m, n, k, transA: seed % 2 === 0, transB: false, aBatchStride: aStride, bBatchStride: bStride, accumulate: seed % 3 === 0 };
      expect(Array.from(run(wasm, p, seed, 1))).toEqual(Array.from(run(wasm, p, seed, 0)));
      seed++;
    }
  });
});
