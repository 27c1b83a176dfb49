// Explaining predictions: saliency maps from autograd and their rendering over the digit.
export * from './saliency.js';
export * from './overlay.js';
