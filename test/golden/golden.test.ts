// Golden test: the first 10 losses, step-0 logits and gradients, and final weights of tiny
// MLPs and CNNs equal PyTorch's (scripts/golden.py wrote test/golden/engine.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';
import { expectCloseToScale } from '../helpers/close.js';

interface Json { shape: number[]; data: number[] }
interface LayerSpec { op: string; name?: string; in?: number; out?: number; in_channels?: number; out_channels?: number; kernel?: number; stride?: number; padding?: number }
interface Case {
  layers: LayerSpec[];
  optimizer: { type: string; lr: number; momentum?: number; betas?: [number, number]; eps?: number; weight_decay?: number };
  input: Json; targets: number[];
  params: Record<string, Json>; logits0: Json; grads0: Record<string, Json>; losses: number[]; final_params: Record<string, Json>;
}

const golden = JSON.parse(readFileSync(new URL('./engine.json', import.meta.url), 'utf8')) as Record<string, Case>;

/** Torch Linear weights are (out, in); zerograd's Dense is (in, out). */
function toZerograd(name: string, value: Json, spec: LayerSpec | undefined): zg.Tensor {
  const t = zg.tensor(value.data, { shape: value.shape });
  return spec?.op === 'linear' && name.endsWith('.weight') ? t.transpose() : t;
}

function build(c: Case): { model: zg.Sequential; byName: Map<string, [zg.Tensor, LayerSpec]> } {
  const layers: zg.Module[] = [];
  const byName = new Map<string, [zg.Tensor, LayerSpec]>();
  for (const spec of c.layers) {
    let layer: zg.Module;
    if (spec.op === 'linear') layer = new zg.Dense({ units: spec.out as number, inputDim: spec.in });
    else if (spec.op === 'conv2d') layer = new zg.Conv2D({ filters: spec.out_channels as number, kernelSize: spec.kernel as number, stride: spec.stride, padding: spec.padding, inChannels: spec.in_channels });
    else if (spec.op === 'relu') layer = new zg.Activation('relu');
    else if (spec.op === 'tanh') layer = new zg.Activation('tanh');
    else if (spec.op === 'maxpool2d') layer = new zg.MaxPool2D({ poolSize: spec.kernel, stride: spec.stride });
    else if (spec.op === 'avgpool2d') layer = new zg.AvgPool2D({ poolSize: spec.kernel, stride: spec.stride });
    else if (spec.op === 'flatten') layer = new zg.Flatten();
    else throw new Error(`unknown golden op ${spec.op}`);
    if (spec.name) {
      const weight = (layer as zg.Dense | zg.Conv2D).weight as zg.Tensor;
      const bias = (layer as zg.Dense | zg.Conv2D).bias as zg.Tensor;
      zg.assign(weight, toZerograd(`${spec.name}.weight`, c.params[`${spec.name}.weight`], spec));
      zg.assign(bias, toZerograd(`${spec.name}.bias`, c.params[`${spec.name}.bias`], spec));
      byName.set(`${spec.name}.weight`, [weight, spec]);
      byName.set(`${spec.name}.bias`, [bias, spec]);
    }
    layers.push(layer);
  }
  return { model: new zg.Sequential(layers), byName };
}

function optimizerFor(c: Case, params: zg.Tensor[]): zg.Optimizer {
  const o = c.optimizer;
  if (o.type === 'sgd') return new zg.SGD(params, { lr: o.lr, momentum: o.momentum ?? 0 });
  const options = { lr: o.lr, beta1: o.betas?.[0], beta2: o.betas?.[1], eps: o.eps, weightDecay: o.weight_decay };
  return o.type === 'adamw' ? new zg.AdamW(params, options) : new zg.Adam(params, options);
}

/** Each tensor (logits, a gradient, the losses, a weight) against PyTorch's, relative to its own scale. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  const worst = expectCloseToScale(actual, expected, tolerance, what);
  if (process.env.GOLDEN_WORST) console.log(`${what} ${worst.toExponential(2)}`);
}

for (const backendCase of backendCases) {
  describe(`golden training runs on ${backendCase.name}`, () => {
    for (const caseName of ['mlp_sgd', 'mlp_adam', 'mlp_adamw', 'cnn_adam', 'cnn2_sgd']) {
      it(caseName, async () => {
        zg.setBackend(await backendCase.make());
        const c = golden[caseName];
        const { model, byName } = build(c);
        const optimizer = optimizerFor(c, model.parameters());
        const x = zg.tensor(c.input.data, { shape: c.input.shape });
        const y = zg.tensor(Int32Array.from(c.targets));
        const losses: number[] = [];
        for (let step = 0; step < c.losses.length; step++) {
          zg.scope(() => {
            optimizer.zeroGrad();
            const logits = model.forward(x);
            const loss = zg.crossEntropy(logits, y);
            loss.backward();
            losses.push(loss.item());
            if (step === 0) {
              expectClose(logits.values(), c.logits0.data, backendCase.tolerance, 'logits0');
              for (const [name, [param, spec]] of byName) {
                const expected = toZerograd(name, c.grads0[name], spec);
                expectClose((param.grad as zg.Tensor).values(), expected.values(), backendCase.tolerance, `grad ${name}`);
              }
            }
            optimizer.step();
          });
        }
        expectClose(losses, c.losses, backendCase.tolerance, 'losses');
        for (const [name, [param, spec]] of byName) {
          expectClose(param.values(), toZerograd(name, c.final_params[name], spec).values(), backendCase.tolerance, `final ${name}`);
        }
      });
    }
  });
}
