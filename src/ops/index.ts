// The public op surface: every function here is differentiable unless its doc says otherwise.
import './methods.js';

export * from './create.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './linalg.js';
export * from './movement.js';
export * from './conv.js';
export * from './softmax.js';
export * from './loss.js';
export * from './norm.js';
export * from './dropout.js';
export * from './update.js';
