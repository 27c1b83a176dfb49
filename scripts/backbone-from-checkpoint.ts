// The backbone of an unfinished `zerograd pretrain` run as a model folder, to fine-tune or evaluate it
// before the run ends: reads OUT/run.json and OUT/checkpoints/last.ckpt (the Sequential fit() trains:
// backbone at model.0.*, the objective's head at model.1.*) and writes the backbone alone, as pretrain
// writes it at the end. Usage: node --import tsx scripts/backbone-from-checkpoint.ts RUN_DIR OUT_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '../src/backend/registry.js';
import { buildBackbone } from '../src/finetune/backbones.js';
import { loadWeights, saveModel } from '../src/io/model-folder.js';
import { arraysUnder, readCheckpoint } from '../src/train/checkpoint.js';

const [run, out] = process.argv.slice(2);
if (!run || !out) {
  console.error('usage: node --import tsx scripts/backbone-from-checkpoint.ts RUN_DIR OUT_DIR');
  process.exit(2);
}
await init('cpu');
const settings = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { backbone: string; objective: string; dataset: string };
const checkpoint = readCheckpoint(join(run, 'checkpoints', 'last.ckpt'));
const { model } = buildBackbone(settings.backbone);
const trained = arraysUnder(checkpoint.arrays, 'model'); // 0.* the backbone, 1.* the objective's head
loadWeights(model, new Map([...trained].filter(([name]) => name.startsWith('0.'))), `${run}/checkpoints/last.ckpt`, ['F32', 'F64']);
mkdirSync(out, { recursive: true });
const { epoch, stepInEpoch, globalStep } = checkpoint.meta;
saveModel(out, model, {
  name: `backbone-${settings.backbone}-${settings.objective}-step${globalStep}`,
  preprocessing: { normalization: { kind: 'scale', mean: 0, std: 1 }, layout: 'image', rows: 28, cols: 28 },
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], data: settings.dataset,
}, { pretrain: { from: run, epoch, stepInEpoch, globalStep, history: checkpoint.meta.history } });
console.log(`wrote ${out}: ${settings.backbone} after ${epoch} epoch(s) and ${stepInEpoch} step(s) (${globalStep} steps) of ${settings.objective}`);
