// Recording the graph: an op calls `record(out, inputs, backward)` after computing its output.
// Nothing is recorded under noGrad() or when no input needs a gradient.
import { isGradEnabled } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/** Attaches a backward rule to `out` when gradients are on and some input requires one. */
export function record(
  out: Tensor, op: string, inputs: readonly Tensor[], backward: (dy: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (!isGradEnabled()) return out;
  let needed = false;
  for (const input of inputs) if (input.requiresGrad) needed = true;
  if (!needed) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward };
  return out;
}
