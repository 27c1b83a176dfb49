// A small rehearsal set for few-shot fine-tuning (few-shot.ts `replay`): N labeled images of the task a
// model was trained on, stored compactly for the web page (web/dist/model/replay.bin). Layout: 'ZGRP',
// then u32 LE count, rows, cols, then count label bytes, then count*rows*cols pixel bytes (0 = background).
// Browser-safe; the page's build (web/vite.config.ts) writes it from the embedded training split.
import type { ImageSet } from '../data/dataset.js';
import { DataError } from '../errors.js';
import type { FewShotExample } from './few-shot.js';

const MAGIC = [0x5a, 0x47, 0x52, 0x50]; // 'ZGRP'

/** The first `perClass` images of every class of `set`, in the replay-set layout. */
export function encodeReplaySet(set: ImageSet, perClass: number): Uint8Array {
  const features = set.rows * set.cols;
  const taken = new Array<number>(set.classNames.length).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < set.count && picked.length < perClass * set.classNames.length; i++) {
    if (taken[set.labels[i]] < perClass) {
      taken[set.labels[i]]++;
      picked.push(i);
    }
  }
  const out = new Uint8Array(16 + picked.length * (1 + features));
  out.set(MAGIC);
  const view = new DataView(out.buffer);
  view.setUint32(4, picked.length, true);
  view.setUint32(8, set.rows, true);
  view.setUint32(12, set.cols, true);
  picked.forEach((i, n) => {
    out[16 + n] = set.labels[i];
    out.set(set.pixels.subarray(i * features, (i + 1) * features), 16 + picked.length + n * features);
  });
  return out;
}

/** Examples (pixels 0-1) from replay-set bytes; `where` names the source in errors. */
export function decodeReplaySet(bytes: Uint8Array, where = 'replay.bin'): FewShotExample[] {
  if (bytes.length < 16 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DataError(`${where}: not a zerograd replay set (no 'ZGRP' header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [count, rows, cols] = [4, 8, 12].map((at) => view.getUint32(at, true));
  const features = rows * cols;
  const expected = 16 + count * (1 + features);
  if (bytes.length !== expected) throw new DataError(`${where}: ${bytes.length} bytes, its header (${count} images of ${rows}x${cols}) says ${expected}`);
  return Array.from({ length: count }, (_, n) => {
    const start = 16 + count + n * features;
    return { label: bytes[16 + n], pixels: Float32Array.from(bytes.subarray(start, start + features), (v) => v / 255) };
  });
}
