// Properties of the .npy reader: what the writer writes reads back bit for bit; mutated files (bytes,
// truncation, header length, header text edits) and header dicts made of random tokens end in an array
// whose values match its shape, or in a DataError naming the file. Nothing is ever evaluated.
import fc from 'fast-check';
import { ZerogradError } from '../../src/errors.js';
import { decodeNpy, encodeNpy } from '../../src/io/npy.js';
import { mutate, mutations } from './byte-mutations.js';
import type { NamedProperty } from './property.js';

const WHERE = 'prop.npy';

const shapeArb = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 });
const arrayArb = shapeArb.chain((shape) => {
  const count = shape.reduce((p, d) => p * d, 1);
  return fc.tuple(fc.constant(shape), fc.array(fc.integer(), { minLength: count, maxLength: count }).map((bits) => new Float32Array(Uint32Array.from(bits).buffer)));
});

/** A .npy file of `header` text (padded) and `data`, format `version`. */
function npyFile(header: string, data: Uint8Array, version: number): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  const head = new TextEncoder().encode(header + '\n');
  const out = new Uint8Array(8 + lengthBytes + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, head.length & 0xffff, true); else view.setUint32(8, head.length, true);
  out.set(head, 8 + lengthBytes);
  out.set(data, 8 + lengthBytes + head.length);
  return out;
}

/** Header-ish texts: dict literals of random keys and values, including near-misses and Python expressions. */
const token = fc.constantFrom("'descr'", "'fortran_order'", "'shape'", "'<f4'", "'>f4'", "'|u1'", "'<f8'", "'|O'", 'True', 'False', 'None',
  '(', ')', '(2,)', '(0,)', '()', '(3, 4)', '(1L,)', ',', ':', '{', '}', ' ', "'", '"', '\\', '-1', '2**40', '99999999999999999999', "__import__('os')", 'lambda: 0', '[1]');
const headerTextArb = fc.oneof(
  fc.array(token, { maxLength: 24 }).map((t) => t.join('')),
  fc.tuple(fc.constantFrom("'<f4'", "'<i4'", "'|b1'", "'<f2'", "'<c8'", "'x'"), fc.boolean(), fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }), fc.array(token, { maxLength: 3 }))
    .map(([descr, fortran, shape, junk]) => `{'descr': ${descr}, 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), ${junk.join('')}}`),
  fc.string({ maxLength: 80 }),
);

/** Decodes: a DataError naming the file, or an array whose value count matches its shape. */
function readsOrRefuses(bytes: Uint8Array): void {
  let array;
  try {
    array = decodeNpy(bytes, WHERE);
  } catch (err) {
    if (err instanceof ZerogradError && err.name === 'DataError' && err.message.startsWith(`${WHERE}: `)) return;
    throw err;
  }
  const count = array.shape.reduce((p, d) => p * d, 1);
  if (array.values.length !== count) throw new Error(`${array.values.length} values for shape (${array.shape.join(', ')})`);
  if (array.values.byteLength > bytes.length * 8) throw new Error(`decoded ${array.values.byteLength} bytes from a ${bytes.length}-byte file`);
}

export const properties: NamedProperty[] = [
  {
    name: 'npy: what the writer writes reads back with the same shape and bits',
    property: fc.property(arrayArb, ([shape, values]) => {
      const back = decodeNpy(encodeNpy(values, shape), WHERE);
      const a = new Uint32Array(values.buffer);
      const b = new Uint32Array(back.values.buffer, back.values.byteOffset, back.values.length);
      return back.shape.join() === shape.join() && back.descr === '<f4' && a.every((v, i) => v === b[i]);
    }),
  },
  {
    name: 'npy: mutated valid files read to values matching their shape, or a DataError naming the file',
    property: fc.property(arrayArb, mutations(), ([shape, values], edits) => readsOrRefuses(mutate(encodeNpy(values, shape), edits))),
  },
  {
    name: 'npy: random header texts in any version, with random data, read or are refused, never evaluated',
    property: fc.property(headerTextArb, fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 64 }), (header, version, data) => readsOrRefuses(npyFile(header, data, version))),
  },
  {
    name: 'npy: random bytes behind the magic read or are refused',
    property: fc.property(fc.uint8Array({ maxLength: 200 }), (rest) => readsOrRefuses(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, ...rest]))),
  },
];
