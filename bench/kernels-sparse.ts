// The zero-skipping matmul against the dense GEMM on the seed MLP's two large products, at several densities of A,
// on one thread and on all threads: where sparseDensity (src/backend/wasm/thresholds.ts) should sit.
// Usage: npm run bench -- kernels-sparse. Prints a table and writes bench/results/kernels-sparse.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import type { MatmulParams } from '../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const products: Array<[string, MatmulParams]> = [
  ['(32 x 784) @ (784 x 128)', { batch: 1, m: 32, n: 128, k: 784, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: false }],
  ['(784 x 32) @ (32 x 128) transA', { batch: 1, m: 784, n: 128, k: 32, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: false }],
];
const densities = [0.2, 0.4, 0.5, 0.7, 0.9];

/** Best of 5 samples of microseconds per call of `p` with A at `density`, dense (skip false) or zero-skipping. */
function time(wasm: WasmBackend, p: MatmulParams, density: number, skip: boolean): number {
  const a = wasm.alloc(p.m * p.k, 'float32');
  const b = wasm.alloc(p.k * p.n, 'float32');
  const out = wasm.alloc(p.m * p.n, 'float32');
  wasm.write(a, Float32Array.from({ length: p.m * p.k }, () => (Math.random() < density ? Math.random() : 0)));
  wasm.write(b, Float32Array.from({ length: p.k * p.n }, () => Math.random() - 0.5));
  Object.assign(wasm.thresholds, { sparseDensity: skip ? 1 : 0, sparseMatmul: 0 });
  let best = Infinity;
  for (let sample = 0; sample < 5; sample++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) wasm.matmul(a, b, out, p);
    best = Math.min(best, ((performance.now() - t0) / 200) * 1000);
  }
  for (const buffer of [a, b, out]) wasm.free(buffer);
  return best;
}

export async function main(): Promise<void> {
  const rows: Array<{ threads: number; product: string; density: number; denseUs: number; skippingUs: number }> = [];
  for (const threads of [1, 2]) {
    const wasm = await createWasmBackend({ threads });
    for (const [product, p] of products) {
      for (const density of densities) {
        rows.push({ threads, product, density, denseUs: time(wasm, p, density, false), skippingUs: time(wasm, p, density, true) });
      }
    }
    wasm.dispose();
  }
  console.table(rows.map((r) => ({ ...r, denseUs: r.denseUs.toFixed(1), skippingUs: r.skippingUs.toFixed(1), speedup: (r.denseUs / r.skippingUs).toFixed(2) })));
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.versions.node}`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/kernels-sparse.json'), JSON.stringify({ node: process.versions.node, loadavg: loadavg(), rows }, null, 2));
}
