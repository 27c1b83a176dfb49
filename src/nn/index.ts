// Neural-network building blocks: Module, layers, initialisers, activations and configs.
export * from './module.js';
export * from './init.js';
export * from './activations.js';
export * from './layers/dense.js';
export * from './layers/conv.js';
export * from './layers/basic.js';
export * from './layers/norm.js';
export * from './layers/sequential.js';
export * from './layers/attention.js';
export * from './layers/backbone.js';
export * from './layers/vit.js';
export * from './layers/resnet.js';
export * from './layers/resize.js';
export * from './lora.js';
export * from './lora-conv.js';
export * from './registry.js';
