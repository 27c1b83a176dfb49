// Throughput of one training step (forward + backward + AdamW) of the fine-tuning backbones on the
// wasm backend, to size what can be pretrained in 30 minutes. Usage: npx tsx bench/backbone-step.ts [batch] [steps]
import * as zg from '../src/index.js';

const batch = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 5);

const candidates: [string, () => zg.Backbone][] = [
  ['ViT default (patch 7, dim 128, depth 6)', () => new zg.VisionTransformer()],
  ['ViT patch 4 (dim 128, depth 6)', () => new zg.VisionTransformer({ patchSize: 4 })],
  ['ViT dim 192, depth 6, heads 3, patch 7', () => new zg.VisionTransformer({ dim: 192, heads: 3 })],
  ['ResNet default', () => new zg.ResNet()],
];

await zg.init('wasm');
zg.manualSeed(0);
for (const [label, make] of candidates) {
  const model = make();
  const optimizer = new zg.AdamW(model.parameters(), { lr: 1e-3 });
  const x = zg.randn([batch, 1, 28, 28]).keep();
  const y = zg.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  const step = () => zg.scope(() => {
    optimizer.zeroGrad();
    const loss = model.forward(x).crossEntropy(y);
    loss.backward();
    optimizer.step();
  });
  step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`${label}: ${model.countParameters().total.toLocaleString('en-US')} params, batch ${batch}: median ${(median * 1000).toFixed(0)} ms/step, best ${(times[0] * 1000).toFixed(0)} ms = ${(batch / median).toFixed(0)} samples/s (best ${(batch / times[0]).toFixed(0)})`);
}
process.exit(0);
