// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header { name: { dtype, shape, data_offsets }, __metadata__? }, then the
// raw little-endian tensor bytes. Plain typed arrays in and out; no tensor engine here.
import { ZerogradError } from '../errors.js';

/** The element types zerograd writes and reads. */
export type SafetensorsDType = 'F32' | 'F64' | 'I32';

/** One named array: values plus shape (product of shape = values.length). */
export interface NamedArray {
  dtype: SafetensorsDType;
  shape: number[];
  values: Float32Array | Float64Array | Int32Array;
}

/** A decoded file: tensors by name, in file order, plus the string metadata map. */
export interface SafetensorsFile {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I32: 4 };
const MAX_HEADER = 100 * 1024 * 1024;

/** The dtype matching a typed array. */
export function dtypeOf(values: Float32Array | Float64Array | Int32Array): SafetensorsDType {
  if (values instanceof Float64Array) return 'F64';
  if (values instanceof Int32Array) return 'I32';
  return 'F32';
}

/** Encodes tensors (in the given order) and optional string metadata into one buffer. */
export function encodeSafetensors(tensors: Iterable<[string, NamedArray]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: [NamedArray, number][] = [];
  let offset = 0;
  for (const [name, array] of tensors) {
    if (name === '__metadata__') throw new ZerogradError(`safetensors: '__metadata__' cannot be a tensor name`);
    const size = array.shape.reduce((p, d) => p * d, 1);
    if (size !== array.values.length) {
      throw new ZerogradError(`safetensors: tensor '${name}' has ${array.values.length} values but shape [${array.shape.join(', ')}]`);
    }
    const bytes = size * BYTES[array.dtype];
    header[name] = { dtype: array.dtype, shape: array.shape, data_offsets: [offset, offset + bytes] };
    parts.push([array, offset]);
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).length + 8) % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const dataStart = 8 + headerBytes.length;
  for (const [array, start] of parts) {
    const converted = array.dtype === 'F32' ? Float32Array.from(array.values)
      : array.dtype === 'F64' ? Float64Array.from(array.values) : Int32Array.from(array.values);
    out.set(new Uint8Array(converted.buffer, converted.byteOffset, converted.byteLength), dataStart + start);
  }
  return out;
}

/** Decodes a safetensors buffer; `where` (a file path) prefixes every error message. */
export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors'): SafetensorsFile {
  if (bytes.length < 8) throw new ZerogradError(`${where}: file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) {
    throw new ZerogradError(`${where}: header length ${headerLength} does not fit in a ${bytes.length}-byte file (truncated or not safetensors)`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (err) {
    throw new ZerogradError(`${where}: header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new ZerogradError(`${where}: header must be a JSON object`);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, NamedArray>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((entry ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new ZerogradError(`${where}: __metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.set(name, decodeEntry(bytes, dataStart, dataLength, name, entry, where));
  }
  return { tensors, metadata };
}

function decodeEntry(bytes: Uint8Array, dataStart: number, dataLength: number, name: string, entry: unknown, where: string): NamedArray {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const dtype = e?.dtype;
  if (dtype !== 'F32' && dtype !== 'F64' && dtype !== 'I32') {
    throw new ZerogradError(`${where}: tensor '${name}' has dtype ${JSON.stringify(dtype)}; zerograd reads F32, F64 and I32`);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ZerogradError(`${where}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  }
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw new ZerogradError(`${where}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const size = (shape as number[]).reduce((p, d) => p * d, 1);
  if (end - begin !== size * BYTES[dtype] || end > dataLength) {
    throw new ZerogradError(`${where}: tensor '${name}' (${dtype} [${shape.join(', ')}]) has data_offsets [${begin}, ${end}] that do not match its size or the file (${dataLength} data bytes; truncated?)`);
  }
  const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)); // an aligned copy (Buffer#slice would be a view)
  const values = dtype === 'F32' ? new Float32Array(copy.buffer, 0, size)
    : dtype === 'F64' ? new Float64Array(copy.buffer, 0, size) : new Int32Array(copy.buffer, 0, size);
  return { dtype, shape: [...(shape as number[])], values };
}
