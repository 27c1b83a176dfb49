// Kernel benchmark of the wasm backend: matmul GFLOP/s (1 thread / all threads, numpy in the same run), the
// MLP's small products, the MNIST models' conv layers (through the conv2d op), each against the 128-bit SIMD ceiling,
// and the thread cut-overs.
// Writes bench/results/kernels.json and the "Kernels" section of BENCHMARKS.md. Usage: npm run bench -- kernels [--quick]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MatmulParams } from '../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { measureCeiling, FLOP_PER_CYCLE, type Ceiling } from './kernels-ceiling.js';
import { convLayers, measureConv, type ConvResult } from './kernels-conv.js';
import { measureCutovers, type Cutover } from './kernels-cutover.js';
import { replaceSection, time } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

function matmulParams(m: number, k: number, n: number, transA = false, transB = false): MatmulParams {
  return { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0, accumulate: false };
}

/** Seconds per call of one matmul with random operands. */
function timeMatmul(be: WasmBackend, p: MatmulParams): number {
  return timeMatmulBoth(be, p).wall;
}

/**
 * Wall seconds per call (best sample) and process CPU seconds per call (10th percentile of many short samples).
 * On one thread the CPU time leaves out the time the OS gave other processes, so it is the number that survives a
 * busy machine; it is not a wall-clock speed.
 */
function timeMatmulBoth(be: WasmBackend, p: MatmulParams): { wall: number; cpu: number } {
  const a = be.alloc(p.m * p.k, 'float32');
  const b = be.alloc(p.k * p.n, 'float32');
  const c = be.alloc(p.m * p.n, 'float32');
  be.write(a, Float32Array.from({ length: p.m * p.k }, () => Math.random() - 0.5));
  be.write(b, Float32Array.from({ length: p.k * p.n }, () => Math.random() - 0.5));
  const wall = time(() => be.matmul(a, b, c, p), 0.15, 5).best;
  const cpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const reps = Math.max(1, Math.round(0.02 / wall));
  const samples: number[] = [];
  for (let s = 0; s < 40; s++) {
    const t0 = cpuSeconds();
    for (let i = 0; i < reps; i++) be.matmul(a, b, c, p);
    samples.push((cpuSeconds() - t0) / reps);
  }
  samples.sort((x, y) => x - y);
  for (const buf of [a, b, c]) be.free(buf);
  return { wall, cpu: samples[Math.floor(samples.length / 10)] };
}

