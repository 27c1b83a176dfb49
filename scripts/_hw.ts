import { init } from '../src/backend/registry.js';
import { loadClassifier } from '../src/serve/load.js';
import { renderStrokes } from '../src/data/strokes.js';
import { preprocessDigit } from '../src/data/preprocess.js';
import { handwrittenSet } from '../test/helpers/handwriting.js';
await init('wasm', { threads: 1 });
const { classifier } = await loadClassifier('models/mnist-cnn');
for (const style of ['plain', 'mirrored', 'slanted'] as const) {
  const set = handwrittenSet(style, 20, 7);
  const perClass = new Array(10).fill(0);
  let ok = 0;
  for (const { digit, strokes } of set) {
    const p = classifier.predict(preprocessDigit(renderStrokes(strokes)))[0];
    if (p.label === digit) { ok++; perClass[digit]++; }
  }
  console.log(style, (ok / set.length).toFixed(3), perClass.join(' '));
}
