// A thin Keras-style facade: `new keras.Sequential([keras.layers.Flatten(...), ...])`, compile,
// fit, evaluate, predict, and `keras.datasets.mnist.loadData()`. Import as `import { keras } from 'zerograd'`.
export { NDArray } from './ndarray.js';
export * as layers from './layers.js';
export * as datasets from './datasets.js';
export { Sequential, type CompileOptions, type FitArgs, type LossName } from './model.js';
