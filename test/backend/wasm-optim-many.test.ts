// Multi-tensor Adam (adamStepMany, kernels/optim-many.ts): the same bits as adamStep on each tensor, close to the
// reference, and an Adam/AdamW trajectory through the optimizer identical to the per-tensor fallback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdamParams, DataBuffer } from '../../src/backend/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import * as zg from '../../src/index.js';
import { cpu, expectClose, makeWasm, pair, random, threadSettings, upload } from './wasm-parity.js';

// Odd sizes, so that chunk boundaries fall inside tensors and off multiples of 4; one large enough to split.
const sizes = [1, 3, 17, 130, 1025, 70001];
const hypers: AdamParams[] = [
  { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: 0, step: 1 },
  { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupledWeightDecay: 0, step: 1 },
  { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: 0.05, step: 1 },
];

/** The same float32 values, element for element (a first-mismatch message: a diff of 70,001 numbers would take minutes). */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

describe.each(threadSettings)('wasm adamStepMany, $label', (setting) => {
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await makeWasm(setting); });
  afterAll(() => wasm.dispose());

  it.each(hypers)('matches adamStep per tensor bit for bit, and the reference (%o)', (h) => {
    const state = (seed: number): DataBuffer[][] => sizes.map((n, i) => [random(n, seed + i), new Float32Array(n), new Float32Array(n)].map((d) => upload(wasm, d)));
    const joint = state(1);
    const single = state(1);
    const reference = sizes.map((n, i) => [random(n, 1 + i), new Float32Array(n), new Float32Array(n)].map((d) => upload(cpu, d)));
    for (let step = 1; step <= 3; step++) {
      const grads = sizes.map((n, i) => pair(wasm, random(n, 100 * step + i)));
      const p = { ...h, step };
      wasm.adamStepMany(joint.map(([param, m, v], i) => ({ param, grad: grads[i][0], m, v })), p);
      single.forEach(([param, m, v], i) => wasm.adamStep(param, grads[i][0], m, v, p));
      cpu.adamStepMany(reference.map(([param, m, v], i) => ({ param, grad: grads[i][1], m, v })), p);
      for (const [gw] of grads) wasm.free(gw);
    }
    sizes.forEach((n, i) => {
      for (let s = 0; s < 3; s++) {
        expectSameBits(wasm.read(joint[i][s]), wasm.read(single[i][s]), `tensor ${i} (${n}) slot ${s}`);
        expectClose(wasm.read(joint[i][s]), cpu.read(reference[i][s]), `tensor ${i} (${n}) slot ${s}`, 1e-5, 1e-7);
      }
    });
    for (const buffers of [...joint, ...single]) for (const b of buffers) wasm.free(b);
  });

  it('an Adam and an AdamW trajectory through the optimizer equal the per-tensor path', () => {
    const previous = zg.getBackend();
    zg.setBackend(wasm);
    try {
      for (const make of [(ps: zg.Tensor[]) => new zg.Adam(ps, { lr: 0.01 }), (ps: zg.Tensor[]) => new zg.AdamW([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lrScale: 0.5 }], { lr: 0.01 })]) {
        const run = (perTensor: boolean): number[][] => {
          const params = [[7, 5], [130], [3, 3, 3]].map((shape, i) => {
            const p = zg.tensor(random(shape.reduce((a, b) => a * b, 1), 10 + i), { shape }).keep();
            p.requiresGrad = true;
            return p;
          });
          const optimizer = make(params);
          // Hiding the method makes the optimizer fall back to adamStep per tensor.
          if (perTensor) Object.defineProperty(wasm, 'adamStepMany', { value: undefined, configurable: true });
          try {
            for (let step = 0; step < 4; step++) {
              zg.scope(() => {
                optimizer.zeroGrad();
                params.reduce((sum, p) => sum.add(p.mul(p).mul(p).sum()), zg.tensor(0)).backward();
                optimizer.step();
              });
            }
          } finally {
            if (perTensor) Reflect.deleteProperty(wasm, 'adamStepMany');
          }
          return params.map((p) => Array.from(p.data()));
        };
        const [joint, single] = [run(false), run(true)];
        joint.forEach((values, i) => expectSameBits(values, single[i], `parameter ${i}`));
      }
    } finally {
      zg.setBackend(previous);
    }
  });
});
