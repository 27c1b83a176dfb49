// Training: fit loop, evaluation, callbacks, resumable checkpoints and progress display.
export * from './types.js';
export * from './fit.js';
export * from './evaluate.js';
export * from './callbacks.js';
export * from './checkpoint.js';
export * from './progress.js';
