import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { Adam } from '../../src/optim/index.js';
import { EarlyStopping, ModelCheckpoint } from '../../src/train/callbacks.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { fit, type FitOptions, type History } from '../../src/train/fit.js';
import type { Callback, TrainContext } from '../../src/train/types.js';
import { tempDir, thrown } from '../data/helpers.js';
import { mnistSlice, timeless, tinyMlp, useCpu } from './helpers.js';

/** Every piece of state a resume must restore: dropout (global RNG), shuffling, augmentation, a schedule, Adam, callbacks. */
function fullOptions(dir: string, extra: Callback[] = []): Omit<FitOptions, 'optimizer'> {
  return {
    epochs: 3, batchSize: 32, seed: 7, validationSplit: 0.1, augment: { translate: 2, rotate: 8 },
    schedule: { type: 'onecycle' }, progress: 'none', log: () => {},
    callbacks: [new ModelCheckpoint({ dir, everySteps: 3 }), new EarlyStopping({ patience: 10 }), ...extra],
  };
}

async function run(dir: string, options: { initSeed?: number; abortAt?: number; resume?: boolean; epochs?: number } = {}): Promise<{ history: History; weights: number[] }> {
  const model = tinyMlp(options.initSeed ?? 1, { dropout: 0.25 });
  const controller = new AbortController();
  const aborter: Callback = { onBatchEnd: (ctx) => { if (ctx.globalStep === options.abortAt) controller.abort(); } };
  const history = await fit(model, mnistSlice().train, {
    ...fullOptions(dir, options.abortAt ? [aborter] : []),
    ...(options.epochs ? { epochs: options.epochs } : {}),
    optimizer: new Adam(model.parameters(), { lr: 0.01 }),
    signal: controller.signal,
    resumeFrom: options.resume ? join(dir, 'last.ckpt') : null,
  });
  return { history, weights: model.parameters().flatMap((p) => Array.from(p.values())) };
}

