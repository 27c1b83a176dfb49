// NumPy .npy files: "\x93NUMPY", a version, a header length, a Python dict literal header
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } (tokenized, bounded, never evaluated), then C-order data.
// Reads v1.0-3.0 and little-endian numeric dtypes (as float32); writes float32 v1.0.
import { DataError } from '../errors.js';
import { readRegularFile, writeFileAtomic } from '../data/files.js';
import { ELEMENT_BYTES, contiguousStrides, readElements, type ElementType } from './elements.js';

/** The largest header read, as NumPy's own default `max_header_size`. */
export const MAX_NPY_HEADER = 10_000;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A decoded array: float32 values in C order, its shape, and the dtype it was stored as ('<f4', '|u1', ...). */
export interface NpyArray {
  shape: number[];
  values: Float32Array;
  descr: string;
}

/** The dtypes read (converted to float32), by their NumPy descr. */
const READ_TYPES: Record<string, ElementType> = {
  '<f4': 'F32', '<f8': 'F64', '<f2': 'F16', '<i8': 'I64', '<u8': 'U64', '<i4': 'I32', '<u4': 'U32',
  '<i2': 'I16', '<u2': 'U16', '|i1': 'I8', '|u1': 'U8', '|b1': 'BOOL',
};

// ---- the header: a Python dict literal of strings, booleans and integer tuples

type HeaderValue = string | boolean | number[];

/** Parses the header text as {'key': value, ...} with string keys; anything else is a DataError. */
function parseHeader(text: string, where: string): Map<string, HeaderValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new DataError(`${where}: the .npy header is not a Python dict literal of the expected form (${what} at character ${i}): ${JSON.stringify(text.slice(0, 200))}`);
  };
  const space = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const expect = (c: string): void => { space(); if (text[i] !== c) fail(`expected '${c}'`); i++; };
  const string = (): string => {
    const quote = text[i];
    const end = text.indexOf(quote, i + 1);
    if (end < 0) fail('an unterminated string');
    const value = text.slice(i + 1, end);
    if (value.includes('\\')) fail('an escape in a string');
    i = end + 1;
    return value;
  };
  const integer = (): number => {
    const match = /^\d+/.exec(text.slice(i, i + 20));
    if (!match) fail('expected a non-negative integer');
    i += (match as RegExpExecArray)[0].length;
    if (text[i] === 'L') i++; // Python 2 longs
    const value = Number((match as RegExpExecArray)[0]);
    if (!Number.isSafeInteger(value)) fail('an integer above 2^53');
    return value;
  };
  const value = (): HeaderValue => {
    space();
    if (text[i] === "'" || text[i] === '"') return string();
    if (text.startsWith('True', i)) { i += 4; return true; }
    if (text.startsWith('False', i)) { i += 5; return false; }
    if (text[i] !== '(') fail('expected a string, True, False or a tuple of integers');
    i++;
    const items: number[] = [];
    for (;;) {
      space();
      if (text[i] === ')') { i++; return items; }
      items.push(integer());
      space();
      if (text[i] === ',') i++;
      else if (text[i] !== ')') fail("expected ',' or ')'");
      if (items.length > 64) fail('more than 64 dimensions');
    }
  };
  const out = new Map<string, HeaderValue>();
  expect('{');
  for (;;) {
    space();
    if (text[i] === '}') { i++; break; }
    if (text[i] !== "'" && text[i] !== '"') fail('expected a quoted key');
    const key = string();
    if (out.has(key)) fail(`a duplicate key '${key}'`);
    expect(':');
    out.set(key, value());
    space();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail("expected ',' or '}'");
  }
  space();
  if (i !== text.length) fail('text after the dict');
  return out;
}

const formatShape = (shape: readonly number[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

// ---- reading

/** Decodes .npy bytes; `where` (the file) starts every error message. */
export function decodeNpy(bytes: Uint8Array, where = 'array.npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataError(`${where}: not a NumPy .npy file (bad magic bytes; expected "\\x93NUMPY")`);
  }
  const [major, minor] = [bytes[6], bytes[7]];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new DataError(`${where}: .npy format version ${major}.${minor} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DataError(`${where}: truncated .npy header (${bytes.length} bytes)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > MAX_NPY_HEADER) throw new DataError(`${where}: .npy header of ${headerLength} bytes, above the ${MAX_NPY_HEADER}-byte limit`);
  if (headerStart + headerLength > bytes.length) throw new DataError(`${where}: truncated .npy header (${headerLength} bytes told, ${bytes.length - headerStart} present)`);
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    throw new DataError(`${where}: the .npy header is not valid UTF-8`);
  }
  const header = parseHeader(text, where);
  const keys = [...header.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') throw new DataError(`${where}: the .npy header has keys ${keys || 'none'}; expected exactly descr, fortran_order and shape`);
  const descr = header.get('descr');
  const fortran = header.get('fortran_order');
  const shape = header.get('shape');
  if (typeof descr !== 'string') throw new DataError(`${where}: 'descr' must be a dtype string such as '<f4'`);
  if (typeof fortran !== 'boolean') throw new DataError(`${where}: 'fortran_order' must be True or False`);
  if (!Array.isArray(shape)) throw new DataError(`${where}: 'shape' must be a tuple of integers`);
  if (fortran) throw new DataError(`${where}: the array is in Fortran order; save a C-order copy (np.save(path, np.ascontiguousarray(x)))`);
  const type = READ_TYPES[descr.replace(/^[<=|](?=[iub]1$)/, '|')];
  if (type === undefined) {
    const why = descr.startsWith('>') ? 'big-endian data is not supported' : `dtype '${descr}' is not supported`;
    throw new DataError(`${where}: ${why}; expected little-endian numbers ('<f4' best; also <f8 <f2 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1), e.g. x.astype('<f4')`);
  }
  const count = shape.reduce((p, d) => p * d, 1);
  const dataStart = headerStart + headerLength;
  const have = bytes.length - dataStart;
  const need = count * ELEMENT_BYTES[type];
  if (have < need) throw new DataError(`${where}: truncated data: shape ${formatShape(shape)} of '${descr}' needs ${need} bytes, the file has ${have}`);
  if (have > need) throw new DataError(`${where}: ${have - need} bytes after the data of shape ${formatShape(shape)} of '${descr}' (shape and data length disagree)`);
  const values = readElements(bytes.subarray(dataStart), type, { shape, strides: contiguousStrides(shape), offset: 0 }, true, 'F32') as Float32Array;
  return { shape, values, descr };
}

/** Reads a .npy file (a regular file, read no further than its size). */
export function readNpy(path: string): NpyArray {
  return decodeNpy(readRegularFile(path, 'a NumPy .npy file'), path);
}

// ---- writing

/** Encodes float32 values of `shape` as a .npy v1.0 file ('<f4', C order, header padded to 64 bytes). */
export function encodeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((p, d) => p * d, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== values.length) {
    throw new DataError(`encodeNpy: shape ${formatShape(shape)} does not hold ${values.length} values`);
  }
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new DataError(`encodeNpy: a header of ${header.length} bytes does not fit .npy v1.0`);
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}

/** Writes a float32 .npy file atomically (a temporary name, then renamed). */
export function writeNpy(path: string, values: Float32Array, shape: readonly number[]): void {
  writeFileAtomic(path, encodeNpy(values, shape));
}
