// Times fine-tuning steps of an imported model folder (docs/finetune.md, "Fine-tuning imported models") and scores
// its few-label accuracy: K = 10 labels per class from the first 2,000 MNIST training images, batch 32, tested on
// the first 2,000 test images, wasm backend with 2 threads. Prints a JSON line after the training (time per step) and one after the test.
//   node --import tsx scripts/measure-finetune-imported.ts DIR head|lora|full STEPS [IMAGE_SIZE]
import { activateBackend, prepareData } from '../src/cli/pipeline.js';
import { labeledIndices, labeledSet, loadBackboneFolder, modelForArm, scoreTest, trainClassifier, type Arm } from '../src/finetune/finetune-run.js';
const [dir, arm, stepsText, sizeText] = process.argv.slice(2);
const steps = Number(stepsText);
await activateBackend('wasm', 2);
const from = loadBackboneFolder(dir, sizeText ? Number(sizeText) : undefined);
const data = prepareData('mnist', { normalize: from.preprocessing.normalization, layout: 'image', limit: 2000, seed: 0 });
const train = labeledSet(data.train, labeledIndices(data.train, 10, 0));
const { model, backbone } = modelForArm(from, arm as Arm, 0);
const t0 = performance.now();
const r = await trainClassifier(model, backbone, arm as Arm, train, { steps, batchSize: 32, seed: 0, lora: { rank: 4, alpha: 8 } });
const t1 = performance.now();
const realSteps = Math.ceil(train.count / 32) * r.history.history.length; // whole epochs of the labeled set
console.log(JSON.stringify({ dir, arm, size: from.adapted?.imageSize, summary: r.plan.summary, steps: realSteps, msPerStep: Math.round((t1 - t0) / realSteps) }));
const acc = scoreTest(r.model, data.test).accuracy;
const t2 = performance.now();
console.log(JSON.stringify({ dir, arm, size: from.adapted?.imageSize, summary: r.plan.summary, steps: realSteps, msPerStep: Math.round((t1 - t0) / realSteps), accuracy: acc, testCount: data.test.count, evalSeconds: Math.round((t2 - t1) / 1000) }));
