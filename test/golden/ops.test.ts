// Single-op goldens from PyTorch: forward values and the gradients of sum(out * g) for GELU,
// log-softmax, layer norm, batch norm (with running statistics), cross-entropy with
// probability targets, MSE and multi-head self-attention built from batched matmul + softmax.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';
import { expectCloseToScale } from '../helpers/close.js';

interface Json { shape: number[]; data: number[] }
interface OpCase {
  inputs: Record<string, Json>; g: Json; output: Json; grads: Record<string, Json>;
  params: Record<string, unknown>; running_mean_out?: Json; running_var_out?: Json;
}
const ops = (JSON.parse(readFileSync(new URL('./engine.json', import.meta.url), 'utf8')) as { ops: Record<string, OpCase> }).ops;

/** A tensor against PyTorch's, relative to its own scale (see test/helpers/close.ts). */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  const worst = expectCloseToScale(actual, expected, tolerance, what);
  if (process.env.GOLDEN_WORST) console.log(`${what} ${worst.toExponential(2)}`);
}

/** Multi-head self-attention exactly as scripts/golden.py computes it (torch Linear layout). */
function attention(x: zg.Tensor, w: Record<string, zg.Tensor>, heads: number): zg.Tensor {
  const [batch, tokens, embed] = x.shape;
  const headDim = embed / heads;
  const project = (name: string) => x.matmul(w[`w${name}`].transpose()).add(w[`b${name}`]);
  const split = (t: zg.Tensor) => t.reshape([batch, tokens, heads, headDim]).permute([0, 2, 1, 3]); // (B, H, T, dh)
  const q = split(project('q'));
  const k = split(project('k'));
  const v = split(project('v'));
  const weights = q.matmul(k.transpose()).mul(1 / Math.sqrt(headDim)).softmax(); // (B, H, T, T)
  const context = weights.matmul(v).permute([0, 2, 1, 3]).reshape([batch, tokens, embed]);
  return context.matmul(w.wo.transpose()).add(w.bo);
}

for (const backendCase of backendCases) {
  describe(`single-op goldens on ${backendCase.name}`, () => {
    const run = async (name: string, f: (inputs: Record<string, zg.Tensor>) => zg.Tensor, extra?: (c: OpCase) => void) => {
      zg.setBackend(await backendCase.make());
      const c = ops[name];
      zg.scope(() => {
        const inputs: Record<string, zg.Tensor> = {};
        for (const [key, value] of Object.entries(c.inputs)) {
          inputs[key] = zg.tensor(value.data, { shape: value.shape, requiresGrad: key in c.grads });
        }
        const out = f(inputs);
        close(out.values(), c.output.data, backendCase.tolerance, `${name} output`);
        out.mul(zg.tensor(c.g.data, { shape: c.g.shape })).sum().backward();
        for (const [key, expected] of Object.entries(c.grads)) {
          close((inputs[key].grad as zg.Tensor).values(), expected.data, backendCase.tolerance * 5, `${name} grad ${key}`);
        }
        extra?.(c);
      });
    };
    it('gelu (erf)', () => run('gelu_erf', ({ x }) => x.gelu()));
    it('gelu (tanh)', () => run('gelu_tanh', ({ x }) => x.gelu({ approximate: 'tanh' })));
    it('log_softmax', () => run('log_softmax', ({ x }) => x.logSoftmax(-1)));
    it('layer_norm', () => run('layer_norm', ({ x, weight, bias }) => zg.layerNorm(x, weight, bias, 1e-5)));
    it('batch_norm with running statistics', async () => {
      const c = ops.batch_norm;
      const p = c.params as { running_mean_in: Json; running_var_in: Json };
      let runningMean: zg.Tensor | null = null;
      let runningVar: zg.Tensor | null = null;
      await run('batch_norm', ({ x, weight, bias }) => {
        runningMean = zg.tensor(p.running_mean_in.data).keep();
        runningVar = zg.tensor(p.running_var_in.data).keep();
        return zg.batchNorm(x, weight, bias, runningMean, runningVar, { training: true, momentum: 0.1, eps: 1e-5 });
      }, (cc) => {
        close((runningMean as unknown as zg.Tensor).values(), (cc.running_mean_out as Json).data, backendCase.tolerance, 'running mean');
        close((runningVar as unknown as zg.Tensor).values(), (cc.running_var_out as Json).data, backendCase.tolerance, 'running var');
      });
    });
    it('cross-entropy with probability targets', () => run('cross_entropy_probs', ({ logits, target }) => zg.crossEntropy(logits, target)));
    it('mse', () => run('mse_loss', ({ input, target }) => zg.mse(input, target)));
    it('multi-head self-attention', () => run('mha', (inputs) => attention(inputs.x, inputs, 2)));
  });
}
