// Multi-tensor Adam: one call (one thread-pool dispatch) updates a whole parameter group. The group's tensors are
// laid end to end in one index space; a chunk [start, end) of it runs optim.ts's adamStep on each tensor it covers,
// so every element gets exactly the arithmetic of the per-tensor call.

import { adamStep } from './optim';

/** Bytes per tensor in the table: i32 param, grad, m, v pointers, then its offset and length in the joint index space. */
const ENTRY_BYTES = 24;

/** adamStep over [start, end) of the concatenation of the `count` tensors listed in `table`. */
export function adamStepMany(table: usize, count: i32, start: i32, end: i32,
  lr: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32, weightDecay: f32,
  decayFactor: f32, inverseCorrection1: f32, inverseCorrection2: f32): void {
  for (let t = 0; t < count; t++) {
    const entry = table + <usize>(t * ENTRY_BYTES);
    const offset = load<i32>(entry, 16);
    const from = max(start, offset);
    const to = min(end, offset + load<i32>(entry, 20));
    if (from >= to) continue;
    adamStep(load<u32>(entry), load<u32>(entry, 4), load<u32>(entry, 8), load<u32>(entry, 12), from - offset, to - offset,
      lr, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, decayFactor, inverseCorrection1, inverseCorrection2);
  }
}
