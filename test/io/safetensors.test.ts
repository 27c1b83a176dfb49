import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../../src/io/safetensors.js';
import { thrown } from '../data/helpers.js';

const arrays: [string, NamedArray][] = [
  ['layer.weight', { dtype: 'F32', shape: [2, 3], values: new Float32Array([1, -2, 3.5, 4, 5, 6e-8]) }],
  ['layer.bias', { dtype: 'F32', shape: [3], values: new Float32Array([0.1, 0.2, 0.3]) }],
  ['exact', { dtype: 'F64', shape: [2], values: new Float64Array([Math.PI, 1 / 3]) }],
  ['count', { dtype: 'I32', shape: [], values: new Int32Array([42]) }],
];

/** A header-and-data buffer from a raw header object (for malformed files). */
function rawFile(header: unknown, dataBytes = 0): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
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
    notJson[8] = 0x7b + 1;
    expect(thrown(() => decodeSafetensors(notJson)).message).toMatch(/not valid JSON/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, 2))).message).toMatch(/'x' has dtype "BF16"; zerograd reads F32, F64 and I32/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 8))).message).toMatch(/'x'.*do not match its size/);
    expect(thrown(() => decodeSafetensors(rawFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).message).toMatch(/invalid shape/);
  });

  it('refuses arrays whose values do not fill their shape', () => {
    expect(thrown(() => encodeSafetensors([['a', { dtype: 'F32', shape: [2, 2], values: new Float32Array(3) }]])).message).toMatch(/'a' has 3 values but shape \[2, 2\]/);
  });
});
