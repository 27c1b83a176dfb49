// Saving and loading models: safetensors weights plus JSON config and metrics in one folder.
export * from './safetensors.js';
export * from './model-folder.js';
export * from './from-bytes.js';
