// Properties of the safetensors decoder: files written by the encoder round-trip; random bytes and
// mutated valid files (flipped bytes, truncation, header length, dtypes, shapes, offsets, duplicate
// keys) end in a decoded file whose tensors tile the data section, or in a DataError naming the file.
import fc from 'fast-check';
import { ZerogradError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER, type NamedArray, type SafetensorsDType } from '../../src/io/safetensors.js';
import type { NamedProperty } from './property.js';

const WHERE = 'prop.safetensors';

/** Named arrays with small shapes and deterministic values. */
const arraysArb = fc.uniqueArray(
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 8 }).filter((n) => n !== '__metadata__'),
    dtype: fc.constantFrom<SafetensorsDType>('F32', 'F64', 'I32'),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    seed: fc.integer({ min: -1000, max: 1000 }),
  }),
  { selector: (a) => a.name, maxLength: 5 },
).map((specs) => specs.map(({ name, dtype, shape, seed }): [string, NamedArray] => {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = dtype === 'F32' ? new Float32Array(size) : dtype === 'F64' ? new Float64Array(size) : new Int32Array(size);
  for (let i = 0; i < size; i++) values[i] = dtype === 'I32' ? seed * 7 + i : seed / 3 + i * 0.25;
  return [name, { dtype, shape, values }];
}));

const metadataArb = fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }), { nil: undefined });

/** A valid file as the saver writes it. */
const validFileArb = fc.tuple(arraysArb, metadataArb).map(([arrays, metadata]) => ({ arrays, metadata, bytes: encodeSafetensors(arrays, metadata) }));

const headerLengthOf = (bytes: Uint8Array): number => Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));

/** Splits a file into header object and data bytes; rebuilds one from them (header text as given). */
function split(bytes: Uint8Array): { header: Record<string, Record<string, unknown>>; data: Uint8Array } | null {
  if (bytes.length < 8) return null;
  const length = headerLengthOf(bytes);
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as unknown;
    if (header === null || typeof header !== 'object' || Array.isArray(header)) return null;
    for (const entry of Object.values(header)) if (entry === null || typeof entry !== 'object') return null;
    return { header: header as Record<string, Record<string, unknown>>, data: bytes.subarray(8 + length) };
  } catch {
    return null; // an earlier mutation broke the header: nothing structured to change
  }
}
function join(headerText: string, data: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** Values a mutated header field may take: near-valid numbers and shapes, and arbitrary JSON. */
const fieldValueArb = fc.oneof(
  fc.constantFrom('F32', 'F64', 'I32', 'BF16', 'F16', 'U8', 'F33', '', null),
  fc.array(fc.integer({ min: -3, max: 80 }), { maxLength: 4 }),
  fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53), fc.constant(2 ** 60)), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** One mutation of a valid file. */
type Mutation = (bytes: Uint8Array) => Uint8Array;
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips): Mutation => (bytes) => {
    const out = Uint8Array.from(bytes);
    for (const [at, value] of flips) out[at % out.length] = value;
    return out;
  }),
  fc.nat().map((n): Mutation => (bytes) => bytes.subarray(0, n % (bytes.length + 1))),
  fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -16, max: 16 }).map((d) => BigInt(d))).map((value): Mutation => (bytes) => {
    if (bytes.length < 8) return bytes;
    const out = Uint8Array.from(bytes);
    const view = new DataView(out.buffer);
    const next = value <= 16n ? view.getBigUint64(0, true) + value : value; // small values shift the true length
    view.setBigUint64(0, BigInt.asUintN(64, next), true);
    return out;
  }),
  fc.tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), fieldValueArb).map(([pick, field, value]): Mutation => (bytes) => {
    const parts = split(bytes);
    if (!parts) return bytes;
    const { header, data } = parts;
    const names = Object.keys(header).filter((n) => n !== '__metadata__');
    if (names.length === 0) header.__metadata__ = { [field]: value } as Record<string, unknown>;
    else header[names[pick % names.length]][field] = value;
    return join(JSON.stringify(header), data);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: -64, max: 64 }), fc.boolean()).map(([pick, delta, both]): Mutation => (bytes) => {
    const parts = split(bytes);
    if (!parts) return bytes;
    const { header, data } = parts;
    const names = Object.keys(header).filter((n) => n !== '__metadata__');
    if (names.length === 0) return bytes;
    const offsets = header[names[pick % names.length]].data_offsets as number[];
    if (!Array.isArray(offsets) || offsets.length !== 2) return bytes;
    offsets[both ? 0 : 1] += delta;
    if (both) offsets[1] += delta;
    return join(JSON.stringify(header), data);
  }),
  fc.nat().map((pick): Mutation => (bytes) => { // the same key twice
    const parts = split(bytes);
    if (!parts) return bytes;
    const { header, data } = parts;
    const names = Object.keys(header);
    if (names.length === 0) return bytes;
    const name = names[pick % names.length];
    const text = JSON.stringify(header);
    return join(`{${JSON.stringify(name)}:${JSON.stringify(header[name])},${text.slice(1)}`, data);
  }),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.boolean()).map(([value, asMetadata]): Mutation => (bytes) => {
    const parts = split(bytes);
    if (!parts) return bytes;
    const { header, data } = parts;
    if (asMetadata) header.__metadata__ = value as Record<string, unknown>;
    else header.added = value as Record<string, unknown>;
    return join(JSON.stringify(header), data);
  }),
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map((extra): Mutation => (bytes) => {
    const out = new Uint8Array(bytes.length + extra.length);
    out.set(bytes);
    out.set(extra, bytes.length);
    return out;
  }),
);

