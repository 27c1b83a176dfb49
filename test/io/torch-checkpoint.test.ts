// torch.save state dicts, built in the test as PyTorch writes them: tensors of each dtype at offsets and
// strides, shared storages, deflated and big-endian archives; hand-made hostile pickles and archives
// (os.system, unknown opcodes, deep nesting, huge lengths, views past their storage) end in named DataErrors.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { decodeTorchStateDict } from '../../src/io/torch-checkpoint.js';
import { PickleDict, unpickle } from '../../src/io/torch-pickle.js';
import { makeZip, op, rawBytes, stateDictPickle, torchArchive, type FixtureTensor } from './torch-fixtures.js';

const pickle = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
const float32 = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => (i - 3) * scale);

/** A two-tensor state dict as torch.save writes for nn.Linear(3, 2). */
function linear(): { bytes: Uint8Array; weight: Float32Array; bias: Float32Array } {
  const weight = float32(6, 0.5);
  const bias = Float32Array.from([0.25, -0.75]);
  const tensors: FixtureTensor[] = [
    { name: 'weight', storage: '0', type: 'Float', numel: 6, shape: [2, 3] },
    { name: 'bias', storage: '1', type: 'Float', numel: 2, shape: [2] },
  ];
  return { bytes: torchArchive(tensors, { 0: rawBytes(weight), 1: rawBytes(bias) }, { byteorder: 'little' }), weight, bias };
}

