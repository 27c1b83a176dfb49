// zerograd as a head-to-head peer: the public API on the wasm backend, threads = cores.
// Train jobs run through `fit()` (src/train), the loop users run, with a callback that times the
// steps after the warm-up and stops at the planned step or the time budget. The time-to-99% job
// uses runner.ts's epoch loop (one scope() per step) so its scoring matches the other peers.
// Usage (what bench/compare.ts runs): node --import tsx bench/peers/zerograd.ts '<job json>'
import * as zg from '../../src/index.js';
import { buildModel as buildFromConfig, preset } from '../../src/models/index.js';
import type { MatmulResult, ModelName } from './protocol.js';
import { runMain, type NodePeer, type Trainer } from './runner.js';
import { evaluate, fit, type Callback } from '../../src/train/index.js';
import { time } from '../timing.js';

/** The seed MLP (784-128-10 relu), the small CNN or the cnn-fast preset, ending in logits (cross-entropy is fused). */
export function buildModel(model: ModelName): zg.Sequential {
  if (model === 'cnn-fast') return buildFromConfig(preset('cnn-fast').architecture);
  if (model === 'mlp') {
    return new zg.Sequential([new zg.Flatten(), new zg.Dense({ units: 128, activation: 'relu' }), new zg.Dense({ units: 10 })], { inputShape: [1, 28, 28] });
  }
  return new zg.Sequential([
    new zg.Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }), new zg.MaxPool2D(), // (B, 1, 28, 28) -> (B, 32, 13, 13)
    new zg.Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }), new zg.MaxPool2D(), // -> (B, 64, 5, 5)
    new zg.Flatten(), new zg.Dense({ units: 10 }), // -> (B, 10)
  ], { inputShape: [1, 28, 28] });
}

let threads = 0;

const peer: NodePeer = {
  async setup() {
    const backend = await zg.init('wasm');
    threads = (backend as { threads?: number }).threads ?? 1;
    const kernels = (backend as { kernelBuild?: string }).kernelBuild ?? 'unknown';
    return { engine: 'zerograd', backend: 'wasm', threads, kernels, node: process.versions.node, trainingLoop: 'fit() from src/train (progress off)' };
  },

  async trainRun(job, train, test, repeat) {
    zg.manualSeed(job.seed + repeat);
    const net = buildModel(job.model);
    const optimizer = new zg.Adam(net.parameters(), { lr: job.lr });
    const planned = job.steps ?? Math.floor(train.count / job.batchSize);
    let step = 0;
    let timedSteps = 0;
    let lastLoss: number | null = null;
    let t0 = performance.now();
    let t1 = t0;
    const timer: Callback = {
      key: 'bench-timer',
      onBatchBegin() {
        if (step === job.warmupSteps) t0 = performance.now();
      },
      onBatchEnd(ctx, logs) {
        t1 = performance.now();
        step++;
        if (step > job.warmupSteps) timedSteps++;
        lastLoss = logs.loss;
        if (step >= planned || (timedSteps >= 2 && (t1 - t0) / 1000 > job.maxSeconds)) ctx.stop('callback');
      },
    };
    await fit(net, train, { epochs: 1, batchSize: job.batchSize, optimizer, callbacks: [timer], seed: job.seed + repeat, dropLast: true, progress: 'none', log: () => {} });
    const seconds = (t1 - t0) / 1000;
    const testAccuracy = job.evalCount > 0 ? evaluate(net, test, { batchSize: 1000, indices: Int32Array.from({ length: job.evalCount }, (_, i) => i) }).accuracy : null;
    return { samplesPerSecond: (timedSteps * job.batchSize) / seconds, timedSteps, seconds, trainedSamples: step * job.batchSize, testAccuracy, lastLoss };
  },

  trainer(model, lr, seed) {
    zg.manualSeed(seed);
    const net = buildModel(model);
    const optimizer = new zg.Adam(net.parameters(), { lr });
    let loss: number | null = null;
    let lossTensor: zg.Tensor | null = null;
    const trainer: Trainer = {
      step(x, y, size, lr) {
        if (lr !== undefined) optimizer.lr = lr;
        lossTensor?.dispose();
        lossTensor = zg.scope(() => {
          optimizer.zeroGrad();
          const l = zg.crossEntropy(net.forwardLogits(zg.tensor(x, { shape: [size, 1, 28, 28] })), zg.tensor(y));
          l.backward();
          optimizer.step();
          return l.keep();
        });
      },
      sync() {
        if (lossTensor) loss = lossTensor.item();
        return loss;
      },
      logits(x, size) {
        net.eval();
        const out = zg.noGrad(() => zg.scope(() => net.forwardLogits(zg.tensor(x, { shape: [size, 1, 28, 28] })).data() as Float32Array));
        net.train();
        return out;
      },
      dispose() {
        lossTensor?.dispose();
      },
    };
    return trainer;
  },

  predictor(model, seed) {
    zg.manualSeed(seed);
    const net = buildModel(model);
    return (x, size) => zg.noGrad(() => zg.scope(() => net.forward(zg.tensor(x, { shape: [size, 1, 28, 28] })).data()));
  },

  matmul(sizes) {
    const samples: Record<string, number[]> = {};
    for (const n of sizes) {
      const a = zg.rand([n, n]).keep();
      const b = zg.rand([n, n]).keep();
      const runs: number[] = [];
      for (let s = 0; s < 5; s++) {
        const t = time(() => zg.scope(() => { zg.matmul(a, b); }), 0.1, 1);
        runs.push((2 * n ** 3) / t.median / 1e9);
      }
      samples[String(n)] = runs;
      a.dispose();
      b.dispose();
    }
    return { zerograd: samples } satisfies MatmulResult;
  },
};

if (import.meta.url === `file://${process.argv[1]}`) await runMain(peer);
