// Every layer's forward and backward on the wasm backend against the float64 reference, plus
// Sequential's summary, JSON config round trip and state-dict errors.
import { describe, expect, it, vi } from 'vitest';
import * as zg from '../../src/index.js';
import { backendCases } from '../helpers/backends.js';

type LayerFactory = () => zg.Module;

const layers: [string, LayerFactory, number[]][] = [
  ['Dense relu', () => new zg.Dense({ units: 5, activation: 'relu' }), [3, 7]],
  ['Dense softmax', () => new zg.Dense({ units: 4, activation: 'softmax' }), [3, 6]],
  ['Dense on (B, T, D)', () => new zg.Dense({ units: 3, activation: 'gelu' }), [2, 4, 5]],
  ['Conv2D same', () => new zg.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh' }), [2, 3, 7, 6]],
  ['Conv2D stride 2', () => new zg.Conv2D({ filters: 3, kernelSize: 3, stride: 2, activation: 'sigmoid' }), [1, 2, 9, 9]],
  ['MaxPool2D', () => new zg.MaxPool2D({ poolSize: 2 }), [2, 3, 6, 5]],
  ['AvgPool2D', () => new zg.AvgPool2D({ poolSize: 3, stride: 2, padding: 1 }), [1, 2, 7, 7]],
  ['Flatten', () => new zg.Flatten(), [2, 3, 4, 2]],
  ['BatchNorm 4-D', () => new zg.BatchNorm(), [4, 3, 3, 3]],
  ['BatchNorm 2-D', () => new zg.BatchNorm(), [5, 4]],
  ['BatchNorm 4-D with fused relu', () => new zg.BatchNorm({ activation: 'relu' }), [4, 3, 3, 3]],
  ['BatchNorm 2-D tanh', () => new zg.BatchNorm({ activation: 'tanh' }), [5, 4]],
  ['LayerNorm', () => new zg.LayerNorm(), [3, 8]],
  ['Activation leakyRelu', () => new zg.Activation('leakyRelu'), [4, 5]],
];

/** Runs forward + backward of a seeded layer on a backend; returns output, input grad and param grads. */
async function run(factory: LayerFactory, shape: number[], backend: zg.Backend): Promise<Float64Array[]> {
  zg.setBackend(backend);
  zg.manualSeed(7);
  return zg.scope(() => {
    const layer = factory();
    const x = zg.randn(shape);
    x.requiresGrad = true;
    const y = layer.forward(x);
    const g = zg.randn(y.shape);
    y.mul(g).sum().backward();
    const grads = layer.parameters().map((p) => Float64Array.from((p.grad as zg.Tensor).values()));
    return [Float64Array.from(y.values()), Float64Array.from((x.grad as zg.Tensor).values()), ...grads];
  });
}

describe('layers match the reference backend', () => {
  for (const backendCase of backendCases.filter((b) => b.name !== 'cpu')) {
    for (const [name, factory, shape] of layers) {
      it(`${name} on ${backendCase.name}`, async () => {
        const reference = await run(factory, shape, new zg.CpuBackend());
        const actual = await run(factory, shape, await backendCase.make());
        expect(actual.length).toBe(reference.length);
        reference.forEach((ref, k) => {
          const scale = Math.max(1, ...Array.from(ref, Math.abs));
          for (let i = 0; i < ref.length; i++) {
            if (Math.abs(actual[k][i] - ref[i]) > 1e-4 * scale) expect.fail(`${name} tensor ${k}[${i}]: ${actual[k][i]} vs ${ref[i]}`);
          }
        });
      });
    }
  }
});

describe('Sequential', () => {
  const build = () => new zg.Sequential([
    new zg.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }),
    new zg.MaxPool2D(),
    new zg.Flatten(),
    new zg.Dropout(0.5),
    new zg.Dense({ units: 10, activation: 'softmax' }),
  ], { inputShape: [1, 8, 8] });

  it('prints a Keras-like summary with shapes and parameter counts', () => {
    zg.setBackend(new zg.CpuBackend());
    const text = build().summary();
    expect(text).toContain('(None, 4, 6, 6)');
    expect(text).toContain('(None, 36)');
    expect(text).toContain('Total params: 410'); // 4*9+4 + 36*10+10
    expect(text).toMatch(/conv2d_0 \(Conv2D, relu\)\s+\(None, 4, 6, 6\)\s+40/);
  });

  it('rebuilds from its JSON config and loads the same weights', () => {
    zg.setBackend(new zg.CpuBackend());
    const model = build().eval();
    const config = JSON.parse(JSON.stringify(model.config())) as zg.LayerConfig;
    const copy = zg.layerFromConfig(config) as zg.Sequential;
    copy.loadStateDict(model.stateDict());
    copy.eval();
    const x = zg.randn([2, 1, 8, 8]);
    expect(copy.forward(x).toArray()).toEqual(model.forward(x).toArray());
  });

  it('a convolution before a pool computes only what the pool reads: same outputs and gradients as layer by layer', async () => {
    for (const backendCase of backendCases) {
      zg.setBackend(await backendCase.make());
      zg.manualSeed(5);
      // 13x13 input: conv 11x11 -> 2x2 max pool reads 10x10; conv 3x3 -> 2x2 average pool reads 2x2, and that
      // conv's tanh is applied after the crop.
      const model = new zg.Sequential([
        new zg.Conv2D({ filters: 3, kernelSize: 3, activation: 'relu' }), new zg.MaxPool2D(),
        new zg.Conv2D({ filters: 4, kernelSize: 3, activation: 'tanh' }), new zg.AvgPool2D({ poolSize: 2 }),
        new zg.Flatten(), new zg.Dense({ units: 5 }),
      ], { inputShape: [2, 13, 13] });
      const conv = model.layers[0] as zg.Conv2D;
      const spy = vi.spyOn(conv, 'forward');
      const x = zg.randn([2, 2, 13, 13]);
      x.requiresGrad = true;
      const viaModel = model.forward(x);
      expect(spy.mock.calls[0][1]).toEqual([10, 10]);
      spy.mockRestore();
      viaModel.sum().backward();
      const gradsModel = [x.grad!.values(), ...model.parameters().map((p) => p.grad!.values())];
      model.zeroGrad();
      x.grad = null;
      let y = x;
      for (const layer of model.layers) y = layer.forward(y); // full outputs, no cropping
      y.sum().backward();
      const gradsLayers = [x.grad!.values(), ...model.parameters().map((p) => p.grad!.values())];
      const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(backendCase.tolerance * (1 + Math.abs(b[i])));
      };
      close(viaModel.values(), y.values());
      gradsModel.forEach((g, i) => close(g, gradsLayers[i]));
    }
  });

  it('pools report the input extent they read; conv2d checks outputSize', () => {
    zg.setBackend(new zg.CpuBackend());
    expect(new zg.MaxPool2D().extentRead(11, 12)).toEqual([10, 12]);
    expect(new zg.MaxPool2D({ poolSize: 3, stride: 2 }).extentRead(8, 9)).toEqual([7, 9]);
    expect(new zg.MaxPool2D({ padding: 1 }).extentRead(11, 11)).toEqual([11, 11]);
    const x = zg.randn([1, 1, 6, 6]);
    const w = zg.randn([2, 1, 3, 3]);
    expect(zg.conv2d(x, w, null, { outputSize: [3, 2] }).shape).toEqual([1, 2, 3, 2]);
    expect(() => zg.conv2d(x, w, null, { outputSize: [5, 2] })).toThrow(/outputSize must be whole numbers from 1 to the full 4x4 output, got 5x2/);
  });

  it('forwardLogits skips the final softmax', () => {
    zg.setBackend(new zg.CpuBackend());
    const model = build().eval();
    const x = zg.randn([2, 1, 8, 8]);
    const probs = model.forward(x).values();
    const fromLogits = model.forwardLogits(x).softmax().values();
    probs.forEach((p, i) => expect(fromLogits[i]).toBeCloseTo(p, 12));
  });

  it('names what is wrong in configs, inputs and state dicts', () => {
    zg.setBackend(new zg.CpuBackend());
    expect(() => zg.layerFromConfig({ type: 'Dense2' })).toThrow(/unknown layer type 'Dense2'; known types: Dense/);
    expect(() => zg.layerFromConfig({ type: 'Sequential', layers: [{ type: 'Dense', units: 3, activation: 'swish' }] })).toThrow(/layers\[0\]: Dense: unknown activation 'swish'/);
    const model = build();
    expect(() => model.forward(zg.zeros([2, 64]))).toThrow(/input batch \[2, 64\] does not match the model's input shape \(batch, 1, 8, 8\) — reshape it first/);
    const state = model.stateDict();
    state.delete('4.bias');
    expect(() => build().loadStateDict(state)).toThrow(/missing tensors: 4.bias/);
    const wrong = new Map(model.stateDict());
    wrong.set('4.bias', zg.zeros([3]));
    expect(() => build().loadStateDict(wrong)).toThrow(/'4.bias' has shape \[3\], the model expects \[10\]/);
  });

  it('dropout is seeded and off in eval mode', () => {
    zg.setBackend(new zg.CpuBackend());
    const x = zg.ones([1, 1000]);
    zg.manualSeed(1);
    const a = new zg.Dropout(0.3).forward(x).values();
    zg.manualSeed(1);
    const b = new zg.Dropout(0.3).forward(x).values();
    expect(Array.from(a)).toEqual(Array.from(b));
    const zerosCount = Array.from(a).filter((v) => v === 0).length;
    expect(zerosCount).toBeGreaterThan(230);
    expect(zerosCount).toBeLessThan(370);
    expect(Array.from(new zg.Dropout(0.3).eval().forward(x).values()).every((v) => v === 1)).toBe(true);
  });

  it('batch norm with an activation: same as BatchNorm then Activation, kept in its config, checked', () => {
    zg.setBackend(new zg.CpuBackend());
    const x = zg.randn([4, 3, 2, 2]);
    for (const activation of ['relu', 'sigmoid'] as const) {
      const fused = new zg.BatchNorm({ channels: 3, activation }).forward(x).values();
      const separate = new zg.Activation(activation).forward(new zg.BatchNorm({ channels: 3 }).forward(x)).values();
      expect(Array.from(fused)).toEqual(Array.from(separate));
    }
    const config = new zg.BatchNorm({ activation: 'relu' }).config();
    expect(config.activation).toBe('relu');
    expect((zg.layerFromConfig(config) as zg.BatchNorm).activation).toBe('relu');
    expect(new zg.BatchNorm().config()).not.toHaveProperty('activation'); // configs without one stay as they were
    expect(() => zg.layerFromConfig({ type: 'BatchNorm', activation: 'swish' })).toThrow(/BatchNorm: unknown activation 'swish'/);
  });

  it('batch norm uses running statistics in eval mode', () => {
    zg.setBackend(new zg.CpuBackend());
    const bn = new zg.BatchNorm({ channels: 2 });
    const x = zg.tensor([[1, 10], [3, 30]]);
    bn.forward(x);
    expect(bn.runningMean?.toArray()).toEqual([0.2, 2]);
    const out = bn.eval().forward(zg.tensor([[0.2, 2]]));
    (out.values() as Float64Array).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-12));
  });
});
