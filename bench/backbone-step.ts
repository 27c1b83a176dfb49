// Throughput of one pretraining / fine-tuning step (forward + backward + AdamW) of the backbones
// on the wasm backend, to size what can be pretrained in 30 minutes on this machine.
// Usage: npx tsx bench/backbone-step.ts [batch=64] [steps=5] [case-filter]
import * as zg from '../src/index.js';
import { createObjective, type ObjectiveName } from '../src/finetune/index.js';

const batch = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 5);
const filter = process.argv[4] ?? '';

const cases: [string, () => zg.Backbone, ObjectiveName][] = [
  ['ViT default (patch 7, dim 128, depth 6), supervised', () => new zg.VisionTransformer(), 'supervised'],
  ['ViT default, MAE (mask 0.75)', () => new zg.VisionTransformer(), 'mae'],
  ['ViT default, contrastive (2 views)', () => new zg.VisionTransformer(), 'contrastive'],
  ['ViT patch 4, supervised', () => new zg.VisionTransformer({ patchSize: 4 }), 'supervised'],
  ['ResNet default, supervised', () => new zg.ResNet(), 'supervised'],
];

await zg.init('wasm');
for (const [label, make, objectiveName] of cases.filter(([l]) => l.includes(filter))) {
  zg.manualSeed(0);
  const model = make();
  const objective = createObjective(objectiveName, model);
  const optimizer = new zg.AdamW([...model.parameters(), ...(objective.head?.parameters() ?? [])], { lr: 1e-3 });
  const images = zg.rand([batch, 1, 28, 28]).keep();
  const labels = zg.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10)).keep();
  const step = () => zg.scope(() => {
    optimizer.zeroGrad();
    objective.loss(model, { images, labels }).backward();
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
  console.log(`${label}: ${model.countParameters().total.toLocaleString('en-US')} params, batch ${batch}: median ${(median * 1000).toFixed(0)} ms/step = ${(batch / median).toFixed(0)} samples/s (best ${(batch / times[0]).toFixed(0)})`);
}
process.exit(0);
