// zerograd's public API: the engine (tensors, ops, autograd, backends), nn and optim, data,
// training and evaluation, model files, metrics, reports and fine-tuning.
export * from './ops/index.js';
export { Tensor, type GradNode, type NestedArray } from './tensor/tensor.js';
export { Random, type RandomState } from './tensor/random.js';
export { getBackend, setBackend, noGrad, scope, manualSeed, globalRandom, isGradEnabled } from './tensor/engine.js';
export * from './tensor/shape.js';
export type { Backend, DataBuffer, DType } from './backend/backend.js';
export { UnaryOp, BinaryOp, ReduceOp } from './backend/backend.js';
export { CpuBackend } from './backend/cpu/cpu-backend.js';
export { init, type BackendName, type InitOptions } from './backend/registry.js';
export * from './errors.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './io/index.js';
export * from './models/index.js';
export * from './metrics/index.js';
export * from './report/index.js';
export * from './finetune/index.js';
// Both ops and data define oneHot: the tensor op keeps the name, the typed-array one is oneHotLabels.
export { oneHot } from './ops/softmax.js';
export { oneHot as oneHotLabels } from './data/labels.js';
export * from './tune/index.js';
export * as keras from './keras/index.js';
