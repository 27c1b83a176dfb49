// Optimizers, learning-rate schedules and gradient clipping.
export * from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './schedules.js';
export * from './clip.js';
