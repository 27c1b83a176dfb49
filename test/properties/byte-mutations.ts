// Shared pieces of the data-layer property tests: byte-level mutations of a valid file (flip, set, insert,
// delete, truncate, overwrite a 32-bit field) and the check "a valid result or a ZerogradError, nothing else".
import fc from 'fast-check';
import { ZerogradError } from '../../src/errors.js';

/** One edit of a byte string; `at` is taken modulo the length. */
export interface Mutation { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'u32'; at: number; value: number }

/** Up to `max` random mutations. */
export function mutations(max = 6): fc.Arbitrary<Mutation[]> {
  const mutation = fc.record({
    kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'u32') as fc.Arbitrary<Mutation['kind']>,
    at: fc.nat(),
    value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.nat(), fc.constantFrom(0, 1, 0xffff, 0x7fffffff, 0xffffffff)),
  });
  return fc.array(mutation, { maxLength: max });
}

/** `bytes` with the mutations applied, in order (a fresh buffer). */
export function mutate(bytes: Uint8Array, edits: Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const { kind, at, value } of edits) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (kind === 'flip' && out.length > 0) out[i] ^= 1 << (value % 8);
    else if (kind === 'set' && out.length > 0) out[i] = value & 0xff;
    else if (kind === 'insert') out = Buffer.concat([out.subarray(0, i), Buffer.from([value & 0xff]), out.subarray(i)]);
    else if (kind === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else if (kind === 'truncate') out = out.subarray(0, i);
    else if (kind === 'u32' && out.length >= 4) out.writeUInt32BE(value >>> 0, Math.min(i, out.length - 4));
  }
  return out;
}

/** True when `run` returns a result that `valid` accepts or throws a ZerogradError; any other exception fails the property. */
export function validOrNamed<T>(run: () => T, valid: (result: T) => boolean): boolean {
  let result: T;
  try {
    result = run();
  } catch (err) {
    if (err instanceof ZerogradError) return true;
    throw err;
  }
  return valid(result);
}
