// The two wasm kernel builds side by side in one run: square matmul GFLOP/s on 1 thread and all threads, and one
// training step of the seed MLP (batch 32) and the small CNN (batch 64), plain SIMD vs relaxed SIMD (FMA), rounds
// interleaved so load from other processes hits both alike. Usage: npm run bench -- kernel-builds [--quick]
// Writes bench/results/kernel-builds.json (not BENCHMARKS.md: the choice of the default build is read from it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MatmulParams } from '../src/backend/backend.js';
import { createWasmBackend, relaxedSimdSupported, type KernelBuild, type WasmBackend } from '../src/backend/wasm/index.js';
import * as zg from '../src/index.js';
import { mlp, smallCnn } from './step.js';
import { time } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));

function square(n: number): MatmulParams {
  return { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: false };
}

/** GFLOP/s of one n x n x n matmul (best sample). */
function matmulGflops(be: WasmBackend, n: number, sampleSeconds: number): number {
  const a = be.alloc(n * n, 'float32');
  const b = be.alloc(n * n, 'float32');
  const c = be.alloc(n * n, 'float32');
  be.write(a, Float32Array.from({ length: n * n }, () => Math.random() - 0.5));
  be.write(b, Float32Array.from({ length: n * n }, () => Math.random() - 0.5));
  const p = square(n);
  const seconds = time(() => be.matmul(a, b, c, p), sampleSeconds, 5).best;
  for (const buf of [a, b, c]) be.free(buf);
  return 2 * n ** 3 / seconds / 1e9;
}

/** Samples per second of forward, backward and Adam update on `be` (best of 3 timed stretches). */
function stepRate(be: WasmBackend, model: () => zg.Sequential, batch: number, steps: number): number {
  zg.setBackend(be);
  zg.manualSeed(0);
  const net = model();
  const optimizer = new zg.Adam(net.parameters(), { lr: 1e-3 });
  const x = zg.rand([batch, 1, 28, 28]).keep();
  const y = zg.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  const step = (): void => zg.scope(() => {
    optimizer.zeroGrad();
    zg.crossEntropy(net.forwardLogits(x), y).backward();
    optimizer.step();
  });
  for (let i = 0; i < Math.max(3, steps / 10); i++) step();
  let best = 0;
  for (let s = 0; s < 3; s++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    best = Math.max(best, batch * steps / ((performance.now() - t0) / 1000));
  }
  return best;
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const loadBefore = loadavg();
  const all = availableParallelism();
  const threadCounts = all > 1 ? [1, all] : [1];
  const builds: KernelBuild[] = relaxedSimdSupported() ? ['simd', 'relaxed-simd'] : ['simd'];
  if (builds.length === 1) console.log('relaxed SIMD does not validate on this engine: plain build only');
  const backends = new Map<string, WasmBackend>();
  for (const build of builds) {
    for (const t of threadCounts) backends.set(`${build} ${t}t`, await createWasmBackend({ threads: t, kernels: build }));
  }
  const rounds = quick ? 1 : 3;
  const sizes = quick ? [1024] : [256, 512, 1024];
  const matmul: Record<string, Record<string, number>> = {};
  const steps: Record<string, Record<string, number>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const n of sizes) {
      for (const [label, be] of backends) {
        matmul[n] ??= {};
        matmul[n][label] = Math.max(matmul[n][label] ?? 0, matmulGflops(be, n, quick ? 0.1 : 0.2));
      }
    }
    for (const [label, be] of backends) {
      if (!label.endsWith(`${all}t`)) continue; // training steps on all threads, as train runs
      steps[label] ??= {};
      steps[label].mlp = Math.max(steps[label].mlp ?? 0, stepRate(be, mlp, 32, quick ? 100 : 300));
      steps[label].cnn = Math.max(steps[label].cnn ?? 0, stepRate(be, smallCnn, 64, quick ? 5 : 15));
    }
  }
  for (const be of backends.values()) be.dispose();
  const loadAfter = loadavg();
  for (const n of sizes) console.log(`matmul ${n}: ${Object.entries(matmul[n]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} GFLOP/s`);
  for (const [label, s] of Object.entries(steps)) console.log(`step ${label}: mlp ${Math.round(s.mlp)}, cnn ${Math.round(s.cnn)} samples/s`);
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${all} cores, Node ${process.versions.node}, `
    + `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before / ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after`;
  console.log(machine);
  const results = { date: new Date().toISOString(), machine, builds, rounds, matmul, steps };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'kernel-builds.json'), `${JSON.stringify(results, null, 2)}\n`);
}
