// Central finite differences in float64 on the reference backend, against backward().
import { expect } from 'vitest';
import { assign, CpuBackend, Random, scope, setBackend, tensor, Tensor } from '../../src/index.js';

export interface GradInput {
  shape: number[];
  /** Values; random normal when omitted. */
  values?: number[];
  /** Keep values away from 0 (for log, sqrt, div, kinks). */
  positive?: boolean;
}

/**
 * Checks d(sum(f(x) * g))/dx_i from backward() against (L(x+h) - L(x-h)) / 2h for every input
 * element. `f` builds its output from tensors; g is a fixed random weighting of the output.
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: GradInput[], options: { seed?: number; eps?: number; tolerance?: number } = {}): void {
  setBackend(new CpuBackend());
  const rng = new Random(options.seed ?? 1);
  const eps = options.eps ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-6;
  const values = inputs.map((input) => {
    const size = input.shape.reduce((p, d) => p * d, 1);
    return input.values ? Float64Array.from(input.values) : Float64Array.from({ length: size }, () => {
      const v = rng.normal();
      return input.positive ? 0.5 + Math.abs(v) : v;
    });
  });
  let weights: Float64Array | null = null;
  const loss = (vals: Float64Array[], withGrad: boolean): { value: number; grads: Float64Array[] } => scope(() => {
    const xs = vals.map((v, i) => tensor(v, { shape: inputs[i].shape, requiresGrad: withGrad }));
    const out = f(...xs);
    if (weights === null) weights = Float64Array.from({ length: out.size }, () => rng.normal());
    const g = tensor(weights, { shape: out.shape });
    const l = out.mul(g).sum();
    if (withGrad) l.backward();
    const grads = xs.map((x) => (x.grad ? Float64Array.from(x.grad.values()) : new Float64Array(x.size)));
    return { value: l.item(), grads };
  });
  const analytic = loss(values, true).grads;
  values.forEach((v, k) => {
    for (let i = 0; i < v.length; i++) {
      const original = v[i];
      v[i] = original + eps;
      const plus = loss(values, false).value;
      v[i] = original - eps;
      const minus = loss(values, false).value;
      v[i] = original;
      const numeric = (plus - minus) / (2 * eps);
      const scale = Math.max(1, Math.abs(numeric));
      if (Math.abs(analytic[k][i] - numeric) > tolerance * scale) {
        expect.fail(`input ${k} element ${i}: analytic ${analytic[k][i]} vs numeric ${numeric}`);
      }
    }
  });
}

/**
 * Checks d(loss)/d(parameter) from backward() against central differences for `samples` seeded
 * elements of every parameter (all elements of a smaller one), in float64 on the reference backend:
 * build the model after setBackend(new CpuBackend()). `loss` must be deterministic (reset any
 * generator it draws from). Returns how many elements were checked.
 */
export function gradcheckParameters(
  params: readonly (readonly [string, Tensor])[], loss: () => Tensor,
  options: { samples?: number; eps?: number; tolerance?: number; seed?: number } = {},
): number {
  const eps = options.eps ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-6;
  const samples = options.samples ?? 6;
  const rng = new Random(options.seed ?? 1);
  for (const [, p] of params) p.grad = null;
  const analytic = scope(() => {
    const l = loss();
    l.backward();
    return params.map(([name, p]) => {
      if (p.grad === null) throw new Error(`gradcheckParameters: ${name} got no gradient`);
      return Float64Array.from(p.grad.values());
    });
  });
  const lossAt = (): number => scope(() => loss().item());
  let checked = 0;
  params.forEach(([name, p], k) => {
    const values = Float64Array.from(p.values());
    const picks = values.length <= samples ? Array.from(values, (_, i) => i) : Array.from({ length: samples }, () => Math.floor(rng.uniform() * values.length));
    for (const i of picks) {
      const original = values[i];
      const at = (v: number): number => {
        values[i] = v;
        scope(() => assign(p, tensor(values, { shape: p.shape })));
        return lossAt();
      };
      const numeric = (at(original + eps) - at(original - eps)) / (2 * eps);
      at(original);
      const scale = Math.max(1e-3, Math.abs(numeric), Math.abs(analytic[k][i]));
      if (!(Math.abs(analytic[k][i] - numeric) <= tolerance * scale)) {
        expect.fail(`${name}[${i}]: analytic ${analytic[k][i]} vs numeric ${numeric} (tolerance ${tolerance} of ${scale.toExponential(2)})`);
      }
      checked++;
    }
  });
  return checked;
}