describe('torch.save state dicts', () => {
  it('reads a two-tensor OrderedDict in file order, stored or deflated', () => {
    const { bytes, weight, bias } = linear();
    for (const archive of [bytes, torchArchive([
      { name: 'weight', storage: '0', type: 'Float', numel: 6, shape: [2, 3] },
      { name: 'bias', storage: '1', type: 'Float', numel: 2, shape: [2] },
    ], { 0: rawBytes(weight), 1: rawBytes(bias) }, { deflate: true })]) {
      const { tensors, skipped } = decodeTorchStateDict(archive, 'linear.pth');
      expect([...tensors.keys()]).toEqual(['weight', 'bias']);
      expect(tensors.get('weight')).toEqual({ dtype: 'F32', shape: [2, 3], values: weight });
      expect(tensors.get('bias')).toEqual({ dtype: 'F32', shape: [2], values: bias });
      expect(skipped).toEqual([]);
    }
  });

  it('copies views out of shared storages at their offsets and strides, and converts each dtype', () => {
    const storage = float32(12);
    const half = Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0x0001]); // 1, -2, inf, 2^-24
    const bf16 = Uint16Array.from([0x3f80, 0xc040]); // 1, -3
    const tensors: FixtureTensor[] = [
      { name: 'full', storage: '0', type: 'Float', numel: 12, shape: [3, 4] },
      { name: 'transposed', storage: '0', type: 'Float', numel: 12, shape: [4, 3], strides: [1, 4] },
      { name: 'row2', storage: '0', type: 'Float', numel: 12, offset: 8, shape: [4] },
      { name: 'everyOther', storage: '0', type: 'Float', numel: 12, offset: 1, shape: [2, 2], strides: [6, 2] },
      { name: 'scalar', storage: '0', type: 'Float', numel: 12, offset: 5, shape: [] },
      { name: 'half', storage: '1', type: 'Half', numel: 4, shape: [4] },
      { name: 'bf16', storage: '2', type: 'BFloat16', numel: 2, shape: [2] },
      { name: 'double', storage: '3', type: 'Double', numel: 2, shape: [2] },
      { name: 'bn.num_batches_tracked', storage: '4', type: 'Long', numel: 1, shape: [] },
      { name: 'empty', storage: '5', type: 'Float', numel: 0, shape: [0, 3] },
    ];
    const archive = torchArchive(tensors, {
      0: rawBytes(storage), 1: rawBytes(half), 2: rawBytes(bf16), 3: rawBytes(Float64Array.from([0.1, -1e300])), 4: rawBytes(BigInt64Array.from([123456789012n])), 5: new Uint8Array(0),
    });
    const t = decodeTorchStateDict(archive, 'views.pth').tensors;
    expect(Array.from(t.get('full')!.values)).toEqual(Array.from(storage));
    expect(Array.from(t.get('transposed')!.values)).toEqual([-3, 1, 5, -2, 2, 6, -1, 3, 7, 0, 4, 8]);
    expect(Array.from(t.get('row2')!.values)).toEqual([5, 6, 7, 8]);
    expect(Array.from(t.get('everyOther')!.values)).toEqual([-2, 0, 4, 6]);
    expect(t.get('scalar')).toEqual({ dtype: 'F32', shape: [], values: Float32Array.from([2]) });
    expect(t.get('half')).toEqual({ dtype: 'F16', shape: [4], values: Float32Array.from([1, -2, Infinity, 2 ** -24]) });
    expect(Array.from(t.get('bf16')!.values)).toEqual([1, -3]);
    expect(t.get('double')).toEqual({ dtype: 'F64', shape: [2], values: Float64Array.from([0.1, -1e300]) });
    expect(t.get('bn.num_batches_tracked')).toEqual({ dtype: 'I64', shape: [], values: Float64Array.from([123456789012]) });
    expect(t.get('empty')!.shape).toEqual([0, 3]);
  });

  it('swaps bytes when archive/byteorder says big', () => {
    const big = new Uint8Array(8);
    new DataView(big.buffer).setFloat32(0, 1.5, false);
    new DataView(big.buffer).setFloat32(4, -2, false);
    const archive = torchArchive([{ name: 'w', storage: '0', type: 'Float', numel: 2, shape: [2] }], { 0: big }, { byteorder: 'big' });
    expect(Array.from(decodeTorchStateDict(archive).tensors.get('w')!.values)).toEqual([1.5, -2]);
  });

  it('refuses globals outside the allow-list by name, before anything runs', () => {
    const attack = pickle(op.proto(2), op.global('os', 'system'), op.str('touch /tmp/pwned'), op.tuple1, op.reduce, op.stop);
    expect(() => unpickle(attack, 'evil.pth: archive/data.pkl')).toThrow('evil.pth: archive/data.pkl: global os.system is not a tensor state dict (allowed: collections.OrderedDict');
    const archive = torchArchive([], {}, { pickle: attack });
    expect(() => decodeTorchStateDict(archive, 'evil.pth')).toThrow(/global os\.system is not a tensor state dict .*\(pickle opcode GLOBAL at byte \d+\); refusing to load/);
    const stacked = pickle(op.proto(4), op.shortStr('builtins'), op.shortStr('eval'), op.stackGlobal, op.stop);
    expect(() => unpickle(stacked, 'p')).toThrow('global builtins.eval is not a tensor state dict');
    const storageCall = pickle(op.proto(2), op.global('torch', 'FloatStorage'), op.emptyTuple, op.reduce, op.stop);
    expect(() => unpickle(storageCall, 'p')).toThrow('torch.FloatStorage cannot be called');
    const inst = pickle(op.proto(2), op.mark, [0x69], [...new TextEncoder().encode('os\nsystem\n')], op.stop);
    expect(() => unpickle(inst, 'p')).toThrow('an unsupported opcode (pickle opcode INST at byte 3)');
  });

  it('ends hostile pickles in named errors: huge lengths, bad memo, deep nesting, stack misuse', () => {
    const cases: [Uint8Array, string][] = [
      [pickle(op.proto(2), [0x58, 0xff, 0xff, 0xff, 0x7f], op.stop), 'truncated pickle: 2147483647 bytes asked'],
      [pickle(op.proto(2), [0x8d, 0, 0, 0, 0, 0, 0, 0, 0x40], op.stop), 'beyond the pickle\'s end'],
      [pickle(op.proto(2), op.binget(7), op.stop), 'memo key 7 was never stored'],
      [pickle(op.proto(2), op.setitem, op.stop), 'stack underflow'],
      [pickle(op.proto(2), op.none, op.none, op.stop), '2 values left on the stack at STOP'],
      [pickle(op.proto(2), op.emptyList, op.str('k'), op.none, op.setitem, op.stop), 'SETITEM on a list, not a dict'],
      [pickle(op.proto(2), op.emptyDict, op.emptyList, op.none, op.setitem, op.stop), 'a dict key of type a list'],
      [pickle(op.proto(2), op.emptyDict, op.mark, op.none, op.setitems, op.stop), 'an odd number (1) of keys and values'],
      [pickle(op.proto(1), op.none, op.stop), 'pickle protocol 1; expected 2 to 5'],
      [pickle(op.proto(2), op.none), 'truncated pickle: 1 bytes asked, 0 left'],
      [pickle(op.proto(2), [0x58, 2, 0, 0, 0, 0xc3, 0x28], op.stop), 'a string that is not valid UTF-8'],
      [pickle(op.proto(2), op.str('storage'), op.binpersid, op.stop), "a persistent id string storage that is not ('storage', torch.<Type>Storage, key, location, numel)"],
      [pickle(op.proto(2), [0x63], Array(300).fill(0x61), op.stop), 'a GLOBAL name that is unterminated or longer than 200 bytes'],
    ];
    for (const [bytes, message] of cases) {
      expect(() => unpickle(bytes, 'h.pkl'), message).toThrow(DataError);
      expect(() => unpickle(bytes, 'h.pkl'), message).toThrow(message);
    }
    const depth = 200_000; // nested lists: no recursion, so no stack overflow
    const nested = new Uint8Array(2 + 2 * depth);
    nested.set(op.proto(2));
    nested.fill(op.emptyList[0], 2, 2 + depth).fill(op.append[0], 2 + depth, 1 + 2 * depth).fill(op.stop[0], 1 + 2 * depth);
    expect(Array.isArray(unpickle(nested, 'deep.pkl'))).toBe(true);
    const selfRef = pickle(op.proto(2), op.emptyList, op.binput(0), op.binget(0), op.append, op.stop);
    const list = unpickle(selfRef, 'loop.pkl') as unknown[];
    expect(list[0]).toBe(list);
  });

  it('names archive problems: no data.pkl, missing or short storages, views past the storage, non-tensor entries', () => {
    const w = rawBytes(float32(4));
    const one = (t: Partial<FixtureTensor>, storages: Record<string, Uint8Array> = { 0: w }): Uint8Array => torchArchive([{ name: 'w', storage: '0', type: 'Float', numel: 4, shape: [4], ...t }], storages);
    expect(() => decodeTorchStateDict(makeZip([['x/other', w]]), 'a.pth')).toThrow('a.pth: a torch.save archive has one <name>/data.pkl entry; this zip has 0 (entries: x/other)');
    expect(() => decodeTorchStateDict(one({ storage: '9' }), 'a.pth')).toThrow('a.pth: tensor w refers to storage 9, but the archive has no archive/data/9');
    expect(() => decodeTorchStateDict(one({ numel: 5 }), 'a.pth')).toThrow('storage archive/data/0 has 16 bytes; 5 Float elements need 20');
    expect(() => decodeTorchStateDict(one({ offset: 2, shape: [3] }), 'a.pth')).toThrow('tensor w of size (3), stride (1) and offset 2 reads element 4 of a 4-element storage');
    expect(() => decodeTorchStateDict(one({ shape: [100000, 100000], strides: [0, 0] }), 'a.pth')).toThrow('the tensors take more than');
    const twoNames = torchArchive([{ name: 'a', storage: '0', type: 'Float', numel: 4, shape: [4] }, { name: 'b', storage: '0', type: 'Float', numel: 400, shape: [400] }], { 0: w });
    expect(() => decodeTorchStateDict(twoNames, 'a.pth')).toThrow('a.pth: storage 0 is named as 4 Float elements and, by b, as 400 Float');
    const twoTypes = torchArchive([{ name: 'a', storage: '0', type: 'Float', numel: 4, shape: [4] }, { name: 'b', storage: '0', type: 'Int', numel: 4, shape: [4] }], { 0: w });
    expect(() => decodeTorchStateDict(twoTypes, 'a.pth')).toThrow('and, by b, as 4 Int');
    expect(() => decodeTorchStateDict(new Uint8Array([0x80, 2, 0x7d, 0x2e]), 'old.pth')).toThrow('old.pth: a legacy torch.save file (PyTorch < 1.6');
    expect(() => decodeTorchStateDict(new Uint8Array(30), 'z.pth')).toThrow('z.pth: not a torch.save zip archive');
    const corrupt = linear().bytes;
    corrupt[corrupt.length - 200] ^= 0xff; // inside the central directory or a storage
    expect(() => decodeTorchStateDict(corrupt, 'c.pth')).toThrow(DataError);
    const list = torchArchive([], {}, { pickle: pickle(op.proto(2), op.emptyList, op.stop) });
    expect(() => decodeTorchStateDict(list, 'l.pth')).toThrow('l.pth: holds a list, not a state dict (a dict of tensors)');
    const checkpoint = torchArchive([], {}, { pickle: pickle(op.proto(2), op.emptyDict, op.str('epoch'), op.int(3), op.setitem, op.str('model'), op.emptyDict, op.setitem, op.stop) });
    expect(() => decodeTorchStateDict(checkpoint, 'ck.pth')).toThrow('ck.pth: holds no tensors at its top level (keys: epoch, model); a training checkpoint?');
  });

  it('reports entries that are not tensors', () => {
    const base = stateDictPickle([{ name: 'w', storage: '0', type: 'Float', numel: 1, shape: [1] }]);
    const withExtra = Uint8Array.from([...base.slice(0, -1)]); // drop STOP: the state dict is on the stack
    const patched = pickle([...withExtra], op.str('note'), op.str('hello'), op.setitem, op.stop);
    const archive = torchArchive([], { 0: rawBytes(Float32Array.from([2])) }, { pickle: patched });
    const { tensors, skipped } = decodeTorchStateDict(archive);
    expect([...tensors.keys()]).toEqual(['w']);
    expect(skipped).toEqual(['note (string hello)']);
    expect(unpickle(stateDictPickle([]), 'x')).toBeInstanceOf(PickleDict);
  });
});
