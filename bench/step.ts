// One full training step (forward, backward, Adam update) of the seed MLP (784-128-10, batch 32)
// and the small CNN (batch 64) on the wasm backend, and how much of it is spent outside the
// arithmetic kernels (JS per-op overhead). Usage: npm run bench -- step [--quick]
// Writes bench/results/step.json and the "Training step" section of BENCHMARKS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import * as zg from '../src/index.js';
import { instrumentBackend, replaceSection, type BackendProbe } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function mlp(): zg.Sequential {
  return new zg.Sequential([new zg.Flatten(), new zg.Dense({ units: 128, activation: 'relu' }), new zg.Dense({ units: 10, activation: 'softmax' })], { inputShape: [1, 28, 28] });
}

export function smallCnn(): zg.Sequential {
  return new zg.Sequential([
    new zg.Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }), new zg.MaxPool2D(),
    new zg.Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }), new zg.MaxPool2D(),
    new zg.Flatten(), new zg.Dense({ units: 10 }),
  ], { inputShape: [1, 28, 28] });
}

interface StepResult { msPerStep: number; samplesPerSecond: number; msOutsideKernels: number }

function measure(model: zg.Sequential, batch: number, steps: number, probe: BackendProbe): StepResult {
  const optimizer = new zg.Adam(model.parameters(), { lr: 1e-3 });
  const x = zg.rand([batch, 1, 28, 28]).keep();
  const y = zg.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  const step = () => zg.scope(() => {
    optimizer.zeroGrad();
    zg.crossEntropy(model.forwardLogits(x), y).backward();
    optimizer.step();
  });
  for (let i = 0; i < Math.max(5, steps / 10); i++) step();
  probe.reset();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t0) / 1000;
  const msPerStep = (seconds / steps) * 1000;
  return { msPerStep, samplesPerSecond: (batch * steps) / seconds, msOutsideKernels: ((seconds - probe.totalMs() / 1000) / steps) * 1000 };
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const loadBefore = loadavg()[0];
  const base = await zg.init('wasm');
  const probe = instrumentBackend(base);
  zg.setBackend(probe.backend);
  zg.manualSeed(0);
  const results = {
    threads: base.threads,
    kernels: base.kernelBuild ?? 'none',
    mlp: measure(mlp(), 32, quick ? 300 : 2000, probe),
    cnn: measure(smallCnn(), 64, quick ? 10 : 60, probe),
  };
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/step.json'), JSON.stringify(results, null, 2));
  const row = (name: string, r: StepResult, batch: number) =>
    `| ${name} | ${batch} | ${r.msPerStep.toFixed(3)} | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} | ${r.msOutsideKernels.toFixed(3)} |`;
  const body = [
    '## Training step',
    '',
    `\`npm run bench -- step${quick ? ' --quick' : ''}\` on the wasm backend (${results.kernels} kernels, Node ${process.versions.node}) with ${results.threads} threads (load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; ${new Date().toISOString().slice(0, 16)} UTC): forward, backward and Adam update of one batch, one memory scope per step. "Outside kernels" is wall time minus time inside backend calls (JS per-op overhead: graph recording, allocation, shape checks).`,
    '',
    '| model | batch | ms/step | samples/s | ms outside kernels |',
    '|---|---|---|---|---|',
    row('seed MLP 784-128-10', results.mlp, 32),
    row('small CNN (conv32-pool-conv64-pool-dense10)', results.cnn, 64),
  ].join('\n');
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'step', body));
  (base as { dispose?: () => void }).dispose?.();
}
