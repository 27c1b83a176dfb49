// Where a training step's time goes: every backend call of one step of the seed MLP, the small CNN or the cnn-fast
// or cnn-best preset, summed per kernel (ms per step, calls per step), and each matmul shape with its GFLOP/s.
// With --infer: a no-grad forward pass (the serving path) at --batch N (default 1) instead of a training step.
// With --im2col: 3x3 convolutions train by im2col + GEMM instead of Winograd (the reference, for before/after numbers).
// Usage: npm run bench -- profile [mlp|cnn|cnn-fast|cnn-best] [--threads N] [--infer] [--batch N] [--im2col]
// (prints tables; writes bench/results/profile-<model>.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import * as zg from '../src/index.js';
import { winogradTraining } from '../src/ops/conv.js';
import { buildModel, preset } from '../src/models/index.js';
import { mlp, smallCnn } from './step.js';
import { instrumentBackend, type Tally } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function main(args: string[]): Promise<void> {
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'cnn';
  const threadsAt = args.indexOf('--threads');
  const base = await zg.init('wasm', threadsAt >= 0 ? { threads: Number(args[threadsAt + 1]) } : {});
  const probe = instrumentBackend(base);
  zg.setBackend(probe.backend);
  zg.manualSeed(0);
  if (args.includes('--im2col')) winogradTraining.minChannels = Infinity;
  const presetModel = which === 'cnn-fast' || which === 'cnn-best' ? buildModel(preset(which).architecture) : null;
  const model = which === 'mlp' ? mlp() : which === 'cnn' ? smallCnn() : presetModel;
  if (!model) throw new Error(`profile: unknown model '${which}'; expected mlp, cnn, cnn-fast or cnn-best`);
  const infer = args.includes('--infer');
  const batchAt = args.indexOf('--batch');
  const batch = batchAt >= 0 ? Number(args[batchAt + 1]) : infer ? 1 : which === 'mlp' ? 32 : which === 'cnn-best' ? 128 : 64;
  const optimizer = new zg.Adam(model.parameters(), { lr: 1e-3 });
  const x = zg.rand([batch, 1, 28, 28]).keep();
  const y = zg.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  if (infer) model.eval();
  const step = infer
    ? () => zg.scope(() => zg.noGrad(() => { model.forward(x).values(); }))
    : () => zg.scope(() => { optimizer.zeroGrad(); zg.crossEntropy(model.forwardLogits(x), y).backward(); optimizer.step(); });
  const steps = infer ? Math.max(200, Math.round(4000 / batch)) : which === 'mlp' ? 1000 : which === 'cnn-best' ? 10 : 40;
  for (let i = 0; i < steps / 4; i++) step();
  probe.reset();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const msPerStep = (performance.now() - t0) / steps;
  const perStep = (m: Map<string, Tally>) => [...m.entries()].map(([name, t]) => ({ name, ms: t.ms / steps, calls: t.calls / steps, gflops: t.flop ? t.flop / t.ms / 1e6 : undefined })).sort((a, b) => b.ms - a.ms);
  const kernels = perStep(probe.kernels);
  const inBackend = kernels.reduce((s, k) => s + k.ms, 0);
  const result = { model: which, mode: infer ? 'inference' : 'training', im2col: winogradTraining.minChannels === Infinity, batch, threads: base.threads, loadAverage: loadavg()[0], msPerStep, msInBackend: inBackend, msOutside: msPerStep - inBackend, kernels, matmuls: perStep(probe.shapes) };
  console.log(`${which}${infer ? ' inference' : ''}, batch ${batch}, ${base.threads} threads (load ${result.loadAverage.toFixed(1)}): ${msPerStep.toFixed(3)} ms/step, ${inBackend.toFixed(3)} in backend calls, ${(msPerStep - inBackend).toFixed(3)} outside (timing every call adds a little)`);
  console.table(kernels.map((k) => ({ kernel: k.name, 'ms/step': Number(k.ms.toFixed(3)), 'calls/step': k.calls })));
  console.table(result.matmuls.map((k) => ({ matmul: k.name, 'ms/step': Number(k.ms.toFixed(3)), 'GFLOP/s': Number((k.gflops ?? 0).toFixed(1)) })));
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, `bench/results/profile-${which}${infer ? '-infer' : ''}.json`), `${JSON.stringify(result, null, 2)}\n`);
  (base as { dispose?: () => void }).dispose?.();
}
