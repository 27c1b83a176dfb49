import { init } from '../src/backend/registry.js';
import { loadClassifier } from '../src/serve/load.js';
import { renderStrokes } from '../src/data/strokes.js';
import { preprocessDigit } from '../src/data/preprocess.js';
import { handwrittenSet } from '../test/helpers/handwriting.js';
import { fineTuneFewShot, scoreFewShot } from '../src/finetune/few-shot.js';
await init('wasm', { threads: 1 });
const toEx = (set: ReturnType<typeof handwrittenSet>) => set.map(({ digit, strokes }) => ({ label: digit, pixels: preprocessDigit(renderStrokes(strokes)) }));
const testM = toEx(handwrittenSet('mirrored', 20, 99));
const testP = toEx(handwrittenSet('plain', 20, 98));
for (const k of [3, 5]) for (const strategy of ['head', 'full'] as const) for (const steps of [60, 150]) {
  const { loaded, classifier } = await loadClassifier('models/mnist-cnn');
  const cfg = loaded.config;
  const train = toEx(handwrittenSet('mirrored', k, 1));
  const r = await fineTuneFewShot(classifier.model, cfg, train, { strategy, steps, holdout: 0 });
  const m = scoreFewShot(classifier.model, testM, cfg), p = scoreFewShot(classifier.model, testP, cfg);
  console.log(`k=${k} ${strategy} steps=${steps}: mirrored ${m.accuracy.toFixed(3)} plain ${p.accuracy.toFixed(3)} ${r.seconds.toFixed(2)}s loss ${r.losses.at(-1)?.toFixed(3)}`);
}
