// Write versions of buffers changed in place (assign, optimizer steps): a value derived from a tensor and cached
// (the Winograd transform of a convolution's weights) is stale once the version of the tensor's buffer moved on.
import type { DataBuffer } from '../backend/backend.js';

const versions = new WeakMap<DataBuffer, number>();

/** Records an in-place write to `buffer`. Every op that overwrites an existing tensor's values calls it. */
export function bumpVersion(buffer: DataBuffer): void {
  versions.set(buffer, (versions.get(buffer) ?? 0) + 1);
}

/** How many in-place writes `buffer` has had (0 for one only ever written at creation). */
export function versionOf(buffer: DataBuffer): number {
  return versions.get(buffer) ?? 0;
}
