// NDArray: a plain typed array with a shape, the facade's stand-in for a NumPy array (`x / 255`
// is `x.div(255)`). Host memory only; fit() and evaluate() turn it into batches.
import { ShapeError } from '../errors.js';

/** A row-major array of numbers with a shape, e.g. MNIST images (60000, 28, 28) as bytes. */
export class NDArray {
  constructor(readonly values: Float32Array | Uint8Array, readonly shape: readonly number[]) {
    const size = shape.reduce((p, d) => p * d, 1);
    if (size !== values.length) throw new ShapeError(`NDArray: shape (${shape.join(', ')}) holds ${size} values, got ${values.length}`);
  }

  /** Number of rows (the first axis). */
  get length(): number {
    return this.shape[0] ?? 0;
  }

  /** Element-wise division as float32, e.g. `xTrain.div(255)`. */
  div(divisor: number): NDArray {
    const out = new Float32Array(this.values.length);
    for (let i = 0; i < out.length; i++) out[i] = this.values[i] / divisor;
    return new NDArray(out, this.shape);
  }

  /** The same values with another shape; one axis may be -1 (inferred). */
  reshape(shape: readonly number[]): NDArray {
    const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const resolved = shape.map((d) => (d === -1 ? this.values.length / known : d));
    return new NDArray(this.values, resolved);
  }

  /** The first `count` rows (a view, for quick runs). */
  head(count: number): NDArray {
    const rows = Math.min(count, this.length);
    const rowSize = this.values.length / Math.max(1, this.length);
    return new NDArray(this.values.subarray(0, rows * rowSize), [rows, ...this.shape.slice(1)]);
  }
}
