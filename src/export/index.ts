// Exporting models to other runtimes: ONNX (with a minimal protobuf writer).
export * from './onnx.js';
export * from './protobuf.js';
export * from './check.js';
