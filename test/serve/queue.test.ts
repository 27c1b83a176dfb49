// The inference queue on its own: micro-batches, back-pressure, waiting-time limit, drain and errors,
// with a synchronous model and with an asynchronous one (as the inference worker is).
import { describe, expect, it } from 'vitest';
import { RequestError } from '../../src/serve/inputs.js';
import { InferenceQueue } from '../../src/serve/queue.js';

/** An "model" that returns each example's first value twice, and records batch sizes. */
function fakeModel(): { infer: (pixels: Float32Array, count: number) => Float32Array; sizes: number[] } {
  const sizes: number[] = [];
  return {
    sizes,
    infer: (pixels, count) => {
      sizes.push(count);
      return Float32Array.from({ length: count * 2 }, (_, i) => pixels[Math.floor(i / 2) * 2]);
    },
  };
}

describe('InferenceQueue', () => {
  it('runs what arrived in the same turn as one batch and returns each job its rows', async () => {
    const model = fakeModel();
    const queue = new InferenceQueue(model.infer, 2, { maxBatch: 8 });
    const results = await Promise.all([queue.submit(Float32Array.of(1, 0), 1), queue.submit(Float32Array.of(2, 0, 3, 0), 2), queue.submit(Float32Array.of(4, 0), 1)]);
    expect(model.sizes).toEqual([4]);
    expect(results.map((r) => Array.from(r))).toEqual([[1, 1], [2, 2, 3, 3], [4, 4]]);
    expect(queue.batches).toBe(1);
    expect(queue.images).toBe(4);
  });

  it('splits work into batches of at most maxBatch images', async () => {
    const model = fakeModel();
    const queue = new InferenceQueue(model.infer, 2, { maxBatch: 2 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => queue.submit(Float32Array.of(i, 0), 1)));
    expect(model.sizes).toEqual([2, 2, 1]);
  });

  it('rejects with 503 when full, and when a job waited too long', async () => {
    const queue = new InferenceQueue(fakeModel().infer, 2, { maxQueued: 2 });
    const accepted = queue.submit(new Float32Array(4), 2);
    await expect(queue.submit(new Float32Array(2), 1)).rejects.toMatchObject({ status: 503, code: 'overloaded' });
    await accepted;
    const stale = new InferenceQueue(fakeModel().infer, 2, { timeoutMs: -1 });
    await expect(stale.submit(new Float32Array(2), 1)).rejects.toMatchObject({ status: 503, code: 'timeout' });
  });

  it('drains queued work, then refuses new jobs', async () => {
    const queue = new InferenceQueue(fakeModel().infer, 2);
    const pending = queue.submit(Float32Array.of(7, 0), 1);
    await queue.drain();
    expect(Array.from(await pending)).toEqual([7, 7]);
    await expect(queue.submit(new Float32Array(2), 1)).rejects.toBeInstanceOf(RequestError);
  });

  it('passes a model error to every job of the batch and keeps serving', async () => {
    let fail = true;
    const queue = new InferenceQueue((pixels, count) => {
      if (fail) throw new Error('kernel trapped');
      return new Float32Array(count * 2);
    }, 2);
    const jobs = [queue.submit(new Float32Array(2), 1), queue.submit(new Float32Array(2), 1)];
    for (const job of jobs) await expect(job).rejects.toThrow('kernel trapped');
    fail = false;
    await expect(queue.submit(new Float32Array(2), 1)).resolves.toHaveLength(2);
  });

  it('keeps at most maxInFlight asynchronous batches out and batches what waits meanwhile', async () => {
    const model = fakeModel();
    const started: (() => void)[] = [];
    const queue = new InferenceQueue((pixels, count) => new Promise((resolve) => started.push(() => resolve(model.infer(pixels, count)))), 2, { maxInFlight: 1 });
    const first = queue.submit(Float32Array.of(1, 0), 1);
    await new Promise((r) => setImmediate(r));
    expect(started).toHaveLength(1); // no timer: an idle queue starts at once
    const rest = [2, 3, 4].map((v) => queue.submit(Float32Array.of(v, 0), 1));
    await new Promise((r) => setImmediate(r));
    expect(started).toHaveLength(1); // the one batch allowed is out; the others wait together
    expect(queue.depth).toBe(3);
    started[0]();
    expect(Array.from(await first)).toEqual([1, 1]);
    while (started.length < 2) await new Promise((r) => setImmediate(r));
    started[1]();
    expect((await Promise.all(rest)).map((r) => Array.from(r))).toEqual([[2, 2], [3, 3], [4, 4]]);
    expect(model.sizes).toEqual([1, 3]);
  });

  it('drains asynchronous batches still running, and passes their errors to every job', async () => {
    let finish = (): void => undefined;
    const queue = new InferenceQueue((_pixels, count) => new Promise<Float32Array>((resolve) => { finish = () => resolve(new Float32Array(count * 2).fill(5)); }), 2);
    const pending = queue.submit(new Float32Array(2), 1);
    await new Promise((r) => setImmediate(r));
    let drained = false;
    const drain = queue.drain().then(() => { drained = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBe(false); // the batch is still in the model
    finish();
    await drain;
    expect(Array.from(await pending)).toEqual([5, 5]);

    const failing = new InferenceQueue(() => Promise.reject(new Error('worker died')), 2);
    const jobs = [failing.submit(new Float32Array(2), 1), failing.submit(new Float32Array(2), 1)];
    for (const job of jobs) await expect(job).rejects.toThrow('worker died');
    await failing.drain();
  });
});
