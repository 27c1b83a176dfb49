// Few-shot fine-tuning of the shipped CNN on a handful of synthetic drawings in a style it reads
// poorly (mirrored digits): the held-out split, the before/after scores, what each strategy trains.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/backend/registry.js';
import { preprocessDigit } from '../../src/data/preprocess.js';
import { renderStrokes } from '../../src/data/strokes.js';
import { UsageError } from '../../src/errors.js';
import { fineTuneFewShot, scoreFewShot, splitFewShot, type FewShotExample } from '../../src/finetune/few-shot.js';
import { loadModel } from '../../src/io/model-folder.js';
import { decodeReplaySet } from '../../src/finetune/replay-set.js';
import { replaySetFor } from '../../src/serve/replay.js';
import { loadMnist } from '../../src/data/mnist.js';
import { handwrittenSet, type HandStyle } from '../helpers/handwriting.js';
import { thrown } from '../data/helpers.js';

const CNN = join(import.meta.dirname, '..', '..', 'models', 'mnist-cnn');
const drawn = (style: HandStyle, perClass: number, seed: number): FewShotExample[] =>
  handwrittenSet(style, perClass, seed).map(({ digit, strokes }) => ({ label: digit, pixels: preprocessDigit(renderStrokes(strokes)) }));

describe('few-shot fine-tuning', () => {
  let mirrored: FewShotExample[] = [];
  let heldOut: FewShotExample[] = [];
  beforeAll(async () => {
    await init('wasm', { threads: 1 });
    mirrored = drawn('mirrored', 4, 1);
    heldOut = drawn('mirrored', 6, 2);
  });

  it('holds out the last examples of every class, keeping one to train on', () => {
    const examples = [0, 0, 0, 0, 1, 2, 2].map((label, i) => ({ label, pixels: new Float32Array([i]) }));
    const { train, heldOut: held } = splitFewShot(examples, 0.25);
    expect(train.map((e) => e.pixels[0])).toEqual([0, 1, 2, 4, 5]);
    expect(held.map((e) => e.pixels[0])).toEqual([3, 6]);
    expect(splitFewShot(examples, 0.5).heldOut.map((e) => e.pixels[0])).toEqual([2, 3, 6]);
    expect(splitFewShot(examples, 0).heldOut).toEqual([]);
    expect(thrown(() => splitFewShot(examples, 1))).toBeInstanceOf(UsageError);
  });

  it('the base model reads plain synthetic digits and misreads mirrored ones', () => {
    const { model, config } = loadModel(CNN);
    expect(scoreFewShot(model, drawn('plain', 3, 3), config).accuracy).toBeGreaterThanOrEqual(0.9);
    expect(scoreFewShot(model, heldOut, config).accuracy).toBeLessThan(0.6);
  });

  for (const strategy of ['head', 'lora', 'full'] as const) {
    it(`${strategy}: 40 mirrored drawings lift held-out accuracy on mirrored digits`, async () => {
      const { model, config } = loadModel(CNN);
      const before = scoreFewShot(model, heldOut, config).accuracy;
      const progress: number[] = [];
      const headBefore = Array.from(model.layers[0].parameters()[0].data());
      const result = await fineTuneFewShot(model, config, mirrored, { strategy, steps: 60, seed: 1, onProgress: (p) => progress.push(p.step) });
      expect(result).toMatchObject({ strategy, trainCount: 30, heldOutCount: 10, steps: 60 });
      expect(progress).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      expect(result.before.accuracy).toBeLessThan(0.7);
      expect(result.after.accuracy).toBeGreaterThanOrEqual(0.8);
      expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]);
      const after = scoreFewShot(model, heldOut, config).accuracy;
      expect(after - before).toBeGreaterThanOrEqual(0.3);
      const firstLayerChanged = Array.from(model.layers[0].parameters()[0].data()).some((v, i) => v !== headBefore[i]);
      expect(firstLayerChanged).toBe(strategy !== 'head'); // head keeps every layer but the last fixed; lora merges its update in
      expect(model.config()).toEqual(loadModel(CNN).model.config()); // lora: merged back into the plain architecture
      expect(model.trainableParameters().length).toBe(model.parameters().length); // nothing left frozen
    });
  }

  it('with rehearsal, teaching one digit does not make the model answer that digit for everything', async () => {
    const test = loadMnist().test;
    const mnist = Array.from({ length: 300 }, (_, i) => ({ label: test.labels[i], pixels: Float32Array.from(test.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255) }));
    const sevens = drawn('mirrored', 5, 5).filter((e) => e.label === 7);
    const replay = decodeReplaySet(replaySetFor('mnist') as Uint8Array);
    expect(replay).toHaveLength(200);
    const run = async (withReplay: boolean) => {
      const { model, config } = loadModel(CNN);
      const result = await fineTuneFewShot(model, config, sevens, { strategy: 'full', holdout: 0, replay: withReplay ? replay : undefined });
      expect(result.replayCount).toBe(withReplay ? 200 : 0);
      return { mnist: scoreFewShot(model, mnist, config).accuracy, sevens: scoreFewShot(model, heldOut.filter((e) => e.label === 7), config).accuracy };
    };
    const without = await run(false);
    const withReplay = await run(true);
    // measured: MNIST 0.99 -> 0.10 without rehearsal (everything is a 7), 0.98 with it; mirrored 7s read either way
    expect(without.mnist).toBeLessThan(0.3);
    expect(withReplay.mnist).toBeGreaterThanOrEqual(0.9);
    expect(withReplay.sevens).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  it('refuses labels outside the classes and inputs of the wrong size, naming the example', async () => {
    const { model, config } = loadModel(CNN);
    await expect(fineTuneFewShot(model, config, [{ label: 12, pixels: new Float32Array(784) }])).rejects.toThrow(/example 0 has label 12, expected a class index 0-9/);
    await expect(fineTuneFewShot(model, config, [{ label: 1, pixels: new Float32Array(10) }])).rejects.toThrow(/example 0 has 10 values, the model takes 784/);
    await expect(fineTuneFewShot(model, config, [])).rejects.toThrow(/no examples to train on/);
  });
});
