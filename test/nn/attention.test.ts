// Multi-head self-attention against the PyTorch golden (test/golden/engine.json, case 'mha') on
// every backend; transformer block gradients by finite differences; configs and errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';

interface Json { shape: number[]; data: number[] }
const golden = (JSON.parse(readFileSync(new URL('../golden/engine.json', import.meta.url), 'utf8')) as {
  ops: Record<string, { inputs: Record<string, Json>; g: Json; output: Json; grads: Record<string, Json> }>;
}).ops.mha;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tolerance * Math.max(1, Math.abs(expected[i]))) expect.fail(`${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]}`);
  }
}

/** torch Linear weight (out, in) as our Dense weight (in, out). */
function transposed(w: Json): number[] {
  const [rows, cols] = w.shape;
  return Array.from({ length: rows * cols }, (_, i) => w.data[(i % rows) * cols + Math.floor(i / rows)]);
}

for (const backendCase of backendCases) {
  describe(`MultiHeadSelfAttention on ${backendCase.name}`, () => {
    it('matches PyTorch: output, input gradient and projection gradients', async () => {
      zg.setBackend(await backendCase.make());
      zg.scope(() => {
        const attn = new zg.MultiHeadSelfAttention({ dim: 8, heads: 2 });
        const projections = { q: attn.q, k: attn.k, v: attn.v, o: attn.out };
        for (const [key, dense] of Object.entries(projections)) {
          const w = golden.inputs[`w${key}`];
          zg.assign(dense.weight as zg.Tensor, zg.tensor(transposed(w), { shape: [8, 8] }));
          zg.assign(dense.bias as zg.Tensor, zg.tensor(golden.inputs[`b${key}`].data, { shape: [8] }));
        }
        const x = zg.tensor(golden.inputs.x.data, { shape: golden.inputs.x.shape, requiresGrad: true });
        const y = attn.forward(x);
        close(y.values(), golden.output.data, backendCase.tolerance, 'output');
        y.mul(zg.tensor(golden.g.data, { shape: golden.g.shape })).sum().backward();
        close((x.grad as zg.Tensor).values(), golden.grads.x.data, backendCase.tolerance * 5, 'grad x');
        for (const [key, dense] of Object.entries(projections)) {
          close((dense.weight as zg.Tensor).grad!.values(), transposed(golden.grads[`w${key}`]), backendCase.tolerance * 5, `grad w${key}`);
          close((dense.bias as zg.Tensor).grad!.values(), golden.grads[`b${key}`].data, backendCase.tolerance * 5, `grad b${key}`);
        }
      });
    });
  });
}

describe('TransformerBlock', () => {
  it('gradients match finite differences in float64 (input and every parameter)', () => {
    // gradcheck switches to a fresh reference backend, so the block is built on first use.
    let built: zg.TransformerBlock | null = null;
    const make = () => {
      zg.manualSeed(3);
      return new zg.TransformerBlock({ dim: 6, heads: 2, mlpRatio: 2 });
    };
    gradcheck((x) => (built ??= make()).forward(x), [{ shape: [2, 3, 6] }]);
    const block = built as unknown as zg.TransformerBlock;
    // Parameters: backward() against central differences on a few entries of each tensor.
    const x = zg.randn([2, 3, 6]).keep();
    const g = zg.randn([2, 3, 6]).keep();
    const loss = () => zg.scope(() => block.forward(x).mul(g).sum().item());
    block.zeroGrad(); // gradcheck above accumulated into the parameters too
    zg.scope(() => block.forward(x).mul(g).sum().backward());
    const rng = new zg.Random(5);
    for (const [name, p] of block.namedParameters()) {
      const analytic = Float64Array.from((p.grad as zg.Tensor).values());
      const values = Float64Array.from(p.values());
      for (let trial = 0; trial < 4; trial++) {
        const i = rng.int(p.size);
        const at = (delta: number) => {
          const moved = values.slice();
          moved[i] += delta;
          zg.assign(p, zg.tensor(moved, { shape: p.shape }));
          return loss();
        };
        const numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
        zg.assign(p, zg.tensor(values, { shape: p.shape }));
        expect(Math.abs(numeric - analytic[i]), `${name}[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it('is the identity when the attention and MLP output projections are zero (residual path)', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(1);
    const block = new zg.TransformerBlock({ dim: 8, heads: 4 });
    for (const [name, p] of block.namedParameters()) if (/(attn\.out|mlp\.fc2)\./.test(name)) zg.assign(p, zg.zerosLike(p));
    zg.scope(() => {
      const x = zg.randn([2, 5, 8]);
      expect(Array.from(block.forward(x).values())).toEqual(Array.from(x.values()));
    });
  });

  it('names its modules norm1, attn.{q,k,v,out}, norm2, mlp.{fc1,fc2} and round-trips its config', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(2);
    const block = new zg.TransformerBlock({ dim: 8, heads: 2, mlpRatio: 3, dropout: 0.1 });
    expect(block.namedModules().map(([n]) => n)).toEqual(['', 'norm1', 'attn', 'attn.q', 'attn.k', 'attn.v', 'attn.out', 'norm2', 'mlp', 'mlp.fc1', 'mlp.fc2']);
    expect(block.countParameters().total).toBe(2 * 16 + 4 * (64 + 8) + (8 * 24 + 24) + (24 * 8 + 8));
    const rebuilt = zg.layerFromConfig(JSON.parse(JSON.stringify(block.config())));
    rebuilt.loadStateDict(block.stateDict());
    block.eval();
    rebuilt.eval();
    zg.scope(() => {
      const x = zg.randn([1, 4, 8]);
      expect(Array.from(rebuilt.forward(x).values())).toEqual(Array.from(block.forward(x).values()));
    });
  });

  it('applies attention dropout only in training', () => {
    zg.setBackend(new zg.CpuBackend());
    zg.manualSeed(4);
    const attn = new zg.MultiHeadSelfAttention({ dim: 4, heads: 2, dropout: 0.5 });
    zg.scope(() => {
      const x = zg.randn([2, 6, 4]);
      attn.eval();
      const a = Array.from(attn.forward(x).values());
      expect(Array.from(attn.forward(x).values())).toEqual(a);
      attn.train();
      expect(Array.from(attn.forward(x).values())).not.toEqual(a);
    });
  });

  it('rejects bad options and inputs with clear messages', () => {
    expect(() => new zg.MultiHeadSelfAttention({ dim: 10, heads: 4 })).toThrow(/dim 10 is not divisible by heads 4/);
    expect(() => new zg.TransformerBlock({ dim: 8, heads: 2, dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => zg.layerFromConfig({ type: 'TransformerBlock', dim: 8, heads: 2, depth: 3 })).toThrow(/unknown option 'depth'; known options: dim, heads, mlpRatio, dropout/);
    const attn = new zg.MultiHeadSelfAttention({ dim: 8, heads: 2 });
    expect(() => zg.scope(() => attn.forward(zg.zeros([2, 8])))).toThrow(/expects tokens \(batch, tokens, 8\), got \[2, 8\]/);
  });
});
