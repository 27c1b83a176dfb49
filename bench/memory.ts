// Memory stays flat over many training steps of the small CNN: samples RSS and the backend's
// live bytes every N steps. Usage: npm run bench -- memory [--steps 10000] [--batch 64]
// Writes bench/results/memory.json and the "Memory" section of BENCHMARKS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zg from '../src/index.js';
import { smallCnn } from './step.js';
import { replaceSection } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export async function main(args: string[]): Promise<void> {
  const steps = flag(args, '--steps', 10000);
  const batch = flag(args, '--batch', 64);
  const backend = await zg.init('wasm');
  zg.manualSeed(0);
  const model = smallCnn();
  const optimizer = new zg.Adam(model.parameters(), { lr: 1e-3 });
  const x = zg.rand([batch, 1, 28, 28]).keep();
  const y = zg.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  const samples: { step: number; rssMB: number; liveMB: number }[] = [];
  const every = Math.max(1, Math.floor(steps / 20));
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    zg.scope(() => {
      optimizer.zeroGrad();
      zg.crossEntropy(model.forwardLogits(x), y).backward();
      optimizer.step();
    });
    if (step % every === 0 || step === 1) {
      samples.push({ step, rssMB: process.memoryUsage().rss / 2 ** 20, liveMB: backend.memoryInUse() / 2 ** 20 });
      console.log(`step ${step}: rss ${samples[samples.length - 1].rssMB.toFixed(1)} MB, live tensors ${samples[samples.length - 1].liveMB.toFixed(2)} MB`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const afterWarmup = samples.filter((s) => s.step >= every);
  const rss = afterWarmup.map((s) => s.rssMB);
  const live = afterWarmup.map((s) => s.liveMB);
  const result = {
    steps, batch, seconds,
    rssMB: { first: rss[0], last: rss[rss.length - 1], min: Math.min(...rss), max: Math.max(...rss) },
    liveMB: { first: live[0], last: live[live.length - 1], min: Math.min(...live), max: Math.max(...live) },
    samples,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/memory.json'), JSON.stringify(result, null, 2));
  const body = [
    '## Memory over training steps',
    '',
    `\`npm run bench -- memory --steps ${steps} --batch ${batch}\`: the small CNN trained for ${steps} steps (batch ${batch}, Adam, one scope per step) on the wasm backend, ${seconds.toFixed(0)} s.`,
    '',
    '| measure | after step ' + every + ' | after step ' + steps + ' | min | max |',
    '|---|---|---|---|---|',
    `| process RSS (MB) | ${result.rssMB.first.toFixed(1)} | ${result.rssMB.last.toFixed(1)} | ${result.rssMB.min.toFixed(1)} | ${result.rssMB.max.toFixed(1)} |`,
    `| live tensor memory (MB) | ${result.liveMB.first.toFixed(2)} | ${result.liveMB.last.toFixed(2)} | ${result.liveMB.min.toFixed(2)} | ${result.liveMB.max.toFixed(2)} |`,
  ].join('\n');
  const path = join(root, 'BENCHMARKS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(text, 'memory', body));
}
