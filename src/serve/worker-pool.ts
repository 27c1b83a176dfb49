// InferenceWorkerPool: several inference worker threads (each an InferenceWorker with its own engine and its
// own copy of the model) behind one `infer`: a batch goes to the worker with the fewest batches out, so with
// the queue's in-flight limit at `batchesPerWorker * size` no worker ever holds more than that many. Uploads
// are decoded there too (the least busy worker); a pool without a model only decodes.
import { availableParallelism } from 'node:os';
import type { LoadedModel } from '../io/model-config.js';
import { InferenceWorker, InferenceWorkerError, type InferenceWorkerOptions } from './worker.js';

export interface InferenceWorkerPoolOptions extends InferenceWorkerOptions {
  /** Worker threads, each with its own engine and model copy (default 1; `zerograd serve` uses defaultWorkerCount()). */
  workers?: number;
}

/**
 * Inference workers for a machine with `cores` cores: all cores but one (at least one), so the event loop, which
 * parses HTTP and JSON, keeps a core: since the CNN's forward pass got cheaper (Winograd) it is about as much
 * work per request as the forward pass. On 2 cores one worker beat two at 8 connections (docs/deploy.md).
 */
export function defaultWorkerCount(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export class InferenceWorkerPool {
  /** Batches each worker may hold at once: one computing, the next one waiting in the thread. */
  static readonly batchesPerWorker = 2;
  readonly workers: readonly InferenceWorker[];
  /** Resolves when every worker thread has loaded the model; rejects if one could not. */
  readonly ready: Promise<void>;
  private closed = false;

  /** Starts `options.workers` worker threads, each holding a copy of `loaded` (null: threads that only decode images). */
  constructor(loaded: LoadedModel | null, options: InferenceWorkerPoolOptions = {}) {
    const { workers = 1, ...workerOptions } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`InferenceWorkerPool: workers must be a positive integer, got ${workers}`);
    this.workers = Array.from({ length: workers }, () => new InferenceWorker(loaded, workerOptions));
    this.ready = Promise.all(this.workers.map((w) => w.ready)).then(() => undefined);
    this.ready.catch(() => undefined); // awaited by whoever needs it
  }

  /** Worker threads in the pool. */
  get size(): number {
    return this.workers.length;
  }

  /** Batches out in all workers. */
  get inFlight(): number {
    return this.workers.reduce((n, w) => n + w.inFlight, 0);
  }

  /** Times each worker thread died (or got stuck) and was started again. */
  get restartsByWorker(): number[] {
    return this.workers.map((w) => w.restarts);
  }

  /** Restarts of all workers together. */
  get restarts(): number {
    return this.workers.reduce((n, w) => n + w.restarts, 0);
  }

  /** (count * features) pixels -> (count * classes) probabilities, on the least busy worker. */
  infer(pixels: Float32Array, count?: number): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new InferenceWorkerError('the inference workers are closed'));
    return this.leastBusy().infer(pixels, count);
  }

  /** An uploaded image -> (features) preprocessed pixels, decoded on the least busy worker. */
  decode(image: Uint8Array, features: number, maxPixels: number): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new InferenceWorkerError('the inference workers are closed'));
    return this.leastBusy().decode(image, features, maxPixels);
  }

  private leastBusy(): InferenceWorker {
    let best = this.workers[0];
    for (const w of this.workers) if (w.inFlight < best.inFlight) best = w;
    return best;
  }

  /** Stops every thread; batches still in them are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
