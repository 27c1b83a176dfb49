import { init } from '../src/backend/registry.js';
import { loadClassifier } from '../src/serve/load.js';
import { renderStrokes } from '../src/data/strokes.js';
import { preprocessDigit } from '../src/data/preprocess.js';
import { handwrittenSet } from '../test/helpers/handwriting.js';
import { fineTuneFewShot, scoreFewShot } from '../src/finetune/few-shot.js';
import { loadMnist } from '../src/data/mnist.js';
await init('wasm', { threads: 1 });
const toEx = (set: ReturnType<typeof handwrittenSet>) => set.map(({ digit, strokes }) => ({ label: digit, pixels: preprocessDigit(renderStrokes(strokes)) }));
const testM = toEx(handwrittenSet('mirrored', 10, 99));
const testP = toEx(handwrittenSet('plain', 10, 98));
const mn = loadMnist().test;
const tr = loadMnist().train;
const per = new Array(10).fill(0); const replay: {label:number,pixels:Float32Array}[] = [];
for (let i = 0; replay.length < 200; i++) { const l = tr.labels[i]; if (per[l] < 20) { per[l]++; replay.push({ label: l, pixels: Float32Array.from(tr.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255) }); } }
const mnist = Array.from({ length: 1000 }, (_, i) => ({ label: mn.labels[i], pixels: Float32Array.from(mn.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255) }));
const only = (digits: number[]) => toEx(handwrittenSet('mirrored', 5, 1)).filter((e) => digits.includes(e.label));
for (const digits of [[7], [2, 3, 5], [0,1,2,3,4,5,6,7,8,9]]) for (const strategy of ['head', 'full'] as const) for (const useReplay of [false, true]) {
  const { loaded, classifier } = await loadClassifier('models/mnist-cnn');
  const cfg = loaded.config;
  const b = scoreFewShot(classifier.model, mnist, cfg).accuracy;
  await fineTuneFewShot(classifier.model, cfg, only(digits), { strategy, holdout: 0, replay: useReplay ? replay : [] });
  const m = testM.filter((e) => digits.includes(e.label));
  console.log(`teach ${digits} ${strategy} replay=${useReplay}: taught mirrored ${scoreFewShot(classifier.model, m, cfg).accuracy.toFixed(2)}, all mirrored ${scoreFewShot(classifier.model, testM, cfg).accuracy.toFixed(2)}, plain ${scoreFewShot(classifier.model, testP, cfg).accuracy.toFixed(2)}, mnist ${b.toFixed(3)} -> ${scoreFewShot(classifier.model, mnist, cfg).accuracy.toFixed(3)}`);
}
