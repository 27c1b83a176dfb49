// The inference worker thread: the same outputs as in-process inference, a failing batch rejects (and the
// thread keeps serving), a dead or stuck thread is replaced, close() stops it; a pool of them; and the server
// on them: identical answers, a 500 JSON error (not a crash) when a thread dies mid-batch, threads stopped on close.
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../src/io/model-config.js';
import { DigitClassifier } from '../../src/serve/classifier.js';
import { imagePixels, RequestError } from '../../src/serve/inputs.js';
import { buildServer } from '../../src/serve/server.js';
import { InferenceWorker } from '../../src/serve/worker.js';
import { defaultWorkerCount, InferenceWorkerPool } from '../../src/serve/worker-pool.js';
import { digitPixels, digitPng, shippedModel } from './helpers.js';

let loaded: LoadedModel;
let worker: InferenceWorker;
beforeAll(async () => {
  loaded = await shippedModel();
  worker = new InferenceWorker(loaded);
  await worker.ready;
});
afterAll(() => worker.close());

/** The worker_threads Worker behind an InferenceWorker (to kill it as a crash would). */
const threadOf = (w: InferenceWorker): Worker => (w as unknown as { worker: Worker }).worker;

const batchOf = (indices: number[]): Float32Array => Float32Array.from(indices.flatMap((i) => digitPixels(i).pixels));

/**
 * A batch of 2,048 digits (about half a second of work in the thread): sent first, it keeps the thread busy, so
 * a batch sent after it is still waiting when the test kills the thread, however fast the machine.
 */
const busyBatch = (): Float32Array => batchOf(Array.from({ length: 2048 }, (_, i) => i % 32));

describe('InferenceWorker', () => {
  it('gives exactly the outputs of in-process inference, for any batch size', async () => {
    const local = new DigitClassifier(loaded.model, loaded.config);
    for (const indices of [[0], [1, 2, 3], Array.from({ length: 17 }, (_, i) => i + 10)]) {
      const pixels = batchOf(indices);
      const remote = await worker.infer(pixels, indices.length);
      expect(Array.from(remote)).toEqual(Array.from(local.probabilities(pixels)));
      expect(pixels.length).toBe(indices.length * 784); // the caller's pixels are copied, not moved away
    }
  });

  it('rejects a batch that fails in the worker with its error, and keeps serving', async () => {
    await expect(worker.infer(new Float32Array(5), 1)).rejects.toThrow(/expected a multiple of 784 pixel values/);
    expect(await worker.infer(batchOf([4]), 1)).toHaveLength(10);
  });

  it('rejects the batches of a thread that died, and starts a new one for the next batch', async () => {
    const own = new InferenceWorker(loaded);
    await own.ready;
    const busy = own.infer(busyBatch(), 2048);
    const lost = own.infer(batchOf([0, 1]), 2);
    await threadOf(own).terminate();
    await expect(busy).rejects.toThrow(/inference worker stopped/);
    await expect(lost).rejects.toThrow(/inference worker stopped/);
    const again = await own.infer(batchOf([0]), 1);
    expect(again).toHaveLength(10);
    expect(own.restarts).toBe(1);
    await own.close();
  });

  it('stops a thread stuck over a batch for longer than timeoutMs, rejecting the batch', async () => {
    const own = new InferenceWorker(loaded, { timeoutMs: 1 });
    await own.ready;
    await expect(own.infer(batchOf(Array.from({ length: 64 }, (_, i) => i)), 64)).rejects.toThrow(/took longer than 1 ms over a job and was stopped/);
    expect(own.restarts).toBe(1);
    await own.close();
  });

  it('decodes an upload as imagePixels does, and sends its RequestError back as one', async () => {
    const { file } = digitPng(5, 4);
    expect(Array.from(await worker.decode(file, 784, 1 << 20))).toEqual(Array.from(imagePixels(file, 784, 1 << 20).pixels));
    const refused = worker.decode(file, 784, 100);
    await expect(refused).rejects.toBeInstanceOf(RequestError);
    await expect(refused).rejects.toMatchObject({ status: 413, code: 'image_too_large' });
    await expect(worker.decode(Buffer.from('nope'), 784, 100)).rejects.toMatchObject({ status: 400, code: 'bad_image' });
    const decodeOnly = new InferenceWorker(null);
    await decodeOnly.ready;
    expect(Array.from(await decodeOnly.decode(file, 784, 1 << 20))).toEqual(Array.from(imagePixels(file, 784, 1 << 20).pixels));
    await expect(decodeOnly.infer(batchOf([0]), 1)).rejects.toThrow(/only decodes images/);
    await decodeOnly.close();
  });

  it('stops its thread on close and refuses work afterwards', async () => {
    const own = new InferenceWorker(loaded);
    await own.ready;
    const exited = new Promise<number>((resolve) => threadOf(own).once('exit', resolve));
    await own.close();
    await exited;
    await expect(own.infer(batchOf([0]), 1)).rejects.toThrow(/closed/);
  });
});

