// The .npy reader and writer: round trips, the dtypes and versions read, each named error, and files
// written and read by NumPy itself when /usr/bin/python3 has numpy (skipped otherwise).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { decodeNpy, encodeNpy, MAX_NPY_HEADER, readNpy, writeNpy } from '../../src/io/npy.js';
import { tempDir } from '../data/helpers.js';
import { pythonWith } from '../helpers/python.js';

/** A .npy file with a hand-written header (padded as NumPy pads it) and raw data. */
function npy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  let text = header;
  text += ' '.repeat((64 - ((8 + lengthBytes + text.length + 1) % 64)) % 64) + '\n';
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + lengthBytes + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, head.length, true); else view.setUint32(8, head.length, true);
  out.set(head, 8 + lengthBytes);
  out.set(data, 8 + lengthBytes + head.length);
  return out;
}
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const python = pythonWith('numpy');

describe('npy', () => {
  const dir = tempDir('zerograd-npy-');

  it('round-trips float32 arrays of any rank, with the header padded to 64 bytes', () => {
    for (const shape of [[], [0], [5], [2, 3], [2, 1, 3, 2]]) {
      const count = shape.reduce((p, d) => p * d, 1);
      const values = Float32Array.from({ length: count }, (_, i) => i * 0.5 - 1);
      const bytes = encodeNpy(values, shape);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      const back = decodeNpy(bytes);
      expect(back.shape).toEqual(shape);
      expect(back.descr).toBe('<f4');
      expect(Array.from(back.values)).toEqual(Array.from(values));
    }
    expect(new TextDecoder().decode(encodeNpy(new Float32Array(3), [3]).subarray(10, 70))).toContain("'shape': (3,), }");
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow('shape (2, 3) does not hold 5 values');
  });

  it('reads v2.0 and v3.0 headers and converts <f8, <f2, <i4, <i8, |u1 and |b1 to float32', () => {
    expect(Array.from(decodeNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", bytesOf(new Float64Array([1.5, -2])), 2)).values)).toEqual([1.5, -2]);
    expect(Array.from(decodeNpy(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", bytesOf(new Uint16Array([0x3c00, 0xc000, 0x3555])), 3)).values)).toEqual([1, -2, Math.fround(0.333251953125)]);
    expect(Array.from(decodeNpy(npy('{"descr": "<i4", "fortran_order": False, "shape": (2, 1)}', bytesOf(new Int32Array([-7, 9])))).values)).toEqual([-7, 9]);
    expect(Array.from(decodeNpy(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1L,), }", bytesOf(new BigInt64Array([-3n])))).values)).toEqual([-3]);
    expect(Array.from(decodeNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", Uint8Array.from([0, 128, 255]))).values)).toEqual([0, 128, 255]);
    expect(Array.from(decodeNpy(npy("{'descr': '|b1', 'shape': (2,), 'fortran_order': False}", Uint8Array.from([0, 3]))).values)).toEqual([0, 1]);
  });

  it('names each problem and the file', () => {
    const f4 = (shape: string, data = new Uint8Array(0), extra = ''): Uint8Array => npy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, ${extra}}`, data);
    const cases: [Uint8Array, string][] = [
      [new TextEncoder().encode('PK\x03\x04 not numpy'), 'x.npy: not a NumPy .npy file (bad magic bytes'],
      [Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 4, 0, 0, 0, 0, 0]), '.npy format version 4.0 is not supported (expected 1.0, 2.0 or 3.0)'],
      [npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), "big-endian data is not supported; expected little-endian numbers ('<f4' best"],
      [npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), "dtype '|O' is not supported"],
      [npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), "dtype '<c8' is not supported"],
      [npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)), 'the array is in Fortran order; save a C-order copy'],
      [npy("__import__('os').system('echo hi')"), 'the .npy header is not a Python dict literal of the expected form'],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) + (3,), }"), 'not a Python dict literal'],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }"), 'not a Python dict literal'],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"), 'expected a non-negative integer'],
      [f4('(1,)', new Uint8Array(4), "'extra': 'x', "), 'the .npy header has keys descr, extra, fortran_order, shape; expected exactly descr, fortran_order and shape'],
      [npy("{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }"), "a duplicate key 'descr'"],
      [f4('(2, 3)', new Uint8Array(20)), "truncated data: shape (2, 3) of '<f4' needs 24 bytes, the file has 20"],
      [f4('(2,)', new Uint8Array(12)), "4 bytes after the data of shape (2,) of '<f4' (shape and data length disagree)"],
      [f4('(99999999999, 99999999999, 99999999999)'), 'truncated data'],
      [npy('{}').subarray(0, 9), 'not a NumPy .npy file'],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }").subarray(0, 30), 'truncated .npy header (118 bytes told, 20 present)'],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeNpy(bytes, 'x.npy'), message).toThrow(DataError);
      expect(() => decodeNpy(bytes, 'x.npy'), message).toThrow(message);
    }
    const huge = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4), 2);
    new DataView(huge.buffer).setUint32(8, 2 ** 31, true);
    expect(() => decodeNpy(huge, 'x.npy')).toThrow(`.npy header of 2147483648 bytes, above the ${MAX_NPY_HEADER}-byte limit`);
  });

  it('reads and writes files: regular files only, atomically', () => {
    const path = join(dir, 'a.npy');
    writeNpy(path, Float32Array.from([1, 2, 3, 4]), [2, 2]);
    expect(readNpy(path).shape).toEqual([2, 2]);
    expect(() => readNpy(join(dir, 'missing.npy'))).toThrow(`${join(dir, 'missing.npy')}: file not found`);
    expect(() => readNpy(dir)).toThrow('is a folder, not a regular file; expected a NumPy .npy file');
    execFileSync('mkfifo', [join(dir, 'pipe.npy')]);
    expect(() => readNpy(join(dir, 'pipe.npy'))).toThrow('is a FIFO (named pipe), not a regular file');
  });

  it.skipIf(python === null)('reads what NumPy writes and NumPy reads what it writes (needs a python3 with numpy)', () => {
    const theirs = join(dir, 'numpy.npy');
    const ours = join(dir, 'ours.npy');
    writeNpy(ours, Float32Array.from([0.25, -1, 0.125, 7, 8, 9]), [2, 3]);
    const script = [
      'import numpy as np, sys',
      `np.save(${JSON.stringify(theirs)}, np.arange(24, dtype='<f4').reshape(2, 3, 4) / 7)`,
      `x = np.load(${JSON.stringify(ours)}, allow_pickle=False)`,
      'print(x.dtype, x.shape, " ".join(repr(float(v)) for v in x.ravel()))',
    ].join('\n');
    const run = spawnSync(python as string, ['-c', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`float32 (2, 3) 0.25 -1.0 0.125 7.0 8.0 9.0`);
    const back = readNpy(theirs);
    expect(back.shape).toEqual([2, 3, 4]);
    expect(back.values[23]).toBeCloseTo(23 / 7, 6);
    expect(readFileSync(theirs).subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
  });
});
