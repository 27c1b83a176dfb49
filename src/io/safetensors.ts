// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header { name: { dtype, shape, data_offsets }, __metadata__? }, then the
// raw little-endian tensor bytes. Plain typed arrays in and out; no tensor engine here. Decoding
// checks everything the specification asks before copying a byte.
import { DataError, ZerogradError } from '../errors.js';
import { readElements } from './elements.js';

/**
 * The element types zerograd reads: F32, F64 and I32 (which it also writes), and F16, BF16 (read into
 * Float32Array) and I64 (read into Float64Array, exact up to 2^53) as PyTorch and Hugging Face files hold them.
 */
export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'F16' | 'BF16' | 'I64';

/** One named array: values plus shape (product of shape = values.length); `dtype` is the type as stored. */
export interface NamedArray {
  dtype: SafetensorsDType;
  shape: number[];
  values: Float32Array | Float64Array | Int32Array;
}

/** A decoded file: tensors by name, in file order (by data offset), plus the string metadata map. */
export interface SafetensorsFile {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I32: 4, F16: 2, BF16: 2, I64: 8 };
const READ = 'F32, F64, I32, F16, BF16 and I64';
/** The largest header read (100 MB, as the reference implementation), before a byte of it is decoded. */
export const MAX_HEADER = 100_000_000;

/** The dtype matching a typed array. */
export function dtypeOf(values: Float32Array | Float64Array | Int32Array): SafetensorsDType {
  if (values instanceof Float64Array) return 'F64';
  if (values instanceof Int32Array) return 'I32';
  return 'F32';
}

/** Encodes tensors (in the given order) and optional string metadata into one buffer. */
export function encodeSafetensors(tensors: Iterable<[string, NamedArray]>, metadata?: Record<string, string>): Uint8Array {
  const parts = safetensorsParts(tensors, metadata);
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/**
 * The bytes of a safetensors file as consecutive parts: the length and header, then each tensor's data, a view of
 * its values where their array already has the dtype (no copy), so a large file can be written without one buffer.
 */
export function safetensorsParts(tensors: Iterable<[string, NamedArray]>, metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const [name, array] of tensors) {
    if (name === '__metadata__') throw new ZerogradError(`safetensors: '__metadata__' cannot be a tensor name`);
    const size = array.shape.reduce((p, d) => p * d, 1);
    if (array.dtype !== 'F32' && array.dtype !== 'F64' && array.dtype !== 'I32') throw new ZerogradError(`safetensors: tensor '${name}' is ${array.dtype}; zerograd writes F32, F64 and I32`);
    if (size !== array.values.length) {
      throw new ZerogradError(`safetensors: tensor '${name}' has ${array.values.length} values but shape [${array.shape.join(', ')}]`);
    }
    const bytes = size * BYTES[array.dtype];
    header[name] = { dtype: array.dtype, shape: array.shape, data_offsets: [offset, offset + bytes] };
    const v = array.values;
    const typed = dtypeOf(v) === array.dtype ? v : array.dtype === 'F32' ? Float32Array.from(v) : array.dtype === 'F64' ? Float64Array.from(v) : Int32Array.from(v);
    data.push(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)); // little-endian host (as wasm)
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).length + 8) % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + headerBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  head.set(headerBytes, 8);
  return [head, ...data];
}

