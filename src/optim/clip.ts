// Gradient clipping by global L2 norm, in place.
import { noGrad } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/** Scales all gradients so their joint L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  return noGrad(() => {
    let squares = 0;
    for (const p of params) {
      if (p.grad === null) continue;
      const s = p.grad.square().sum();
      squares += s.item();
      s.dispose();
    }
    const norm = Math.sqrt(squares);
    if (norm > maxNorm && norm > 0) {
      const scale = maxNorm / (norm + 1e-6);
      for (const p of params) if (p.grad !== null) p.grad.backend.affine(p.grad.buffer, p.grad.buffer, scale, 0);
    }
    return norm;
  });
}
