import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { decodeSafetensors, duplicateKey, encodeSafetensors, MAX_HEADER, type NamedArray } from '../../src/io/safetensors.js';
import { thrown } from '../data/helpers.js';

const arrays: [string, NamedArray][] = [
  ['layer.weight', { dtype: 'F32', shape: [2, 3], values: new Float32Array([1, -2, 3.5, 4, 5, 6e-8]) }],
  ['layer.bias', { dtype: 'F32', shape: [3], values: new Float32Array([0.1, 0.2, 0.3]) }],
  ['exact', { dtype: 'F64', shape: [2], values: new Float64Array([Math.PI, 1 / 3]) }],
  ['count', { dtype: 'I32', shape: [], values: new Int32Array([42]) }],
];

/** A header-and-data buffer from a raw header object or text (for malformed files). */
function rawFile(header: unknown, dataBytes = 0): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32, F64 and I32 arrays and metadata, in order', () => {
    const bytes = encodeSafetensors(arrays, { format: 'pt', note: 'hi' });
    const file = decodeSafetensors(bytes);
    expect([...file.tensors.keys()]).toEqual(arrays.map(([name]) => name));
    for (const [name, array] of arrays) {
      const back = file.tensors.get(name) as NamedArray;
      expect(back.dtype).toBe(array.dtype);
      expect(back.shape).toEqual(array.shape);
      expect(Array.from(back.values)).toEqual(Array.from(array.values));
    }
    expect(file.metadata).toEqual({ format: 'pt', note: 'hi' });
  });

  it('writes the standard layout: u64 LE header length, JSON header, 8-byte aligned data, offsets relative to the data', () => {
    const bytes = encodeSafetensors(arrays.slice(0, 2));
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + length) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    expect(header['layer.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['layer.bias'].data_offsets).toEqual([24, 36]);
    expect(bytes.length).toBe(8 + length + 36);
    expect(new Float32Array(bytes.slice(8 + length, 8 + length + 4).buffer)[0]).toBe(1);
  });

  it('decodes from a Buffer that is a view into a larger pooled ArrayBuffer', () => {
    const bytes = encodeSafetensors(arrays);
    const pool = Buffer.alloc(bytes.length + 13);
    pool.set(bytes, 13);
    const file = decodeSafetensors(pool.subarray(13));
    expect(Array.from(file.tensors.get('layer.bias')?.values ?? [])).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3])));
  });

  it('rejects truncated and malformed files with the file name and the problem', () => {
    const bytes = encodeSafetensors(arrays);
    expect(thrown(() => decodeSafetensors(bytes.subarray(0, 5), 'w.safetensors')).message).toMatch(/w\.safetensors: file is 5 bytes/);
    expect(thrown(() => decodeSafetensors(bytes.subarray(0, 40), 'w.safetensors')).message).toMatch(/header length \d+ does not fit/);
    expect(thrown(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w.safetensors')).message).toMatch(/'count'.*truncated/);
    const notJson = rawFile({});
    notJson[9] = 0x7c; // "{|"
    expect(thrown(() => decodeSafetensors(notJson)).message).toMatch(/not valid JSON/);
    notJson[8] = 0x7b + 1;
    expect(thrown(() => decodeSafetensors(notJson)).message).toMatch(/must be a JSON object starting with '\{'/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'U16', shape: [1], data_offsets: [0, 2] } }, 2))).message).toMatch(/'x' has dtype "U16"; zerograd reads F32, F64, I32, F16, BF16 and I64/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 2] } }, 2))).message).toMatch(/'x' \(F16 \[2\]\) needs more bytes/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 8))).message).toMatch(/'x'.*do not match its size/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).message).toMatch(/invalid shape/);
  });

  it('reads F16 and BF16 into float32 and I64 into float64, from bytes written by hand', () => {
    const data = Buffer.alloc(10 + 6 + 24);
    [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001].forEach((bits, i) => data.writeUInt16LE(bits, 2 * i)); // 1, -2, 0.5, 65504, 2^-24
    [0x3f80, 0xc040, 0x4049].forEach((bits, i) => data.writeUInt16LE(bits, 10 + 2 * i)); // 1, -3, 3.140625
    [7n, -5n, 2n ** 40n].forEach((v, i) => data.writeBigInt64LE(v, 16 + 8 * i));
    const bytes = rawFile({
      half: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      brain: { dtype: 'BF16', shape: [3, 1], data_offsets: [10, 16] },
      'bn.num_batches_tracked': { dtype: 'I64', shape: [3], data_offsets: [16, 40] },
    }, 40);
    bytes.set(data, bytes.length - 40);
    const { tensors } = decodeSafetensors(bytes);
    const half = tensors.get('half') as NamedArray;
    expect(half.dtype).toBe('F16');
    expect(half.values).toBeInstanceOf(Float32Array);
    expect(Array.from(half.values)).toEqual([1, -2, 0.5, 65504, 2 ** -24]);
    const brain = tensors.get('brain') as NamedArray;
    expect({ dtype: brain.dtype, shape: brain.shape, values: Array.from(brain.values) }).toEqual({ dtype: 'BF16', shape: [3, 1], values: [1, -3, 3.140625] });
    const count = tensors.get('bn.num_batches_tracked') as NamedArray;
    expect(count.values).toBeInstanceOf(Float64Array);
    expect({ dtype: count.dtype, values: Array.from(count.values) }).toEqual({ dtype: 'I64', values: [7, -5, 2 ** 40] });
    expect(thrown(() => encodeSafetensors([['half', half]])).message).toMatch(/'half' is F16; zerograd writes F32, F64 and I32/);
  });

  it('refuses arrays whose values do not fill their shape', () => {
    expect(thrown(() => encodeSafetensors([['a', { dtype: 'F32', shape: [2, 2], values: new Float32Array(3) }]])).message).toMatch(/'a' has 3 values but shape \[2, 2\]/);
  });

  describe('checks the specification', () => {
    const f32 = (begin: number, shape: number[] = [2]) => ({ dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((p, d) => p * d, 1)] });
    const refusal = (bytes: Uint8Array): string => {
      const err = thrown(() => decodeSafetensors(bytes, 'm.safetensors'));
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toMatch(/^m\.safetensors: /);
      return err.message;
    };

    it('refuses overlapping data_offsets, naming both tensors', () => {
      // b shares a's last 4 bytes: the old decoder accepted this and loaded aliased weights.
      const overlap = rawFile({ a: f32(0), b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12);
      expect(refusal(overlap)).toMatch(/tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/);
      const same = rawFile({ a: f32(0), b: f32(0) }, 8);
      expect(refusal(same)).toMatch(/'a' \[0, 8\] and 'b' \[0, 8\] overlap/);
    });

    it('refuses holes between tensors and bytes after the last one', () => {
      expect(refusal(rawFile({ a: f32(0), b: f32(12) }, 20))).toMatch(/data bytes \[8, 12\) before tensor 'b' belong to no tensor/);
      expect(refusal(rawFile({ a: f32(4) }, 12))).toMatch(/data bytes \[0, 4\) before tensor 'a'/);
      expect(refusal(rawFile({ a: f32(0) }, 16))).toMatch(/data bytes \[8, 16\) .*belong to no tensor/);
      expect(refusal(rawFile({}, 4))).toMatch(/data bytes \[0, 4\)/);
    });

    it('accepts tensors in any header order and empty tensors, and lists them in data order', () => {
      const file = decodeSafetensors(rawFile({ b: f32(8), e: { dtype: 'F32', shape: [0, 3], data_offsets: [8, 8] }, a: f32(0) }, 16));
      expect([...file.tensors.keys()]).toEqual(['a', 'e', 'b']);
      // A JSON object lists integer-like names first; the file order is the data order.
      const numeric = decodeSafetensors(encodeSafetensors([['x', arrays[1][1]], ['0', arrays[1][1]]]));
      expect([...numeric.tensors.keys()]).toEqual(['x', '0']);
      expect(file.tensors.get('e')?.values.length).toBe(0);
    });

    it('refuses a header length over the 100 MB cap before reading it, even when the file is that long', () => {
      const bytes = new Uint8Array(16);
      new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
      expect(refusal(bytes)).toMatch(/header length 9223372036854775808 is over the 100000000-byte limit/);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER + 1), true);
      expect(refusal(bytes)).toMatch(/over the 100000000-byte limit/);
    });

    it('refuses duplicate keys, at the top and inside an entry', () => {
      expect(refusal(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8))).toMatch(/key "a" twice/);
      expect(refusal(rawFile('{"a":{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}}', 8))).toMatch(/key "shape" twice/);
      expect(refusal(rawFile('{"a\\u0062":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"ab":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8))).toMatch(/key "ab" twice/);
      expect(duplicateKey('{"a":[{"a":1},{"a":2}],"b":"a\\"a","c":{"x":1,"y":{"x":2}}}')).toBeNull();
    });

    it('refuses a header that is not UTF-8, metadata that is not string to string, unknown dtypes and bad entries', () => {
      const latin1 = rawFile('{"\u00e9":1}');
      latin1[10] = 0xe9; // a lone Latin-1 byte where UTF-8 needs a sequence
      expect(refusal(latin1.subarray(0, 8 + Number(new DataView(latin1.buffer).getBigUint64(0, true))))).toMatch(/not valid UTF-8/);
      expect(refusal(rawFile({ __metadata__: { n: 1 } }))).toMatch(/__metadata__\.n must be a string, got 1/);
      expect(refusal(rawFile({ __metadata__: ['x'] }))).toMatch(/__metadata__ must be an object of strings/);
      expect(refusal(rawFile({ __metadata__: null }))).toMatch(/__metadata__ must be an object of strings/);
      expect(refusal(rawFile({ x: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4))).toMatch(/dtype "F33", which is not a safetensors dtype/);
      expect(refusal(rawFile({ x: [1, 2] }))).toMatch(/tensor 'x' must be an object/);
      expect(refusal(rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4))).toMatch(/invalid data_offsets \[4,0\]/);
      expect(refusal(rawFile({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4))).toMatch(/needs more bytes than the file's 4 data bytes/);
      expect(refusal(rawFile({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4))).toMatch(/invalid shape \[1\.5\]/);
    });
  });
});