/** Every dtype the safetensors format defines (zerograd reads six of them, BYTES' keys). */
const KNOWN_DTYPES = new Set(['BOOL', 'U8', 'I8', 'U16', 'I16', 'F16', 'BF16', 'U32', 'I32', 'F32', 'U64', 'I64', 'F64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);

/** A tensor's place in the data section, for the coverage check. */
interface Span { name: string; begin: number; end: number }

/**
 * Decodes a safetensors buffer, checked as the format's specification says: a header length within
 * the file and at most 100 MB, a UTF-8 JSON object header without duplicate keys, `__metadata__`
 * string to string, known dtypes, non-negative shapes, and data_offsets whose spans have exactly the
 * dtype's size and tile the data section (contiguous, non-overlapping, no holes, nothing after).
 * `where` (a file path) prefixes every error message; errors are DataErrors. Allocates no more than
 * the header's text and objects plus one copy of the tensor bytes.
 */
export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors'): SafetensorsFile {
  if (bytes.length < 8) throw new DataError(`${where}: file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER)) {
    throw new DataError(`${where}: header length ${declared} is over the ${MAX_HEADER}-byte limit (not safetensors, or corrupt)`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    throw new DataError(`${where}: header length ${headerLength} does not fit in a ${bytes.length}-byte file (truncated or not safetensors)`);
  }
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), where);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: [string, Entry][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new DataError(`${where}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new DataError(`${where}: __metadata__.${k} must be a string, got ${JSON.stringify(v) ?? typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push([name, checkEntry(name, entry, dataLength, where)]);
  }
  checkCoverage(entries.map(([name, e]) => ({ name, begin: e.begin, end: e.end })), dataLength, where);
  // File order is data order (a JSON object lists integer-like names such as "0" first, whatever the file says).
  entries.sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  const tensors = new Map<string, NamedArray>();
  for (const [name, e] of entries) tensors.set(name, copyValues(bytes, dataStart, e));
  return { tensors, metadata };
}

/** The header bytes as a JSON object: UTF-8, starts with '{' (trailing spaces allowed), no duplicate keys. */
function parseHeader(raw: Uint8Array, where: string): Record<string, unknown> {
  if (raw.length === 0 || raw[0] !== 0x7b) throw new DataError(`${where}: header must be a JSON object starting with '{' (not safetensors?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new DataError(`${where}: header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${where}: header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new DataError(`${where}: header must be a JSON object`);
  const duplicate = duplicateKey(text);
  if (duplicate !== null) throw new DataError(`${where}: header has the key ${JSON.stringify(duplicate)} twice; safetensors forbids duplicate keys`);
  return header as Record<string, unknown>;
}

/** The first key that appears twice in one object of the (already valid) JSON `text`, or null. */
export function duplicateKey(text: string): string | null {
  const objects: (Set<string> | null)[] = []; // one per open object (a key set) or array (null)
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: skip to its closing quote
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const keys = objects[objects.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b) { objects.push(new Set()); expectKey = true; } // {
    else if (c === 0x5b) { objects.push(null); expectKey = false; } // [
    else if (c === 0x7d || c === 0x5d) objects.pop(); // } ]
    else if (c === 0x2c) expectKey = objects[objects.length - 1] !== null; // ,
  }
  return null;
}

/** A checked tensor entry: dtype, shape, element count and its span in the data section. */
interface Entry { dtype: SafetensorsDType; shape: number[]; size: number; begin: number; end: number }

function checkEntry(name: string, entry: unknown, dataLength: number, where: string): Entry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new DataError(`${where}: tensor '${name}' must be an object { dtype, shape, data_offsets }, got ${JSON.stringify(entry)}`);
  }
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const dtype = e.dtype;
  if (typeof dtype !== 'string' || !KNOWN_DTYPES.has(dtype)) {
    throw new DataError(`${where}: tensor '${name}' has dtype ${JSON.stringify(dtype)}, which is not a safetensors dtype; zerograd reads ${READ}`);
  }
  if (!(dtype in BYTES)) throw new DataError(`${where}: tensor '${name}' has dtype ${JSON.stringify(dtype)}; zerograd reads ${READ}`);
  const type = dtype as SafetensorsDType;
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new DataError(`${where}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}; expected a list of non-negative integers`);
  }
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new DataError(`${where}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  // Element count, stopping once it cannot fit (a huge shape never overflows into a wrong "match").
  let size = (shape as number[]).includes(0) ? 0 : 1;
  for (const d of shape as number[]) if (size > 0) size = Math.min(size * d, dataLength + 1);
  const shown = `${dtype} [${(shape as number[]).join(', ')}]`;
  if (size * BYTES[type] > dataLength) {
    throw new DataError(`${where}: tensor '${name}' (${shown}) needs more bytes than the file's ${dataLength} data bytes (truncated?)`);
  }
  if (end - begin !== size * BYTES[type]) {
    throw new DataError(`${where}: tensor '${name}' (${shown}) has data_offsets [${begin}, ${end}] that do not match its size of ${size * BYTES[type]} bytes`);
  }
  if (end > dataLength) {
    throw new DataError(`${where}: tensor '${name}' (${shown}) has data_offsets [${begin}, ${end}] past the end of the ${dataLength} data bytes (truncated?)`);
  }
  return { dtype: type, shape: [...(shape as number[])], size, begin, end };
}

/** The spans must tile [0, dataLength): sorted by offset, each begins where the previous ended. */
function checkCoverage(spans: Span[], dataLength: number, where: string): void {
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: Span | null = null;
  for (const span of sorted) {
    if (span.begin < at && previous) {
      throw new DataError(`${where}: tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${span.name}' [${span.begin}, ${span.end}] overlap; safetensors tensors must not share bytes`);
    }
    if (span.begin > at) throw new DataError(`${where}: data bytes [${at}, ${span.begin}) before tensor '${span.name}' belong to no tensor; safetensors data must be contiguous`);
    at = span.end;
    previous = span;
  }
  if (at !== dataLength) throw new DataError(`${where}: data bytes [${at}, ${dataLength}) after the last tensor belong to no tensor; safetensors data must be contiguous`);
}

function copyValues(bytes: Uint8Array, dataStart: number, e: Entry): NamedArray {
  if (e.dtype === 'F16' || e.dtype === 'BF16' || e.dtype === 'I64') { // converted: F16, BF16 -> F32; I64 -> F64
    const values = readElements(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, { shape: [e.size], strides: [1], offset: 0 });
    return { dtype: e.dtype, shape: e.shape, values };
  }
  const copy = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)); // an aligned copy (Buffer#slice would be a view)
  const values = e.dtype === 'F32' ? new Float32Array(copy.buffer, 0, e.size)
    : e.dtype === 'F64' ? new Float64Array(copy.buffer, 0, e.size) : new Int32Array(copy.buffer, 0, e.size);
  return { dtype: e.dtype, shape: e.shape, values };
}
