// Saliency maps: exact on a linear model, the completeness property of integrated gradients on the
// shipped CNN (attributions add up to the change of the class logit), no side effects on the model.
import { describe, expect, it } from 'vitest';
import { CpuBackend, Dense, Sequential, setBackend, tensor } from '../../src/index.js';
import { digitImage, saliencyOverlay, sideBySide } from '../../src/explain/overlay.js';
import { saliency } from '../../src/explain/saliency.js';
import { DigitClassifier } from '../../src/serve/classifier.js';
import { digitPixels, shippedModel } from '../serve/helpers.js';

describe('saliency', () => {
  it('is w * (x - baseline) for a linear model, by either method', () => {
    setBackend(new CpuBackend());
    const model = new Sequential([new Dense({ units: 2, inputDim: 3 })], { inputShape: [3] });
    const [weight] = model.parameters();
    const w = Array.from(weight.data());
    const x = Float32Array.of(0.5, -1, 2);
    for (const method of ['gradient-input', 'integrated-gradients'] as const) {
      const scores = saliency(model, x, 1, { method, baseline: 0.25, steps: 4 });
      Array.from(x).forEach((xi, i) => expect(scores[i]).toBeCloseTo(w[i * 2 + 1] * (xi - 0.25), 6));
    }
    expect(model.parameters().every((p) => p.requiresGrad && p.grad === null)).toBe(true);
    expect(() => saliency(model, x, 5)).toThrow(/class 5 is not in 0..1/);
    expect(() => saliency(model, Float32Array.of(1), 0)).toThrow(/expected 3 input values, got 1/);
  });

  it('integrated gradients on the CNN add up to logit(x) - logit(blank)', async () => {
    const { model, config } = await shippedModel();
    const classifier = new DigitClassifier(model, config);
    const { pixels, label } = digitPixels(0);
    const x = classifier.normalize(Float32Array.from(pixels));
    const blank = classifier.normalize(new Float32Array(784));
    const logit = (input: Float32Array): number => {
      const logits = model.forwardLogits(tensor(input, { shape: [1, 1, 28, 28] }));
      const value = logits.data()[label];
      logits.dispose();
      return value;
    };
    const scores = saliency(model, x, label, { steps: 64, baseline: blank[0] });
    const total = scores.reduce((p, v) => p + v, 0);
    const change = logit(x) - logit(blank);
    expect(Math.abs(total - change) / Math.abs(change)).toBeLessThan(0.05);
    // The ink matters, the empty border does not.
    expect(Math.abs(scores[0]) + Math.abs(scores[27]) + Math.abs(scores[783])).toBe(0);
  });
});

describe('overlay', () => {
  it('draws ink in gray, positive evidence red and negative blue, scaled', () => {
    const pixels = Float32Array.of(1, 0, 0, 0);
    const rgba = saliencyOverlay(pixels, Float32Array.of(0, 1, -1, 0), 2, 2, 3);
    expect(rgba.length).toBe(6 * 6 * 4);
    const at = (x: number, y: number) => Array.from(rgba.subarray((y * 6 + x) * 4, (y * 6 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([0, 0, 0, 255]);
    expect(at(3, 0)).toEqual([220, 30, 30, 255]);
    expect(at(0, 3)).toEqual([30, 80, 230, 255]);
    expect(at(5, 5)).toEqual([255, 255, 255, 255]);
    const both = sideBySide([digitImage(pixels, 2, 2, 3), rgba], 6, 6, 2);
    expect([both.width, both.height]).toEqual([2 * 6 + 3 * 2, 6 + 2 * 2]);
  });
});
