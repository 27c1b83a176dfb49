// The Tensor: a shape, a dtype and a reference-counted buffer on one backend, plus the
// autograd fields (requiresGrad, grad, the node that made it). Math methods are declared
// here and attached by src/ops/methods.ts, so that ops can import Tensor without a cycle.
import type { Backend, DataBuffer, DType } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { inScope, track, type Disposable } from './engine.js';
import { formatShape, sizeOf, type Shape } from './shape.js';

/** Memory shared by a tensor and its reshaped views; freed when the last user lets go. */
export class Storage {
  private refs = 1;
  constructor(readonly backend: Backend, readonly buffer: DataBuffer) {}

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) this.backend.free(this.buffer);
  }
}

/** How a tensor was made, for backward(): its inputs and the local chain rule. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients with respect to each input, given the gradient of the output (null = none). */
  backward(dy: Tensor): readonly (Tensor | null)[];
}

// Tensors that were never disposed give their memory back when garbage-collected.
const finalizer = new FinalizationRegistry<Storage>((storage) => storage.release());

export type NestedArray = number | NestedArray[];

/** An n-dimensional array of float32 (or int32) numbers with reverse-mode autograd. */
export class Tensor implements Disposable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  readonly storage: Storage;
  /** When true, backward() computes this tensor's gradient (set on parameters). */
  requiresGrad = false;
  /** The accumulated gradient of a leaf tensor after backward(). */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, or null for leaves. */
  node: GradNode | null = null;
  /** Optional name used in error messages and summaries. */
  name: string | undefined;
  private keptFlag = false;
  private disposedFlag = false;
  private registered = false;

  constructor(storage: Storage, shape: Shape, dtype: DType) {
    this.storage = storage;
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = sizeOf(shape);
    if (this.size > storage.buffer.length) {
      throw new ShapeError(`Tensor: shape ${formatShape(shape)} needs ${this.size} elements, buffer has ${storage.buffer.length}`);
    }
    // Inside a scope the scope frees the tensor; the finalizer (costly per tensor) is only
    // registered for tensors that live outside scopes or escape one (see escape()).
    if (inScope()) track(this);
    else this.escape();
  }

  /** Called when the tensor outlives every scope: from then on garbage collection frees it. */
  escape(): void {
    if (this.registered || this.disposedFlag) return;
    this.registered = true;
    finalizer.register(this, this.storage, this);
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get buffer(): DataBuffer {
    this.assertAlive('use');
    return this.storage.buffer;
  }

  get rank(): number {
    return this.shape.length;
  }

  get kept(): boolean {
    return this.keptFlag;
  }

  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** Marks the tensor to survive the scopes it was made in (parameters, optimizer state). */
  keep(): this {
    this.keptFlag = true;
    this.escape();
    return this;
  }

  /** Frees the memory now. Using the tensor afterwards throws. Idempotent. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    if (this.registered) finalizer.unregister(this);
    this.storage.release();
    if (this.grad !== null) {
      this.grad.dispose();
      this.grad = null;
    }
    this.node = null;
  }

  /** The values as float32 (or int32 for int tensors), copied out of the backend. */
  data(): Float32Array | Int32Array {
    const raw = this.backend.read(this.buffer);
    const values = raw.length === this.size ? raw : raw.subarray(0, this.size);
    if (this.dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values);
    return values instanceof Float32Array ? values : Float32Array.from(values);
  }

  /** The values at the backend's own precision (float64 on the reference backend). */
  values(): Float64Array | Float32Array | Int32Array {
    const raw = this.backend.read(this.buffer);
    return raw.length === this.size ? raw : raw.subarray(0, this.size);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor has shape ${formatShape(this.shape)}, expected exactly one element`);
    return this.values()[0];
  }

  /** The values as nested JavaScript arrays. */
  toArray(): NestedArray {
    const flat = Array.from(this.values());
    if (this.shape.length === 0) return flat[0];
    const build = (axis: number, offset: number): NestedArray[] => {
      const size = this.shape[axis];
      const stride = sizeOf(this.shape.slice(axis + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < size; i++) {
        out.push(axis === this.shape.length - 1 ? flat[offset + i] : build(axis + 1, offset + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  private assertAlive(action: string): void {
    if (this.disposedFlag) {
      throw new Error(`Tensor${this.name ? ` '${this.name}'` : ''} ${formatShape(this.shape)} was disposed (freed by dispose() or by the scope it was made in); cannot ${action} it`);
    }
  }
}
