// Pretraining objectives, fine-tuning strategies, few-shot fine-tuning and pseudo-labelling (the library side of
// `zerograd pretrain` and `zerograd finetune`).
export * from './objectives.js';
export * from './mae.js';
export * from './contrastive.js';
export * from './simsiam.js';
export * from './byol.js';
export * from './probe.js';
export * from './strategies.js';
export * from './pseudo-label.js';
export * from './few-shot.js';
