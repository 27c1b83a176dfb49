// zerograd's public API under Node.js: everything of the browser entry (browser.ts) plus what needs Node:
// data files (MNIST, Fashion-MNIST, IDX, CSV, images, folders), model folders and checkpoints on disk,
// reports, cross-validation and search. A program that never calls init() computes on the wasm backend.
export * from './browser.js';
// Names that browser.js and data/index.js both export (data's own Random, oneHot) would be ambiguous in `export *`
// and silently dropped: the tensor ones are named here, as in browser.ts.
export { Random } from './tensor/random.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './io/index.js';
export * from './report/index.js';
export * from './tune/index.js';
export * as keras from './keras/index.js';
export { oneHot } from './ops/softmax.js';
export { oneHot as oneHotLabels } from './data/labels.js';
