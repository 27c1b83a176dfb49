// Closeness of a computed tensor to a reference one, relative to the reference tensor's own scale: its
// largest magnitude, with an absolute floor of 1e-4 for tensors that are all but zero (attention's key-bias
// gradient: zero in exact arithmetic, float32 rounding noise on wasm). A gradient of size 5e-3 must then
// match to the tolerance times 5e-3, not times 1 as an element-wise max(1, |expected|) allowed.
import { expect } from 'vitest';

/** The scale errors are measured against: max |expected|, at least `floor`. */
export function tensorScale(expected: ArrayLike<number>, floor: number): number {
  let scale = floor;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  return scale;
}

/** Fails naming the first element whose error exceeds tolerance x the tensor's scale; returns the worst error / scale. */
export function expectCloseToScale(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string, floor = 1e-4): number {
  expect(actual.length, what).toBe(expected.length);
  const scale = tensorScale(expected, floor);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= tolerance * scale)) {
      expect.fail(`${what}[${i}]: ${actual[i]} vs reference ${expected[i]}: error ${error.toExponential(2)} > ${tolerance} x the tensor's scale ${scale.toExponential(2)}`);
    }
    worst = Math.max(worst, error / scale);
  }
  return worst;
}
