// Element types of foreign array files (.npy, torch storages) and the one routine that turns their raw
// bytes, at any strides, into plain typed arrays: floats of 32 bits or less -> Float32Array, 64-bit
// floats and integers (and uint32) -> Float64Array (exact up to 2^53), smaller integers and bools -> Int32Array.

/** An element type, named as safetensors names them. */
export type ElementType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element. */
export const ELEMENT_BYTES: Record<ElementType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** The typed array an element type is read into. */
export type ElementValues = Float32Array | Float64Array | Int32Array;

/** A float16 bit pattern as a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** A reader of element `i` (in elements, not bytes) of `bytes`. */
function elementReader(bytes: Uint8Array, type: ElementType, littleEndian: boolean): (i: number) => number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = littleEndian;
  switch (type) {
    case 'F64': return (i) => v.getFloat64(i * 8, le);
    case 'F32': return (i) => v.getFloat32(i * 4, le);
    case 'F16': return (i) => halfToFloat(v.getUint16(i * 2, le));
    case 'BF16': return (i) => { bf16Scratch.setUint32(0, v.getUint16(i * 2, le) << 16); return bf16Scratch.getFloat32(0); };
    case 'I64': return (i) => Number(v.getBigInt64(i * 8, le));
    case 'U64': return (i) => Number(v.getBigUint64(i * 8, le));
    case 'I32': return (i) => v.getInt32(i * 4, le);
    case 'U32': return (i) => v.getUint32(i * 4, le);
    case 'I16': return (i) => v.getInt16(i * 2, le);
    case 'U16': return (i) => v.getUint16(i * 2, le);
    case 'I8': return (i) => v.getInt8(i);
    case 'U8': return (i) => v.getUint8(i);
    case 'BOOL': return (i) => (v.getUint8(i) === 0 ? 0 : 1);
  }
}

/** The natural output array of a type: F32 for floats of 32 bits or less, F64 for 64-bit types, I32 otherwise. */
export function outputKind(type: ElementType): 'F32' | 'F64' | 'I32' {
  if (type === 'F32' || type === 'F16' || type === 'BF16') return 'F32';
  if (type === 'F64' || type === 'I64' || type === 'U64' || type === 'U32') return 'F64';
  return 'I32';
}

/** Row-major (C-order) strides of a shape, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) { strides[d] = step; step *= shape[d]; }
  return strides;
}

/** Where a strided view reads from. `offset` and `strides` are in elements; strides are non-negative. */
export interface StridedView { shape: readonly number[]; strides: readonly number[]; offset: number }

/**
 * Reads a strided view of `bytes` (elements of `type`) into a new C-order array, of `into` or the type's
 * natural kind. The caller has checked that every index of the view lies inside `bytes`.
 */
export function readElements(bytes: Uint8Array, type: ElementType, view: StridedView, littleEndian = true, into?: 'F32' | 'F64' | 'I32'): ElementValues {
  const count = view.shape.reduce((p, d) => p * d, 1);
  const kind = into ?? outputKind(type);
  const out = kind === 'F32' ? new Float32Array(count) : kind === 'F64' ? new Float64Array(count) : new Int32Array(count);
  if (count === 0) return out;
  const dense = contiguousStrides(view.shape);
  const contiguous = view.strides.every((s, d) => view.shape[d] === 1 || s === dense[d]);
  if (contiguous && littleEndian && kind === 'F32' && type === 'F32') {
    const start = view.offset * 4;
    new Uint8Array(out.buffer).set(bytes.subarray(start, start + count * 4)); // host is little-endian (as wasm)
    return out;
  }
  const read = elementReader(bytes, type, littleEndian);
  if (contiguous) {
    for (let k = 0; k < count; k++) out[k] = read(view.offset + k);
    return out;
  }
  const rank = view.shape.length;
  const index = new Array<number>(rank).fill(0);
  let position = view.offset;
  for (let k = 0; k < count; k++) {
    out[k] = read(position);
    for (let d = rank - 1; d >= 0; d--) { // odometer over the view's indices
      index[d]++;
      position += view.strides[d];
      if (index[d] < view.shape[d]) break;
      position -= view.strides[d] * view.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** The largest element index a view reads plus one (0 when it is empty). */
export function viewExtent(view: StridedView): number {
  if (view.shape.some((d) => d === 0)) return 0;
  return view.shape.reduce((end, d, i) => end + (d - 1) * view.strides[i], view.offset) + 1;
}
