// ONNX export: the presets (MLP, CNN, CNN with batch norm) and the shipped model run in onnxruntime
// and agree with zerograd to 1e-4; layers without an ONNX mapping are refused by name.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { init, manualSeed } from '../../src/index.js';
import { checkOnnx } from '../../src/export/check.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { ProtoWriter } from '../../src/export/protobuf.js';
import { buildModel, preset } from '../../src/models/index.js';
import { DigitClassifier } from '../../src/serve/classifier.js';
import { digitPixels, shippedModel } from '../serve/helpers.js';

const normalization = { kind: 'standardize' as const, mean: 0.1307, std: 0.3081 };
const classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** 8 MNIST digits and 8 random images, as pixels 0-1. */
function samples(): Float32Array {
  const out = new Float32Array(16 * 784);
  for (let i = 0; i < 8; i++) out.set(digitPixels(i).pixels, i * 784);
  for (let i = 8 * 784; i < out.length; i++) out[i] = (Math.sin(i * 12.9898) * 43758.5453) % 1 > 0.5 ? 0.9 : 0.05;
  return out;
}

describe('exportOnnx', () => {
  it.each(['mlp', 'cnn', 'cnn-best'])('exports the %s preset; onnxruntime agrees to 1e-4', async (name) => {
    await init('wasm', { threads: 1 });
    manualSeed(7);
    const model = buildModel(preset(name).architecture);
    const classifier = new DigitClassifier(model, { inputShape: [1, 28, 28], preprocessing: { normalization }, classNames });
    const result = await checkOnnx(exportOnnx(model, { normalization, classNames }), classifier, samples());
    expect(result.examples).toBe(16);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(result.labelMismatches).toBe(0);
  });

  it('exports BatchNorm with a fused activation as BatchNormalization then the activation; onnxruntime agrees', async () => {
    await init('wasm', { threads: 1 });
    manualSeed(8);
    const model = buildModel({
      type: 'Sequential', inputShape: [1, 28, 28], layers: [
        { type: 'Conv2D', filters: 4, kernelSize: 3, useBias: false }, { type: 'BatchNorm', activation: 'relu' }, { type: 'MaxPool2D', poolSize: 2 },
        { type: 'Flatten' }, { type: 'Dense', units: 16, useBias: false }, { type: 'BatchNorm', activation: 'tanh' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    });
    zg.scope(() => { model.train(); model.forward(zg.rand([8, 1, 28, 28])); model.eval(); }); // running statistics off 0 and 1
    const classifier = new DigitClassifier(model, { inputShape: [1, 28, 28], preprocessing: { normalization }, classNames });
    const result = await checkOnnx(exportOnnx(model, { normalization, classNames }), classifier, samples());
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(result.labelMismatches).toBe(0);
  });

  it('exports the shipped model with its metadata and a dynamic batch axis', async () => {
    const { model, config } = await shippedModel();
    const bytes = exportOnnx(model, { name: config.name, normalization: config.preprocessing.normalization, classNames: config.classNames });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['pixels']);
    expect(session.outputNames).toEqual(['probabilities']);
    const { pixels, label } = digitPixels(0);
    for (const batch of [1, 3]) {
      const input = new Float32Array(batch * 784);
      for (let b = 0; b < batch; b++) input.set(pixels, b * 784);
      const out = await session.run({ pixels: new ort.Tensor('float32', input, [batch, 1, 28, 28]) });
      expect(out.probabilities.dims).toEqual([batch, 10]);
      const probs = Array.from(out.probabilities.data as Float32Array).slice(0, 10);
      expect(probs.indexOf(Math.max(...probs))).toBe(label);
    }
    const classifier = new DigitClassifier(model, config);
    expect((await checkOnnx(bytes, classifier, samples())).maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it('refuses layers it cannot map, naming them', async () => {
    await init('cpu');
    const model = buildModel({ type: 'Sequential', inputShape: [1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 16 }, { type: 'LayerNorm' }, { type: 'Dense', units: 10 }] });
    expect(() => exportOnnx(model, { normalization, classNames })).toThrow(/layer 2 \(LayerNorm\) cannot be exported to ONNX; supported layers: Flatten/);
  });
});

describe('ProtoWriter', () => {
  it('writes varints, negative int64 as ten bytes, floats, strings and packed lists', () => {
    expect(Array.from(new ProtoWriter().int(1, 300).finish())).toEqual([0x08, 0xac, 0x02]);
    expect(Array.from(new ProtoWriter().int(3, -1).finish())).toEqual([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(Array.from(new ProtoWriter().float(2, 1).finish())).toEqual([0x15, 0, 0, 0x80, 0x3f]);
    expect(Array.from(new ProtoWriter().string(4, 'ab').finish())).toEqual([0x22, 2, 0x61, 0x62]);
    expect(Array.from(new ProtoWriter().packedInts(8, [1, 2, 300]).finish())).toEqual([0x42, 4, 1, 2, 0xac, 0x02]);
  });
});
