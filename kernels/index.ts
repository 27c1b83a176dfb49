// Entry point of the WebAssembly kernels: every export here is callable from src/backend/wasm.
// Memory is imported and shared; kernels never allocate (the JS side owns all buffers and scratch).
export { fill, unary, unaryBackward, affine, cast } from './elementwise';
export { binary } from './binary';
export { reduce, argmax, softmax, softmaxBackward, softmaxCrossEntropy } from './reduce';
export { stridedCopy, gather, scatterAdd } from './movement';
export { im2col, col2im, maxPool, maxPoolBackward, avgPool, avgPoolBackward } from './window';
export { matmul, gemmScratchBytes } from './gemm';
export { matmulSparseA } from './sparse-gemm';
export { adamStep, sgdStep } from './optim';
export { adamStepMany } from './optim-many';
export { batchNormForward, batchNormBackward } from './norm';
export { convEpilogue, convEpilogueBackward } from './conv';
export { winogradWeights, winogradInput, winogradOutput } from './winograd';
export { convDirect, convDirectBackwardFilter } from './conv-direct';
export { winogradGradOutput, winogradWeightsBackward, winogradInputBackward } from './winograd-grad';

/** End of static data; the JS allocator must start above it. */
export function heapBase(): usize {
  return __heap_base;
}
