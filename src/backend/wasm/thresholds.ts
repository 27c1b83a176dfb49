// Work per thread below which a kernel stays on the calling thread. Set from `npm run bench -- kernels` (cut-over
// table in BENCHMARKS.md) on the 2-vCPU dev VM, where two threads give ~1.3x on ALU work and waking a sleeping
// worker costs 10 us to several ms: memory-bound kernels almost never gain, so their thresholds are high.

export interface Thresholds {
  /** Elements per thread for memory-bound element-wise kernels (fill, affine, cheap unary, binary, copies). */
  elementwise: number;
  /** Elements per thread for unary ops that evaluate exp/log/tanh/erf/pow. */
  transcendental: number;
  /** Input elements per thread for reductions, argmax and the softmax family. */
  reduction: number;
  /** Output elements per thread for im2col / col2im and pooling. */
  window: number;
  /** Transformed elements per thread for the Winograd tile transforms (input, output, dy, dx). */
  winograd: number;
  /** Elements per thread for Adam / SGD. */
  optimizer: number;
  /** Multiply-adds (m*n*k*batch) per thread for matmul. */
  matmul: number;
  /** Multiply-adds from which a matmul samples its A to choose the zero-skipping kernel (smaller ones stay dense). */
  sparseMatmul: number;
  /** Fraction of non-zero entries in a matmul's A at or below which the zero-skipping kernel runs (0: never). */
  sparseDensity: number;
}

export const defaultThresholds: Thresholds = {
  elementwise: 131072,
  transcendental: 16384,
  reduction: 262144,
  window: 1 << 16, // split im2col measured to win from ~17k per thread (bench kernels, quiet); small CNN step 6.6 -> 6.2 ms with 1 << 16 vs 1 << 20 (Node 26, quiet)
  winograd: 1 << 18, // small CNN step (batch 64, Node 26, quiet): 7.4 -> 6.7 ms with 1 << 18 vs 1 << 20 (2 threads); 1 << 16 no better
  optimizer: 32768, // Adam on the seed MLP's 100,352-weight matrix: 0.123 ms on one thread, 0.088 ms split in two (bench/scratch/adam-split.ts)
  matmul: 1 << 20,
  sparseMatmul: 1 << 16,
  sparseDensity: 0.3, // 32x784x128 (784x32x128 transA) on 2 threads, random data: zero-skipping 2.7x (1.5x) faster at density 0.2, 0.9-1.1x at 0.4-0.5, 0.7x at 0.7 (npm run bench -- kernels-sparse)
};
