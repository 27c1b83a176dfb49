// The inference queue: requests wait here and are run in micro-batches (one forward pass for
// everything waiting, up to maxBatch images). No timer: a batch starts on the next event-loop turn.
// A synchronous model runs one batch per turn, so health checks and new requests get in between; an
// asynchronous one (the inference workers) has up to maxInFlight batches out while the next one fills.
// Bounded: when full, submit() rejects at once (HTTP 503, back-pressure).
import { RequestError } from './inputs.js';

export interface QueueOptions {
  /** Most images waiting (default 1024). */
  maxQueued?: number;
  /** Most images in one forward pass (default 64). */
  maxBatch?: number;
  /** An image that waited longer than this is dropped with a 503 (default 5000 ms). */
  timeoutMs?: number;
  /** Batches an asynchronous model may have running at once (default 2: the next one waits in the worker; the server sets 2 per worker). */
  maxInFlight?: number;
}

/** A forward pass: (count * features) pixels -> (count * classes) outputs, now or later. */
export type InferFunction = (pixels: Float32Array, count: number) => Float32Array | Promise<Float32Array>;

interface Job {
  pixels: Float32Array;
  count: number;
  enqueuedAt: number;
  resolve(result: Float32Array): void;
  reject(error: Error): void;
}

/** Runs `infer` ((count * features) pixels -> (count * classes) outputs) over batches of queued jobs. */
export class InferenceQueue {
  readonly maxQueued: number;
  readonly maxBatch: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  private readonly jobs: Job[] = [];
  private queuedImages = 0;
  private scheduled = false;
  private closed = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Batches run and images in them (for /metrics). */
  batches = 0;
  images = 0;

  constructor(private readonly infer: InferFunction, private readonly features: number, options: QueueOptions = {}) {
    this.maxQueued = options.maxQueued ?? 1024;
    this.maxBatch = options.maxBatch ?? 64;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  /** Images waiting now. */
  get depth(): number {
    return this.queuedImages;
  }

  /** Queues `count` images; resolves to their (count * classes) outputs. Rejects with 503 when the queue is full or closed. */
  submit(pixels: Float32Array, count: number): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new RequestError(503, 'shutting_down', 'the server is shutting down'));
    if (this.queuedImages + count > this.maxQueued) {
      return Promise.reject(new RequestError(503, 'overloaded', `the inference queue is full (${this.queuedImages} images waiting, limit ${this.maxQueued}); retry shortly`));
    }
    return new Promise((resolve, reject) => {
      this.jobs.push({ pixels, count, enqueuedAt: performance.now(), resolve, reject });
      this.queuedImages += count;
      this.schedule();
    });
  }

  /** Stops taking jobs; the ones already queued still run. Resolves when they have all finished. */
  drain(): Promise<void> {
    this.closed = true;
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get idle(): boolean {
    return this.jobs.length === 0 && this.inFlight === 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.runBatch());
  }

  private runBatch(): void {
    this.scheduled = false;
    if (this.inFlight >= this.maxInFlight) return; // a finishing batch schedules the next
    const now = performance.now();
    const batch: Job[] = [];
    let images = 0;
    while (this.jobs.length > 0 && (batch.length === 0 || images + this.jobs[0].count <= this.maxBatch)) {
      const job = this.jobs.shift() as Job;
      this.queuedImages -= job.count;
      if (now - job.enqueuedAt > this.timeoutMs) {
        job.reject(new RequestError(503, 'timeout', `the request waited ${Math.round(now - job.enqueuedAt)} ms in the inference queue (limit ${this.timeoutMs} ms)`));
        continue;
      }
      batch.push(job);
      images += job.count;
    }
    if (batch.length > 0) this.run(batch, images);
    if (this.jobs.length > 0) this.schedule();
    else if (this.idle) this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private run(batch: Job[], images: number): void {
    const input = batch.length === 1 ? batch[0].pixels : new Float32Array(images * this.features);
    if (batch.length > 1) {
      let offset = 0;
      for (const job of batch) {
        input.set(job.pixels, offset);
        offset += job.pixels.length;
      }
    }
    let output: Float32Array | Promise<Float32Array>;
    try {
      output = this.infer(input, images);
    } catch (err) {
      for (const job of batch) job.reject(err as Error);
      return;
    }
    if (output instanceof Float32Array) {
      this.finish(batch, images, output);
      return;
    }
    this.inFlight++;
    const fail = (err: unknown): void => { for (const job of batch) job.reject(err instanceof Error ? err : new Error(String(err))); };
    output.then((result) => this.finish(batch, images, result), fail).catch(fail).finally(() => {
      this.inFlight--;
      if (this.jobs.length > 0) this.schedule();
      else if (this.idle) this.wakeIdleWaiters();
    });
  }

  /** Hands each job its rows of the batch's (images * classes) output. */
  private finish(batch: Job[], images: number, output: Float32Array): void {
    this.batches++;
    this.images += images;
    if (batch.length === 1) {
      batch[0].resolve(output);
      return;
    }
    const perImage = output.length / images;
    let offset = 0;
    for (const job of batch) {
      job.resolve(output.slice(offset * perImage, (offset + job.count) * perImage));
      offset += job.count;
    }
  }
}
