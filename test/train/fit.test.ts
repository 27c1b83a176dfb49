import { beforeAll, describe, expect, it } from 'vitest';
import { holdout } from '../../src/data/split.js';
import { tensor } from '../../src/ops/create.js';
import { learningRateAt } from '../../src/optim/schedules.js';
import { Adam, SGD } from '../../src/optim/index.js';
import { evaluate, predict } from '../../src/train/evaluate.js';
import { fit, type FitOptions, type History } from '../../src/train/fit.js';
import { EarlyStopping, LearningRateScheduler, TerminateOnNaN } from '../../src/train/callbacks.js';
import type { Callback } from '../../src/train/types.js';
import { mnistSlice, timeless, tinyMlp, useCpu } from './helpers.js';

const quiet = { progress: 'none' as const, log: () => {} };

async function train(seed: number, options: Partial<FitOptions> = {}, modelOptions: { dropout?: number } = {}): Promise<{ history: History; weights: number[] }> {
  const model = tinyMlp(seed, modelOptions);
  const { train: data } = mnistSlice();
  const history = await fit(model, data, { epochs: 2, batchSize: 32, optimizer: new Adam(model.parameters(), { lr: 0.01 }), seed, ...quiet, ...options });
  return { history, weights: Array.from(model.parameters()[0].values()) };
}

describe('fit', () => {
  beforeAll(useCpu);

  it('learns a small MNIST slice and records a Keras-style history', async () => {
    const { history } = await train(0, { epochs: 3 });
    expect(history.stopReason).toBe('completed');
    expect(history.globalStep).toBe(3 * 8);
    expect(history.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    const [first, , last] = history.history;
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.accuracy).toBeGreaterThan(0.7);
    for (const h of history.history) {
      expect(h.seconds).toBeGreaterThan(0);
      expect(h.lr).toBe(0.01);
      expect(h.val_loss).toBeUndefined();
    }
    expect(history.samplesPerSecond).toBeGreaterThan(0);
  });

  it('holds out a stratified validation split and reports val_loss and val_accuracy', async () => {
    const seen: number[] = [];
    const counter: Callback = { onBatchEnd: (_ctx, logs) => { seen.push(logs.size); } };
    const { history } = await train(0, { epochs: 1, validationSplit: 0.25, callbacks: [counter] });
    const held = holdout(mnistSlice().train.labels, { validationFraction: 0.25, seed: 0 }).validation.length;
    expect(held).toBeGreaterThan(60);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(256 - held);
    expect(history.history[0].val_loss).toBeGreaterThan(0);
    expect(history.history[0].val_accuracy).toBeGreaterThan(0);
  });

  it('gives the same history and weights for the same seed (shuffle, dropout, augmentation), and not for another', async () => {
    const options = { augment: { translate: 2, rotate: 10 }, validationSplit: 0.1 };
    const a = await train(5, options, { dropout: 0.3 });
    const b = await train(5, options, { dropout: 0.3 });
    const c = await train(6, options, { dropout: 0.3 });
    expect(timeless(b.history.history)).toEqual(timeless(a.history.history));
    expect(b.weights).toEqual(a.weights);
    expect(c.history.history[0].loss).not.toBe(a.history.history[0].loss);
  });

  it('follows a learning-rate schedule step by step', async () => {
    const lrs: number[] = [];
    const schedule = { type: 'cosine' as const, warmupSteps: 2 };
    const { history } = await train(0, { schedule, callbacks: [{ onBatchEnd: (_ctx, logs) => { lrs.push(logs.lr); } }] });
    expect(lrs).toEqual(Array.from({ length: 16 }, (_, step) => learningRateAt(schedule, 0.01, step, 16)));
    expect(history.history[1].lr).toBe(lrs[15]);
  });

  it('accepts a LearningRateScheduler callback with a function of the step', async () => {
    const lrs: number[] = [];
    await train(0, { epochs: 1, callbacks: [new LearningRateScheduler((step, base) => base / (1 + step)), { onBatchEnd: (_c, logs) => { lrs.push(logs.lr); } }] });
    expect(lrs[0]).toBe(0.01);
    expect(lrs[3]).toBe(0.0025);
  });

  it('clips gradients when clipNorm is set: every step applies a gradient of global norm <= clipNorm, and training still converges', async () => {
    /** The global norm of the gradients the optimizer just applied (they stay on the parameters until the next step). */
    const norms: number[] = [];
    const recorder: Callback = {
      onBatchEnd: (ctx) => {
        let squares = 0;
        for (const p of ctx.optimizer.parameters()) for (const g of p.grad?.values() ?? []) squares += g * g;
        norms.push(Math.sqrt(squares));
      },
    };
    await train(0, { callbacks: [recorder] });
    const unclipped = norms.splice(0);
    const over = unclipped.filter((n) => n > 0.5).length;
    expect(over).toBeGreaterThan(4); // without clipping, many steps exceed 0.5: the check below can fail
    const { history } = await train(0, { clipNorm: 0.5, callbacks: [recorder] });
    expect(norms).toHaveLength(16);
    for (const norm of norms) expect(norm).toBeLessThanOrEqual(0.5 + 1e-9);
    // Steps whose raw norm was above the limit were scaled to it (not to zero, not left alone).
    expect(norms.filter((n) => Math.abs(n - 0.5) < 1e-5).length).toBeGreaterThanOrEqual(1);
    expect(history.history[1].loss).toBeLessThan(history.history[0].loss);
  });

  it('stops early when the monitored metric stops improving', async () => {
    const model = tinyMlp(0);
    const { train: data } = mnistSlice();
    const history = await fit(model, data, {
      epochs: 10, batchSize: 64, optimizer: new Adam(model.parameters(), { lr: 0 }), ...quiet,
      callbacks: [new EarlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e-6 })],
    });
    expect(history.stopReason).toBe('early-stopping');
    expect(history.history).toHaveLength(3);
  });

  it('restores the best weights when asked', async () => {
    const model = tinyMlp(0);
    const { train: data } = mnistSlice();
    let bestWeights: number[] = [];
    const spy: Callback = { onEpochEnd: (ctx) => { if (ctx.epoch === 1) bestWeights = Array.from(model.parameters()[0].values()); } };
    const history = await fit(model, data, {
      epochs: 8, batchSize: 32, optimizer: new SGD(model.parameters(), { lr: 0.05 }), validationSplit: 0.2, ...quiet,
      // A sane first epoch, then a learning rate that wrecks the model: epoch 1 stays the best.
      callbacks: [new LearningRateScheduler((step) => (step < 7 ? 0.05 : 40)), spy, new EarlyStopping({ monitor: 'val_accuracy', patience: 2, restoreBestWeights: true })],
    });
    expect(history.stopReason).toBe('early-stopping');
    expect(history.history).toHaveLength(3);
    expect(Array.from(model.parameters()[0].values())).toEqual(bestWeights);
  });

  it('stops on a NaN loss', async () => {
    const { train: data } = mnistSlice();
    const model = tinyMlp(0);
    // After the first step, poison the output bias: every later logit (and loss) is NaN.
    const poison: Callback = {
      onBatchEnd: (ctx) => {
        if (ctx.globalStep !== 1) return;
        const state = new Map([['2.bias', tensor(new Float32Array(10).fill(NaN), { shape: [10] })]]);
        model.loadStateDict(state, { strict: false });
      },
    };
    const history = await fit(model, data, { epochs: 3, batchSize: 32, optimizer: new Adam(model.parameters()), ...quiet, callbacks: [poison, new TerminateOnNaN()] });
    expect(history.stopReason).toBe('nan');
    expect(history.globalStep).toBe(2);
    expect(history.history).toEqual([]);
  });

  it('prints one plain line per epoch in lines mode', async () => {
    const lines: string[] = [];
    await train(0, { progress: 'lines', log: (line) => lines.push(line), validationSplit: 0.1 });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^epoch 1\/2  loss \d\.\d{4}  accuracy \d+\.\d\d%  val_loss \d\.\d{4}  val_accuracy \d+\.\d\d%  \d+\.\d s  [\d,]+ samples\/s  lr 0\.0100$/);
  });

  it('rejects bad settings with clear messages', async () => {
    const model = tinyMlp(0);
    const { train: data, test } = mnistSlice();
    const optimizer = new Adam(model.parameters());
    await expect(fit(model, data, { epochs: 0, batchSize: 32, optimizer })).rejects.toThrow(/epochs must be a positive integer, got 0/);
    await expect(fit(model, data, { epochs: 1, batchSize: 1.5, optimizer })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(fit(model, data, { epochs: 1, batchSize: 8, optimizer, validationData: test, validationSplit: 0.1 })).rejects.toThrow(/validationData or validationSplit, not both/);
    await expect(fit(model, data, { epochs: 1, batchSize: 8, optimizer, callbacks: [new TerminateOnNaN(), new TerminateOnNaN()] })).rejects.toThrow(/two callbacks share the key 'TerminateOnNaN'/);
    const flat = tinyMlp(0);
    await expect(fit(flat, { ...data, rows: 14, cols: 14 }, { epochs: 1, batchSize: 8, optimizer })).rejects.toThrow(/14x14 = 196 features, the model expects input \(1, 28, 28\) = 784/);
  });
});