describe('the server with an inference worker', () => {
  it('answers as the in-process server does', async () => {
    const { app } = buildServer({ loaded, worker: true });
    const { app: inProcess } = buildServer({ loaded });
    for (const request of [
      { method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pixels: [5, 6, 7].map((i) => digitPixels(i).pixels) }) },
      { method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'image/png' }, payload: digitPng(8).file },
      { method: 'POST' as const, url: '/v1/explain?steps=4', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pixels: digitPixels(9).pixels }) },
    ]) {
      const [a, b] = await Promise.all([app.inject(request), inProcess.inject(request)]);
      expect(a.statusCode).toBe(200);
      expect(a.json()).toEqual(b.json());
    }
    await Promise.all([app.close(), inProcess.close()]);
  });

  it('answers 500 JSON when the worker dies mid-batch, then serves again; close() stops the worker', async () => {
    const { app, pool } = buildServer({ loaded, worker: { threads: 1 } });
    const own = (pool as InferenceWorkerPool).workers[0];
    await app.ready();
    const thread = threadOf(own);
    const payload = { method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pixels: digitPixels(0).pixels }) };
    const busy = own.infer(busyBatch(), 2048); // the request's batch waits behind it in the thread
    const pending = app.inject(payload);
    while (own.inFlight < 2) await new Promise((r) => setImmediate(r));
    await thread.terminate();
    await expect(busy).rejects.toThrow(/inference worker stopped/);
    const failed = await pending;
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ statusCode: 500, error: 'internal' });
    const ok = await app.inject(payload);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().label).toBe(digitPixels(0).label);
    expect((await app.inject('/metrics.json')).json()).toMatchObject({ inference: { where: 'worker', workers: 1, workerRestarts: 1 }, errorsByStatus: { 500: 1 } });
    const replacement = threadOf(own);
    const exited = new Promise<number>((resolve) => replacement.once('exit', resolve));
    await app.close();
    await exited;
  });
});

describe('InferenceWorkerPool', () => {
  it('uses all cores but one, and at least one worker', () => {
    expect([1, 2, 4, 8].map((cores) => defaultWorkerCount(cores))).toEqual([1, 1, 3, 7]);
  });

  it('spreads batches over its workers and gives exactly the outputs of in-process inference', async () => {
    const pool = new InferenceWorkerPool(loaded, { workers: 2 });
    await pool.ready;
    const local = new DigitClassifier(loaded.model, loaded.config);
    const batches = [[0], [1, 2, 3], [4, 5], Array.from({ length: 17 }, (_, i) => i + 10)].map(batchOf);
    const outputs = batches.map((pixels) => pool.infer(pixels));
    expect(pool.workers.map((w) => w.inFlight)).toEqual([2, 2]); // least busy first: each worker got two
    for (const [i, output] of (await Promise.all(outputs)).entries()) expect(Array.from(output)).toEqual(Array.from(local.probabilities(batches[i])));
    expect(() => new InferenceWorkerPool(loaded, { workers: 0 })).toThrow(/workers must be a positive integer, got 0/);
    await pool.close();
  });
});

