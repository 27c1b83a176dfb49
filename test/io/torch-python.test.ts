// The torch.save and safetensors readers against files Python writes (scripts/make-torch-fixtures.py): CPython's
// own pickler and zipfile emulating torch.save (any python3), and real torch.save of a random network plus the same
// tensors as safetensors (only where a python3 has torch; reported skipped otherwise). Every tensor's values must
// equal those the script computed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { readTorchStateDict, type StateTensor } from '../../src/io/torch-checkpoint.js';
import { tempDir } from '../data/helpers.js';
import { pythonWith, torchPython } from '../helpers/python.js';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'make-torch-fixtures.py');
const python = pythonWith('zipfile');
const torch = torchPython();

interface Expected { dtype: string; shape: number[]; values: number[] }

/** Runs the script into `dir` and checks every tensor of `files` against expected.json. */
function check(dir: string, args: string[], files: string[]): number {
  const run = spawnSync(args[0], [SCRIPT, dir, ...args.slice(1)], { encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>;
  for (const file of files) {
    const { tensors, skipped } = file.endsWith('.safetensors') ? { ...decodeSafetensors(readFileSync(join(dir, file)), file), skipped: [] } : readTorchStateDict(join(dir, file));
    expect(skipped).toEqual([]);
    expect([...tensors.keys()]).toEqual(Object.keys(expected));
    for (const [name, want] of Object.entries(expected)) {
      const got = tensors.get(name) as StateTensor;
      expect({ dtype: got.dtype, shape: got.shape }, name).toEqual({ dtype: want.dtype, shape: want.shape });
      const round = got.values instanceof Float32Array ? Math.fround : (v: number) => v;
      expect(Array.from(got.values), name).toEqual(want.values.map(round));
    }
  }
  return Object.keys(expected).length;
}

describe('torch.save files written by Python', () => {
  const dir = tempDir('zerograd-torch-python-');

  it.skipIf(python === null)("reads CPython's pickler and zipfile emulating torch.save: 1,007 tensors, SETITEMS batches, LONG_BINPUT, zip64 local headers, deflate", () => {
    expect(check(join(dir, 'emulated'), [python as string, '--emulate'], ['state.pth', 'state-deflated.pth'])).toBe(1007);
  });

  it.skipIf(torch === null)('reads real torch.save of a random network state dict, and the same tensors as safetensors (F16, BF16, I64) (needs /usr/bin/python3 with torch)', () => {
    expect(check(join(dir, 'torch'), [torch as string], ['state.pth', 'state.safetensors'])).toBeGreaterThan(8);
  });
});
