// Work per thread below which a kernel stays on the calling thread: a dispatch round trip costs ~10-35 us,
// so a split only pays when each share runs well past that. Measured with bench/cutover.ts on 2 cores (see BENCHMARKS.md).

export interface Thresholds {
  /** Elements per thread for memory-bound element-wise kernels (fill, affine, cheap unary, binary, copies). */
  elementwise: number;
  /** Elements per thread for unary ops that evaluate exp/log/tanh/erf/pow. */
  transcendental: number;
  /** Input elements per thread for reductions, argmax and the softmax family. */
  reduction: number;
  /** Output elements per thread for im2col / col2im and pooling. */
  window: number;
  /** Elements per thread for Adam / SGD. */
  optimizer: number;
  /** Multiply-adds (m*n*k*batch) per thread for matmul. */
  matmul: number;
}

export const defaultThresholds: Thresholds = {
  elementwise: 65536,
  transcendental: 8192,
  reduction: 65536,
  window: 32768,
  optimizer: 32768,
  matmul: 262144,
};
