// Exporting models to other runtimes: ONNX (with a minimal protobuf writer) and PyTorch (model.py + state dict).
export * from './onnx.js';
export * from './pytorch.js';
export * from './protobuf.js';
export * from './check.js';