/** A valid file after one to three mutations. */
export const mutatedFileArb = fc.tuple(validFileArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([{ bytes }, mutations]) => mutations.reduce((b, mutate) => mutate(b), bytes));

/**
 * Decodes `bytes`: either a named DataError, or a file whose tensors exactly tile the data section
 * (so the copies allocated equal the data bytes: nothing larger than the file) with values matching shapes.
 */
function decodesOrRefuses(bytes: Uint8Array): void {
  let file;
  try {
    file = decodeSafetensors(bytes, WHERE);
  } catch (err) {
    if (err instanceof ZerogradError && err.name === 'DataError' && err.message.startsWith(`${WHERE}: `)) return;
    throw err;
  }
  const dataLength = bytes.length - 8 - headerLengthOf(bytes);
  let total = 0;
  for (const [name, t] of file.tensors) {
    const size = t.shape.reduce((p, d) => p * d, 1);
    if (t.values.length !== size) throw new Error(`'${name}': ${t.values.length} values for shape [${t.shape.join(', ')}]`);
    total += t.values.byteLength;
  }
  if (total !== dataLength) throw new Error(`decoded tensors hold ${total} bytes of a ${dataLength}-byte data section`);
  for (const [k, v] of Object.entries(file.metadata)) if (typeof v !== 'string') throw new Error(`metadata ${k} is ${typeof v}`);
}

const sameBytes = (a: NamedArray['values'], b: NamedArray['values']): boolean => {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

export const properties: NamedProperty[] = [
  {
    name: 'safetensors: what the encoder writes decodes to the same tensors, in order, and metadata',
    property: fc.property(validFileArb, ({ arrays, metadata, bytes }) => {
      const file = decodeSafetensors(bytes, WHERE);
      // File order is data order: the encoder's order for tensors that hold bytes (empty ones share offsets).
      const filled = (names: string[]) => names.filter((n) => (file.tensors.get(n)?.values.length ?? 0) > 0).join('\u0000');
      if (filled([...file.tensors.keys()]) !== filled(arrays.map(([n]) => n)) || file.tensors.size !== arrays.length) return false;
      for (const [name, array] of arrays) {
        const back = file.tensors.get(name) as NamedArray;
        if (back.dtype !== array.dtype || back.shape.join() !== array.shape.join() || !sameBytes(back.values, array.values)) return false;
      }
      return JSON.stringify(file.metadata) === JSON.stringify(metadata ?? {});
    }),
  },
  {
    name: 'safetensors: mutated valid files decode to tensors that tile the data, or a DataError naming the file',
    property: fc.property(mutatedFileArb, decodesOrRefuses),
  },
  {
    name: 'safetensors: random bytes, and random bytes behind a plausible header length, decode or are refused',
    property: fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (random, plausible) => {
      const bytes = Uint8Array.from(random);
      if (plausible && bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, BigInt((bytes[0] * 7) % (bytes.length - 7)), true);
      decodesOrRefuses(bytes);
    }),
  },
  {
    name: 'safetensors: a header length over the 100 MB cap is refused before any header byte is decoded',
    property: fc.property(fc.bigInt({ min: BigInt(MAX_HEADER) + 1n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 64 }), (length, rest) => {
      const bytes = new Uint8Array(8 + rest.length);
      new DataView(bytes.buffer).setBigUint64(0, length, true);
      bytes.set(rest, 8);
      try {
        decodeSafetensors(bytes, WHERE);
      } catch (err) {
        return err instanceof ZerogradError && /over the 100000000-byte limit/.test(err.message);
      }
      return false;
    }),
  },
];