describe('evaluate and predict', () => {
  beforeAll(useCpu);

  it('agree with each other and leave the training mode as it was', async () => {
    const model = tinyMlp(2, { dropout: 0.5 });
    const { test } = mnistSlice();
    const result = evaluate(model, test, { batchSize: 50 });
    expect(model.training).toBe(true);
    expect(result.count).toBe(128);
    expect(Array.from(result.labels)).toEqual(Array.from(test.labels));
    const correct = result.predictions.filter((p, i) => p === test.labels[i]).length;
    expect(result.accuracy).toBe(correct / 128);
    for (let r = 0; r < 128; r += 17) {
      const row = result.probabilities.subarray(r * 10, r * 10 + 10);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const predicted = predict(model, test.images, { batchSize: 33 });
    expect(Array.from(predicted.predictions)).toEqual(Array.from(result.predictions));
    expect(Array.from(predicted.probabilities)).toEqual(Array.from(result.probabilities));
    // Mean cross-entropy from the probabilities.
    let loss = 0;
    for (let i = 0; i < 128; i++) loss -= Math.log(result.probabilities[i * 10 + test.labels[i]]);
    expect(result.loss).toBeCloseTo(loss / 128, 4);
  });

  it('evaluates a subset by indices', () => {
    const model = tinyMlp(2);
    const { test } = mnistSlice();
    const indices = Int32Array.from([5, 7, 9]);
    const result = evaluate(model, test, { indices });
    expect(result.count).toBe(3);
    expect(Array.from(result.labels)).toEqual([test.labels[5], test.labels[7], test.labels[9]]);
  });
});
