// Properties of the torch.save reader: archives of random tensors (dtypes, offsets, strides, shared
// storages) read back as a plain strided gather says; mutated archives, mutated pickles (zip rebuilt so
// CRCs hold) and random opcode soups end in tensors matching their shapes or in a DataError naming the file.
import fc from 'fast-check';
import { ZerogradError } from '../../src/errors.js';
import { decodeTorchStateDict } from '../../src/io/torch-checkpoint.js';
import { unpickle } from '../../src/io/torch-pickle.js';
import { op, rawBytes, stateDictPickle, torchArchive, type FixtureTensor } from '../io/torch-fixtures.js';
import { mutate, mutations } from './byte-mutations.js';
import type { NamedProperty } from './property.js';

const WHERE = 'prop.pth';

/** A tensor view inside a float32 storage of `numel` elements (strides may be anything in bounds). */
const viewArb = (numel: number) => fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => fc.tuple(
  fc.constant(shape),
  fc.array(fc.integer({ min: 0, max: 6 }), { minLength: shape.length, maxLength: shape.length }),
  fc.integer({ min: 0, max: numel }),
)).filter(([shape, strides, offset]) => shape.some((d) => d === 0) || shape.reduce((end, d, i) => end + (d - 1) * strides[i], offset) < numel);

/** An archive of up to 4 views of one float32 storage (values 0.5 * index), and the tensors it holds. */
const archiveArb = fc.integer({ min: 1, max: 24 }).chain((numel) => fc.tuple(fc.constant(numel), fc.array(viewArb(numel), { maxLength: 4 }), fc.boolean()))
  .map(([numel, views, deflate]) => {
    const storage = Float32Array.from({ length: numel }, (_, i) => i * 0.5);
    const tensors: FixtureTensor[] = views.map(([shape, strides, offset], i) => ({ name: `t${i}`, storage: '0', type: 'Float', numel, shape, strides, offset }));
    return { storage, tensors, bytes: torchArchive(tensors, { 0: rawBytes(storage) }, { deflate }) };
  });

/** The reference: a view gathered index by index. */
function gather(storage: Float32Array, t: FixtureTensor): number[] {
  const out: number[] = [];
  const walk = (d: number, at: number): void => {
    if (d === t.shape.length) { out.push(storage[at]); return; }
    for (let i = 0; i < t.shape[d]; i++) walk(d + 1, at + i * (t.strides as number[])[d]);
  };
  walk(0, t.offset ?? 0);
  return out;
}

/** Decodes: a DataError naming the file, or tensors whose value counts match their shapes. */
function readsOrRefuses(bytes: Uint8Array): void {
  let dict;
  try {
    dict = decodeTorchStateDict(bytes, WHERE);
  } catch (err) {
    if (err instanceof ZerogradError && err.name === 'DataError' && err.message.startsWith(`${WHERE}: `)) return;
    throw err;
  }
  for (const [key, t] of dict.tensors) {
    if (t.values.length !== t.shape.reduce((p, d) => p * d, 1)) throw new Error(`${key}: ${t.values.length} values for shape (${t.shape.join(', ')})`);
  }
}

/** Opcodes with small arguments, including every one the reader knows and some it refuses. */
const opcodeArb = fc.oneof(
  fc.constantFrom(op.mark, op.stop, op.emptyDict, op.emptyList, op.emptyTuple, op.tuple, op.tuple1, op.tuple2, op.tuple3, op.none, op.newTrue, op.newFalse,
    op.reduce, op.build, op.binpersid, op.setitem, op.setitems, op.append, op.appends, op.stackGlobal, [0x94], [0x64], [0x6c], [0x30], [0x69], [0x81], [0x8b, 0xff, 0xff, 0xff, 0xff]),
  fc.constantFrom(op.global('collections', 'OrderedDict'), op.global('torch._utils', '_rebuild_tensor_v2'), op.global('torch', 'FloatStorage'), op.global('os', 'system'),
    op.global('torch._tensor', '_rebuild_from_type_v2'), op.global('torch', 'Tensor'), op.str('storage'), op.str('0'), op.str('cpu'), op.shortStr('builtins'), op.shortStr('eval')),
  fc.integer({ min: -70000, max: 70000 }).map(op.int),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => op.long1(n, 9)),
  fc.integer({ min: 0, max: 6 }).map(op.binput),
  fc.integer({ min: 0, max: 6 }).map(op.binget),
  fc.constantFrom(op.proto(2), op.proto(5), [0x95, 9, 0, 0, 0, 0, 0, 0, 0], [0x58, 0xff, 0xff, 0xff, 0xff], [0x47, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]),
);

export const properties: NamedProperty[] = [
  {
    name: 'torch: archives of random views (offsets, strides, shared storage, deflated or not) read back as a strided gather says',
    property: fc.property(archiveArb, ({ storage, tensors, bytes }) => {
      const dict = decodeTorchStateDict(bytes, WHERE);
      return tensors.every((t) => {
        const got = dict.tensors.get(t.name);
        return got !== undefined && got.shape.join() === t.shape.join() && Array.from(got.values).join() === gather(storage, t).join();
      });
    }),
  },
  {
    name: 'torch: mutated archives read to tensors matching their shapes, or a DataError naming the file',
    property: fc.property(archiveArb, mutations(), ({ bytes }, edits) => readsOrRefuses(mutate(bytes, edits))),
  },
  {
    name: 'torch: archives with mutated pickles (CRCs kept valid) read or are refused',
    property: fc.property(archiveArb, mutations(), ({ storage, tensors }, edits) => {
      readsOrRefuses(torchArchive(tensors, { 0: rawBytes(storage) }, { pickle: mutate(stateDictPickle(tensors), edits) }));
    }),
  },
  {
    name: 'torch: random opcode sequences unpickle to a value or a DataError, never run anything',
    property: fc.property(fc.boolean(), fc.array(opcodeArb, { maxLength: 40 }), (proto, ops) => {
      const bytes = Uint8Array.from([...(proto ? op.proto(2) : []), ...ops.flat(), ...op.stop]);
      try {
        unpickle(bytes, WHERE);
      } catch (err) {
        if (err instanceof ZerogradError && err.name === 'DataError' && err.message.startsWith(`${WHERE}: `)) return;
        throw err;
      }
    }),
  },
];
