// The window geometry block the JS side writes before a window kernel: 12 i32, in order batch, channels, height,
// width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW (src/backend/wasm/wasm-backend.ts geometry()).

/** Field `field` (0-11, order above) of the geometry block at `geometry`. */
@inline export function g(geometry: usize, field: i32): i32 {
  return load<i32>(geometry + (<usize>field << 2));
}