describe('the server with a pool of 2 inference workers', () => {
  const predict = (index: number) => ({ method: 'POST' as const, url: '/v1/predict', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pixels: digitPixels(index).pixels }) });

  it('answers as the in-process server does, with at most 2 batches in each worker', async () => {
    const { app, pool, queue } = buildServer({ loaded, worker: { workers: 2 }, maxBatch: 2 });
    const { app: inProcess } = buildServer({ loaded });
    await app.ready();
    expect(queue.maxInFlight).toBe(4);
    let most = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const w of (pool as InferenceWorkerPool).workers) most = Math.max(most, w.inFlight);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const requests = Array.from({ length: 40 }, (_, i) => predict(i));
    const [pooled, local] = await Promise.all([Promise.all(requests.map((r) => app.inject(r))), Promise.all(requests.map((r) => inProcess.inject(r)))]);
    watching = false;
    await watch;
    expect(pooled.map((r) => r.statusCode)).toEqual(requests.map(() => 200));
    // Same labels; probabilities equal up to float32 rounding: batches of other sizes take other GEMM paths, and on
    // the relaxed-SIMD build only the blocked one uses FMA (docs/engine.md), so the last bits may differ.
    const probabilities = (r: { json(): unknown }) => (r.json() as { probabilities: number[] }).probabilities;
    expect(pooled.map((r) => (r.json() as { label: number }).label)).toEqual(local.map((r) => (r.json() as { label: number }).label));
    pooled.forEach((r, i) => probabilities(r).forEach((p, c) => expect(Math.abs(p - probabilities(local[i])[c])).toBeLessThanOrEqual(2e-6)));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    await Promise.all([app.close(), inProcess.close()]);
  });

  it('replaces a killed worker and keeps answering; /metrics counts workers and restarts; close() stops every thread', async () => {
    const { app, pool } = buildServer({ loaded, worker: { workers: 2 } });
    await app.ready();
    const [first, second] = (pool as InferenceWorkerPool).workers;
    // Both threads busy, so the request goes to the first (ties go to the lower index) and waits there.
    const busy = [first, second].map((w) => w.infer(busyBatch(), 2048));
    const pending = app.inject(predict(0));
    while (first.inFlight < 2) await new Promise((r) => setImmediate(r));
    await threadOf(first).terminate();
    await expect(busy[0]).rejects.toThrow(/inference worker stopped/);
    expect(await busy[1]).toHaveLength(2048 * 10);
    expect((await pending).statusCode).toBe(500);
    const after = await Promise.all(Array.from({ length: 8 }, (_, i) => app.inject(predict(i))));
    expect(after.map((r) => r.statusCode)).toEqual(after.map(() => 200));
    expect(after.map((r) => r.json().label)).toEqual(after.map((_, i) => digitPixels(i).label));
    const metrics = (await app.inject('/metrics.json')).json();
    expect(metrics).toMatchObject({ inference: { where: 'worker', workers: 2, workerRestarts: 1, restartsByWorker: [1, 0] }, errorsByStatus: { 500: 1 } });
    expect((await app.inject('/metrics')).body).toMatch(/^zerograd_inference_workers 2$[\s\S]*^zerograd_worker_restarts_total\{worker="0"\} 1$/m);
    const exited = [first, second].map((w) => new Promise<number>((resolve) => threadOf(w).once('exit', resolve)));
    await app.close();
    await Promise.all(exited);
    await expect((pool as InferenceWorkerPool).infer(batchOf([0]))).rejects.toThrow(/closed/);
  });
});