describe('checkpoints and exact resume', () => {
  const root = tempDir('zerograd-ckpt-');
  let baseline: { history: History; weights: number[] };
  beforeAll(async () => {
    useCpu();
    baseline = await run(join(root, 'baseline'));
  });

  it('writes last.ckpt and best.ckpt with the training state, and no temporary files', () => {
    const dir = join(root, 'baseline');
    expect(readdirSync(dir).sort()).toEqual(['best.ckpt', 'last.ckpt']);
    const { meta, arrays } = readCheckpoint(join(dir, 'last.ckpt'));
    expect(meta).toMatchObject({ format: 'zerograd-checkpoint', version: 2, epoch: 3, stepInEpoch: 0, globalStep: 24, finished: true, stopReason: 'completed' });
    expect(meta.history).toHaveLength(3);
    expect(meta.run).toMatchObject({ batchSize: 32, epochs: 3, baseLr: 0.01 });
    expect(meta.optimizer).toMatchObject({ type: 'Adam', step: 24 });
    expect(meta.rng.augment).not.toBeNull();
    expect(Object.keys(meta.callbacks).sort()).toEqual(['EarlyStopping', 'ModelCheckpoint']);
    expect([...arrays.keys()]).toContain('model.1.weight');
    expect([...arrays.keys()]).toContain('optimizer.0.m');
    expect(arrays.get('model.1.weight')?.dtype).toBe('F64'); // the reference backend's precision: resume is exact
  });

  it('continues exactly after an interrupt in the middle of an epoch', async () => {
    const dir = join(root, 'mid');
    const first = await run(dir, { abortAt: 11 });
    expect(first.history.stopReason).toBe('interrupted');
    const { meta } = readCheckpoint(join(dir, 'last.ckpt'));
    expect(meta).toMatchObject({ epoch: 1, stepInEpoch: 3, globalStep: 11, finished: false });
    const resumed = await run(dir, { initSeed: 99, resume: true });
    expect(resumed.history.resumedAt).toEqual({ epoch: 1, stepInEpoch: 3 });
    expect(timeless(resumed.history.history)).toEqual(timeless(baseline.history.history));
    expect(resumed.weights).toEqual(baseline.weights);
  });

  it('continues exactly after an interrupt on the last step of an epoch', async () => {
    const dir = join(root, 'edge');
    await run(dir, { abortAt: 8 });
    expect(readCheckpoint(join(dir, 'last.ckpt')).meta).toMatchObject({ epoch: 0, stepInEpoch: 8 });
    const resumed = await run(dir, { initSeed: 5, resume: true });
    expect(timeless(resumed.history.history)).toEqual(timeless(baseline.history.history));
    expect(resumed.weights).toEqual(baseline.weights);
  });

  it('continues exactly from a periodic (every N steps) checkpoint, as after a crash', async () => {
    const dir = join(root, 'periodic');
    const crashed = join(root, 'crashed');
    mkdirSync(crashed);
    // Keep the periodic save of step 18 (as a crash right after it would), then let the run go on.
    const keep: Callback = { onBatchEnd: (ctx) => { if (ctx.globalStep === 18) copyFileSync(join(dir, 'last.ckpt'), join(crashed, 'last.ckpt')); } };
    const model = tinyMlp(1, { dropout: 0.25 });
    await fit(model, mnistSlice().train, { ...fullOptions(dir, [keep]), optimizer: new Adam(model.parameters(), { lr: 0.01 }) });
    expect(readCheckpoint(join(crashed, 'last.ckpt')).meta).toMatchObject({ epoch: 2, stepInEpoch: 2, globalStep: 18 });
    const resumed = await run(crashed, { initSeed: 3, resume: true });
    expect(timeless(resumed.history.history)).toEqual(timeless(baseline.history.history));
    expect(resumed.weights).toEqual(baseline.weights);
  });

  it('continues exactly from an end-of-epoch checkpoint (the default kind): the next epoch draws a new order', async () => {
    const dir = join(root, 'epoch-end');
    const crashed = join(root, 'crashed-epoch-end');
    mkdirSync(crashed);
    // Runs after ModelCheckpoint's afterEpochEnd: keeps the end-of-epoch-1 save, as a crash right after it would.
    const keep: Callback = { afterEpochEnd: (ctx) => { if (ctx.epoch === 1) copyFileSync(join(dir, 'last.ckpt'), join(crashed, 'last.ckpt')); } };
    const model = tinyMlp(1, { dropout: 0.25 });
    await fit(model, mnistSlice().train, { ...fullOptions(dir, [keep]), optimizer: new Adam(model.parameters(), { lr: 0.01 }) });
    expect(readCheckpoint(join(crashed, 'last.ckpt')).meta).toMatchObject({ epoch: 1, stepInEpoch: 0, globalStep: 8, finished: false });
    const resumed = await run(crashed, { initSeed: 3, resume: true });
    expect(resumed.history.resumedAt).toEqual({ epoch: 1, stepInEpoch: 0 });
    expect(timeless(resumed.history.history)).toEqual(timeless(baseline.history.history));
    expect(resumed.weights).toEqual(baseline.weights);
  });

  it('continues exactly from a checkpoint taken after any step or epoch end', async () => {
    const dir = join(root, 'every');
    mkdirSync(dir);
    const names: string[] = [];
    const save = (ctx: TrainContext, kind: string): void => {
      const path = join(dir, `${ctx.globalStep}-${kind}.ckpt`);
      ctx.saveCheckpoint(path);
      names.push(path);
    };
    const saver: Callback = { key: 'saver', onBatchEnd: (ctx) => save(ctx, 'step'), afterEpochEnd: (ctx) => save(ctx, 'epoch') };
    const model = tinyMlp(1, { dropout: 0.25 });
    await fit(model, mnistSlice().train, { ...fullOptions(join(dir, 'ckpt'), [saver]), optimizer: new Adam(model.parameters(), { lr: 0.01 }) });
    expect(names).toHaveLength(24 + 3);
    expect(Array.from(model.parameters().flatMap((p) => Array.from(p.values())))).toEqual(baseline.weights);
    for (const path of names) {
      const resumedModel = tinyMlp(42, { dropout: 0.25 });
      const history = await fit(resumedModel, mnistSlice().train, {
        ...fullOptions(join(dir, 'resumed')), optimizer: new Adam(resumedModel.parameters(), { lr: 0.01 }), resumeFrom: path,
      });
      expect(timeless(history.history), path).toEqual(timeless(baseline.history.history));
      expect(resumedModel.parameters().flatMap((p) => Array.from(p.values())), path).toEqual(baseline.weights);
    }
  });

  it('reads a version-1 end-of-epoch checkpoint (which held the ended epoch\'s shuffle state) and still continues exactly', async () => {
    const dir = join(root, 'v1');
    mkdirSync(dir);
    const keep: Callback = {
      key: 'keep',
      onBatchEnd: (ctx) => { if (ctx.globalStep === 3) ctx.saveCheckpoint(join(dir, 'epoch0.ckpt')); },
      afterEpochEnd: (ctx) => { if (ctx.epoch === 1) ctx.saveCheckpoint(join(dir, 'end1.ckpt')); },
    };
    const model = tinyMlp(1, { dropout: 0.25 });
    await fit(model, mnistSlice().train, { ...fullOptions(join(dir, 'ckpt'), [keep]), optimizer: new Adam(model.parameters(), { lr: 0.01 }) });
    const end = readCheckpoint(join(dir, 'end1.ckpt'));
    const epochZeroStart = readCheckpoint(join(dir, 'epoch0.ckpt')).meta.rng.shuffleAtEpochStart;
    expect(end.meta.rng.shuffleAtEpochStart).not.toEqual(epochZeroStart);
    // What version 1 wrote at the end of epoch 1: the shuffle state at the start of epoch 0.
    writeCheckpoint(join(dir, 'last.ckpt'), { ...end, meta: { ...end.meta, version: 1, rng: { ...end.meta.rng, shuffleAtEpochStart: epochZeroStart } } });
    const resumed = await run(dir, { initSeed: 8, resume: true });
    expect(timeless(resumed.history.history)).toEqual(timeless(baseline.history.history));
    expect(resumed.weights).toEqual(baseline.weights);
  });

  it('does nothing more when resuming a finished run', async () => {
    const resumed = await run(join(root, 'baseline'), { initSeed: 4, resume: true });
    expect(resumed.history.globalStep).toBe(24);
    expect(resumed.weights).toEqual(baseline.weights);
    expect(resumed.history.stopReason).toBe('completed');
  });

  it('trains on when a completed run is resumed with more epochs', async () => {
    const dir = join(root, 'extend');
    mkdirSync(dir);
    copyFileSync(join(root, 'baseline', 'last.ckpt'), join(dir, 'last.ckpt'));
    const extended = await run(dir, { resume: true, epochs: 4 });
    expect(extended.history.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(extended.history.globalStep).toBe(32);
    expect(timeless(extended.history.history.slice(0, 3))).toEqual(timeless(baseline.history.history));
  });

  it('refuses checkpoints it cannot continue exactly, or cannot read', async () => {
    const model = tinyMlp(1, { dropout: 0.25 });
    const last = join(root, 'baseline', 'last.ckpt');
    const base = { epochs: 3, batchSize: 64, seed: 7, validationSplit: 0.1, progress: 'none' as const, optimizer: new Adam(model.parameters()) };
    await expect(fit(model, mnistSlice().train, { ...base, resumeFrom: last })).rejects.toThrow(/made with batch size 32 on 229 training examples; this run has batch size 64 and 229 examples/);
    const plain = join(root, 'plain.ckpt');
    writeFileSync(plain, encodeSafetensors([]));
    expect(thrown(() => readCheckpoint(plain)).message).toMatch(/not a zerograd training checkpoint/);
    const truncated = join(root, 'truncated.ckpt');
    writeFileSync(truncated, readFileSync(last).subarray(0, 2000));
    expect(thrown(() => readCheckpoint(truncated)).message).toMatch(/truncated\.ckpt: /);
    const checkpoint = readCheckpoint(last);
    const newer = join(root, 'newer.ckpt');
    writeCheckpoint(newer, { ...checkpoint, meta: { ...checkpoint.meta, version: 3 } });
    expect(thrown(() => readCheckpoint(newer)).message).toMatch(/checkpoint version 3 was written by a newer zerograd/);
    expect(thrown(() => readCheckpoint(join(root, 'none.ckpt'))).message).toMatch(/checkpoint not found/);
  });

  it('records the backend and kernel build, and says so when a resume computes elsewhere', async () => {
    const last = join(root, 'baseline', 'last.ckpt');
    const checkpoint = readCheckpoint(last);
    expect(checkpoint.meta.engine).toEqual({ backend: 'cpu' });
    const elsewhere = { ...checkpoint, meta: { ...checkpoint.meta, engine: { backend: 'wasm', kernels: 'relaxed-simd' } } };
    const model = tinyMlp(1, { dropout: 0.25 });
    const lines: string[] = [];
    await fit(model, mnistSlice().train, {
      ...fullOptions(join(root, 'elsewhere')), progress: 'lines', log: (line) => lines.push(line),
      optimizer: new Adam(model.parameters(), { lr: 0.01 }), resumeFrom: elsewhere,
    });
    expect(lines).toContain('note: checkpoint was computed on wasm (relaxed-simd kernels); resuming on cpu continues it, but not bit for bit');
    lines.length = 0;
    const again = tinyMlp(1, { dropout: 0.25 });
    await fit(again, mnistSlice().train, {
      ...fullOptions(join(root, 'same')), progress: 'lines', log: (line) => lines.push(line),
      optimizer: new Adam(again.parameters(), { lr: 0.01 }), resumeFrom: checkpoint,
    });
    expect(lines.filter((line) => line.startsWith('note:'))).toEqual([]);
  });
});
