// Serving models: the shared classifier, request parsing, the inference queue and workers, the HTTP server.
export * from './classifier.js';
export * from './inputs.js';
export * from './queue.js';
export * from './metrics.js';
export * from './static.js';
export * from './server.js';
export * from './worker.js';
export * from './worker-pool.js';
export * from './decode.js';
export * from './load.js';
