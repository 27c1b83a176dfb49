// ImageDecoder: uploads are sized from their header on the event loop (bounded work, refused above maxPixels),
// then decoded and preprocessed in worker threads, at most `perThread` at a time in each; the rest wait here in
// a bounded FIFO (503 when full or after `timeoutMs`), so a backlog never trips a worker's stuck-thread watchdog.
import { checkUploadSize, RequestError } from './inputs.js';

/** Threads that decode: an InferenceWorkerPool. */
export interface DecodeThreads {
  readonly size: number;
  decode(image: Uint8Array, features: number, maxPixels: number): Promise<Float32Array>;
}

export interface ImageDecoderOptions {
  maxPixels: number;
  /** Uploads waiting for a thread before new ones get 503 (default 256). */
  maxWaiting?: number;
  /** An upload that waited longer than this for a thread gets 503 (default 5000 ms). */
  timeoutMs?: number;
  /** Decodes sent to each thread at once (default 2: one decoding, the next one waiting in the thread). */
  perThread?: number;
}

export class ImageDecoder {
  readonly maxPixels: number;
  private readonly maxWaiting: number;
  private readonly timeoutMs: number;
  private readonly slots: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly threads: DecodeThreads, options: ImageDecoderOptions) {
    this.maxPixels = options.maxPixels;
    this.maxWaiting = options.maxWaiting ?? 256;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.slots = (options.perThread ?? 2) * threads.size;
  }

  /** Uploads being decoded or waiting for a thread. */
  get depth(): number {
    return this.active + this.waiting.length;
  }

  /** PNG/JPEG bytes -> (features) pixels 0-1. Throws a RequestError at once for an empty body or an oversized or unreadable header. */
  async pixels(image: Uint8Array, features: number): Promise<Float32Array> {
    checkUploadSize(image, this.maxPixels);
    await this.slot();
    try {
      return await this.threads.decode(image, features, this.maxPixels);
    } finally {
      this.active--;
      this.next();
    }
  }

  private slot(): Promise<void> {
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new RequestError(503, 'overloaded', `${this.waiting.length} uploaded images are waiting to be decoded (limit ${this.maxWaiting}); retry shortly`));
    return new Promise((resolve, reject) => {
      const start = (): void => { clearTimeout(timer); this.active++; resolve(); };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(start), 1);
        reject(new RequestError(503, 'timeout', `the uploaded image waited ${this.timeoutMs} ms to be decoded (limit ${this.timeoutMs} ms); retry shortly`));
      }, this.timeoutMs);
      this.waiting.push(start);
    });
  }

  private next(): void {
    this.waiting.shift()?.();
  }
}