function numpyGflops(sizes: number[], threads: number | undefined): Record<string, number> | string {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      continue;
    }
    const env = { ...process.env };
    if (threads !== undefined) for (const v of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) env[v] = String(threads);
    const out = execFileSync(python, [join(here, 'numpy_matmul.py'), ...sizes.map(String)], { env, encoding: 'utf8' });
    return (JSON.parse(out) as { sizes: Record<string, number> }).sizes;
  }
  return 'python3 with numpy not found';
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits);

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const loadBefore = loadavg()[0];
  const all = availableParallelism();
  const threadCounts = all > 1 ? [1, all] : [1];
  const sizes = [128, 256, 512, 1024];
  const backends = new Map<number, WasmBackend>();
  for (const t of threadCounts) backends.set(t, await createWasmBackend({ threads: t }));
  const kernels = backends.get(1)?.kernelBuild ?? 'simd';
  console.log(`wasm kernels: ${kernels} (ZEROGRAD_KERNELS=simd or relaxed-simd to choose; bench kernel-builds compares both)`);
  const ceiling = measureCeiling();
  console.log(`clock ${fmt(ceiling.clockGHz, 2)} GHz: 128-bit SIMD ceiling ${fmt(ceiling.ceilingPerCore)} GFLOP/s per core (${FLOP_PER_CYCLE} flop/cycle)`);

  // ---- square matmul ---------------------------------------------------------------------
  const square: Record<string, Record<string, number>> = {};
  for (const n of sizes) {
    square[n] = {};
    for (const [t, be] of backends) {
      const { wall, cpu } = timeMatmulBoth(be, matmulParams(n, n, n));
      square[n][`wasm_${t}t`] = 2 * n ** 3 / wall / 1e9;
      if (t === 1) square[n].wasm_1t_cpu = 2 * n ** 3 / cpu / 1e9;
    }
    console.log(`matmul ${n}: ${Object.entries(square[n]).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} GFLOP/s`);
  }
  const numpyAll = numpyGflops(sizes, undefined);
  const numpyOne = numpyGflops(sizes, 1);
  for (const n of sizes) {
    if (typeof numpyAll === 'object') square[n].numpy_all = numpyAll[n];
    if (typeof numpyOne === 'object') square[n].numpy_1t = numpyOne[n];
  }
  console.log('numpy:', JSON.stringify(numpyAll), JSON.stringify(numpyOne));

  // ---- the MLP's products (784-128-10, batch 32) ---------------------------------------------
  const mlpShapes: Array<[string, MatmulParams]> = [
    ['x@W1 32x784x128', matmulParams(32, 784, 128)],
    ['dY@W1^T 32x128x784', matmulParams(32, 128, 784, false, true)],
    ['X^T@dY 784x32x128', matmulParams(784, 32, 128, true, false)],
    ['h@W2 32x128x10', matmulParams(32, 128, 10)],
    ['dY@W2^T 32x10x128', matmulParams(32, 10, 128, false, true)],
    ['h^T@dY 128x32x10', matmulParams(128, 32, 10, true, false)],
  ];
  const mlp: Record<string, Record<string, number>> = {};
  for (const [label, p] of mlpShapes) {
    mlp[label] = {};
    for (const [t, be] of backends) {
      const seconds = timeMatmul(be, p);
      mlp[label][`us_${t}t`] = seconds * 1e6;
      mlp[label][`gflops_${t}t`] = 2 * p.m * p.n * p.k / seconds / 1e9;
    }
    console.log(`mlp ${label}: ${Object.entries(mlp[label]).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  }

  // ---- conv layers ----------------------------------------------------------------------------
  const conv: Record<string, ConvResult> = {};
  for (const layer of convLayers) {
    for (const [t, be] of backends) {
      const r = measureConv(be, layer);
      conv[`${layer.name} ${t}t`] = r;
      console.log(`conv ${layer.name} ${t}t: ${Object.entries(r).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    }
  }

  // ---- cut-overs --------------------------------------------------------------------------------
  const cutovers: Cutover[] = all > 1 ? await measureCutovers(all, quick) : [];
  for (const c of cutovers) console.log(`cutover ${c.kernel}: ${c.summary}`);

  for (const be of backends.values()) be.dispose();

  // Other processes skew every number here; the 1-minute load average before/after the run is recorded with them.
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${all} cores, Node ${process.versions.node}, ${kernels} kernels, load average ${loadBefore.toFixed(1)} before / ${loadavg()[0].toFixed(1)} after`;
  const results = { date: new Date().toISOString(), machine, ceiling, square, numpy: { all: numpyAll, oneThread: numpyOne }, mlp, conv, cutovers };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'kernels.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeMarkdown(results, threadCounts);
}

function writeMarkdown(r: {
  date: string; machine: string; ceiling: Ceiling; square: Record<string, Record<string, number>>; mlp: Record<string, Record<string, number>>;
  conv: Record<string, ConvResult>; cutovers: Cutover[];
}, threadCounts: number[]): void {
  const cell = (v: number | undefined): string => (v === undefined ? 'n/a' : fmt(v));
  const tMax = threadCounts[threadCounts.length - 1];
  /** GFLOP/s on `threads` threads as a share of the ceiling of that many cores. */
  const share = (gflops: number | undefined, threads: number): string =>
    (gflops === undefined ? 'n/a' : `${Math.round((100 * gflops) / (r.ceiling.ceilingPerCore * threads))}%`);
  const lines = [
    '## Kernels',
    '',
    `\`npm run bench -- kernels\` on ${r.machine}, ${r.date.slice(0, 10)}. Best of 5 samples; float32.`,
    '',
    `**The 128-bit SIMD ceiling.** A dependent chain of integer adds (one per cycle) measured the clock the kernels run at: ${fmt(r.ceiling.clockGHz, 2)} GHz. A core's 128-bit SIMD peak is ${FLOP_PER_CYCLE} flop per cycle (4 f32 lanes x 2 flop x 2 pipes, with mul + add on separate pipes or with FMA), so ${fmt(r.ceiling.ceilingPerCore)} GFLOP/s per core and ${fmt(r.ceiling.ceilingPerCore * tMax)} on ${tMax}; "of ceiling" below is a kernel's GFLOP/s over that for the threads it ran on. PyTorch and numpy use 256/512-bit AVX2/AVX-512 kernels on this CPU, above that ceiling.`,
    '',
    '### matmul, square (GFLOP/s)',
    '',
    'Wall clock, best of 5 samples, except "1 thread per CPU-second": FLOPs over the process CPU time of one-thread calls (10th percentile of 40 samples), which leaves out time the OS gave other processes and so approximates a quiet machine.',
    '',
    `| n | wasm 1 thread | of ceiling | wasm 1 thread per CPU-second | wasm ${tMax} threads | of ceiling | numpy 1 thread | numpy all threads | wasm/numpy (all) |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(r.square).map(([n, v]) => `| ${n} | ${cell(v.wasm_1t)} | ${share(v.wasm_1t, 1)} | ${cell(v.wasm_1t_cpu)} | ${cell(v[`wasm_${tMax}t`])} | ${share(v[`wasm_${tMax}t`], tMax)} | ${cell(v.numpy_1t)} | ${cell(v.numpy_all)} | ${v.numpy_all ? fmt(v[`wasm_${tMax}t`] / v.numpy_all, 2) : 'n/a'} |`),
    '',
    'GEMM notes: 4x8 micro-kernel (8 f32x4 accumulators, `v128.load32_splat` for A, two loads for B); its multiply-adds are one `relaxed_madd` each in the relaxed build. V8 schedules every load of a loop iteration before its arithmetic (seen with `node --print-wasm-code`), so a 5x8 kernel holds 5 A splats + 2 B + 10 accumulators = 17 values in 15 usable xmm registers and spills; FMA removes the product temporaries but not those 17 live values, so the tile stays 4x8 in both builds (14 registers). Packing transposes 4x4 tiles in registers; k is cut into equal blocks (288 -> 2 x 144); narrow outputs (n = 9, 10) are computed as C^T = B^T A^T; large products are cut into two chunks per thread, claimed dynamically.',
    '',
    '### MLP products (784-128-10, batch 32)',
    '',
    `| product | 1 thread µs | ${tMax} threads µs | GFLOP/s (${tMax} threads) | of ceiling |`,
    '|---|---|---|---|---|',
    ...Object.entries(r.mlp).map(([k, v]) => `| ${k} | ${cell(v.us_1t)} | ${cell(v[`us_${tMax}t`])} | ${cell(v[`gflops_${tMax}t`])} | ${share(v[`gflops_${tMax}t`], tMax)} |`),
    '',
    '### conv2d layers of the MNIST models (training), GFLOP/s',
    '',
    'Through the conv2d op, on the path it picks for the shape (see docs/engine.md): forward = the training forward with bias + ReLU fused; backward = input (where the layer needs it), weight and bias gradients. GFLOP/s count the direct convolution\'s 2·N·OH·OW·O·C·k·k flops per product (the backward has two, input and weight gradients; one for a first layer), so a path that does fewer multiplies (Winograd) can pass the ceiling.',
    '',
    `| layer | threads | forward | of ceiling | backward | of ceiling |`,
    '|---|---|---|---|---|---|',
    ...Object.entries(r.conv).map(([key, v]) => {
      const [name, t] = [key.slice(0, key.lastIndexOf(' ')), key.slice(key.lastIndexOf(' ') + 1)];
      const threads = Number(t.replace('t', ''));
      return `| ${name} | ${t} | ${fmt(v.forward)} | ${share(v.forward, threads)} | ${fmt(v.backward)} | ${share(v.backward, threads)} |`;
    }),
    '',
    '### Thread cut-overs',
    '',
    'Time of one call on 1 thread vs split over all threads; the threshold in `src/backend/wasm/thresholds.ts` is set near the measured cross-over (work per thread).',
    '',
    '| kernel | measurement |',
    '|---|---|',
    ...r.cutovers.map((c) => `| ${c.kernel} | ${c.summary} |`),
  ];
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'kernels', lines.join('\n')));
}
