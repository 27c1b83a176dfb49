// The rehearsal set's bytes: first images of every class, round trip, clear errors on bad bytes.
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../../src/data/dataset.js';
import { DataError } from '../../src/errors.js';
import { decodeReplaySet, encodeReplaySet } from '../../src/finetune/replay-set.js';
import { replaySetFor } from '../../src/serve/replay.js';
import { thrown } from '../data/helpers.js';

const set: ImageSet = {
  name: 'toy', rows: 2, cols: 2, count: 5, classNames: ['a', 'b'],
  labels: new Uint8Array([0, 0, 1, 0, 1]),
  pixels: new Uint8Array([0, 0, 0, 255, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]),
};

describe('replay sets', () => {
  it('keep the first images of every class and read back as pixels 0-1', () => {
    const examples = decodeReplaySet(encodeReplaySet(set, 2));
    expect(examples.map((e) => e.label)).toEqual([0, 0, 1, 1]);
    expect(Array.from(examples[0].pixels)).toEqual([0, 0, 0, 1]);
    expect(examples[3].pixels).toEqual(Float32Array.from([4, 4, 4, 4], (v) => v / 255));
  });

  it('exist for MNIST and Fashion-MNIST models, 20 per class, and not for other data', () => {
    const mnist = decodeReplaySet(replaySetFor('mnist') as Uint8Array);
    expect(mnist).toHaveLength(200);
    expect(new Set(mnist.map((e) => e.label)).size).toBe(10);
    expect(decodeReplaySet(replaySetFor('fashion') as Uint8Array)).toHaveLength(200);
    expect(replaySetFor('my-photos.csv')).toBeNull();
    expect(replaySetFor(undefined)).toBeNull();
  });

  it('refuse bytes that are not one, or are cut short', () => {
    expect(thrown(() => decodeReplaySet(new Uint8Array(20)))).toBeInstanceOf(DataError);
    expect(() => decodeReplaySet(encodeReplaySet(set, 2).subarray(0, 20), 'r.bin')).toThrow(/r\.bin: 20 bytes, its header \(4 images of 2x2\) says 36/);
  });
});
