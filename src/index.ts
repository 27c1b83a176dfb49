// zerograd's public API: tensors, ops, autograd, backends and (as they land) nn, optim, data, train.
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
export * from './finetune/index.js';
