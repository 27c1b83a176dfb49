// InferenceWorker: runs a model's forward passes, and decodes uploaded images, in a worker thread
// (inference-worker.ts), so the event loop that parses HTTP requests and JSON keeps going meanwhile (without a
// model it only decodes). A job that throws in the worker rejects with that error; a worker that dies, or takes
// longer than `timeoutMs` over a job (it is then stopped), rejects what it had and is started again for the next.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../backend/registry.js';
import { ZerogradError } from '../errors.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { modelTensors } from '../io/model-folder.js';
import type { LoadedModel, ModelConfig } from '../io/model-config.js';
import { getBackend } from '../tensor/engine.js';
import { RequestError } from './inputs.js';

/** What the worker thread is started with (its workerData). */
export interface WorkerSetup {
  backend: BackendName;
  threads: number;
  /** The model, or null for a thread that only decodes images. */
  config: ModelConfig | null;
  weights: Uint8Array | null;
}

/** Main thread -> worker: one batch of (count * features) pixels 0-1, or an uploaded image to decode into (features) pixels. */
export type WorkerRequest = { id: number; pixels: Float32Array } | { id: number; image: Uint8Array; features: number; maxPixels: number };

/** Worker -> main thread. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'output'; id: number; output: Float32Array }
  | { type: 'error'; id: number; name: string; message: string; status?: number; code?: string };

export interface InferenceWorkerOptions {
  /** Backend in the worker (default: the one active on this thread). */
  backend?: BackendName;
  /** Threads of the wasm backend inside the worker (default 1: the other core parses requests). */
  threads?: number;
  /** A batch still running after this long means the thread is stuck: it is stopped and replaced (default 30000 ms). */
  timeoutMs?: number;
}

/** A failure of the worker thread itself (it could not start, or it died). */
export class InferenceWorkerError extends ZerogradError {}

interface Pending {
  resolve(output: Float32Array): void;
  reject(error: Error): void;
  watchdog: ReturnType<typeof setTimeout>;
}

export class InferenceWorker {
  private readonly setup: WorkerSetup;
  private readonly timeoutMs: number;
  private worker!: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private startError: Error | null = null;
  private stuck = false;
  /** Resolves when the current worker thread has loaded the model and warmed up; rejects if it could not. */
  ready!: Promise<void>;
  /** Times the worker thread died and was started again. */
  restarts = 0;

  /** Starts a worker thread holding a copy of `loaded` (its weights travel as safetensors bytes); null: decoding only. */
  constructor(loaded: LoadedModel | null, options: InferenceWorkerOptions = {}) {
    const backend = options.backend ?? (getBackend().name === 'cpu' ? 'cpu' : 'wasm');
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`InferenceWorker: threads must be a positive integer, got ${threads}`);
    this.setup = { backend, threads, config: loaded?.config ?? null, weights: loaded ? encodeSafetensors(modelTensors(loaded.model)) : null };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.start();
  }

  /** Batches sent to the worker and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** (count * features) pixels -> (count * classes) probabilities, computed in the worker. `pixels` is copied, not moved. */
  infer(pixels: Float32Array, _count?: number): Promise<Float32Array> {
    const copy = pixels.slice(); // our own buffer, moved (not cloned) to the worker
    return this.send((id) => ({ id, pixels: copy }), copy.buffer);
  }

  /** An uploaded PNG/JPEG -> (features) preprocessed pixels 0-1, decoded in the worker; its errors are RequestErrors. */
  decode(image: Uint8Array, features: number, maxPixels: number): Promise<Float32Array> {
    const copy = new Uint8Array(image); // a copy in its own buffer (a Buffer's slice() would share the request's memory)
    return this.send((id) => ({ id, image: copy, features, maxPixels }), copy.buffer);
  }

  private send(message: (id: number) => WorkerRequest, transfer: ArrayBuffer): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new InferenceWorkerError('the inference worker is closed'));
    if (this.startError) this.start(); // it died earlier: try a fresh one for this job
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const watchdog = setTimeout(() => {
        if (this.worker !== worker) return;
        this.stuck = true;
        void worker.terminate(); // its exit rejects every batch it had
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, watchdog });
      worker.postMessage(message(id), [transfer]);
    });
  }

  /** Stops the thread; batches still in it are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ready.catch(() => undefined);
    await this.worker.terminate();
    this.failPending(new InferenceWorkerError('the inference worker was closed'));
  }

  private start(): void {
    this.startError = null;
    this.stuck = false;
    const worker = spawnWorker(this.setup);
    this.worker = worker;
    let lastError: Error | null = null;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerReply) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') {
          lastError = new Error(`could not load the model: ${message.message}`);
          reject(new InferenceWorkerError(`the inference worker ${lastError.message}`));
        } else this.settle(message);
      });
      worker.on('error', (err) => { lastError = err; });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        const error = this.closed
          ? new InferenceWorkerError('the inference worker was closed')
          : this.stuck
            ? new InferenceWorkerError(`the inference worker took longer than ${this.timeoutMs} ms over a job and was stopped`)
            : new InferenceWorkerError(`the inference worker stopped (exit code ${code}${lastError ? `: ${lastError.message}` : ''})`);
        reject(error);
        this.failPending(error);
        if (!this.closed) {
          this.startError = error;
          this.restarts++;
        }
      });
    });
    this.ready.catch(() => undefined); // awaited by whoever needs it; a rejection here alone is not a crash
  }

  private settle(message: Extract<WorkerReply, { id: number }>): void {
    const job = this.pending.get(message.id);
    if (!job) return;
    this.pending.delete(message.id);
    clearTimeout(job.watchdog);
    if (message.type === 'output') job.resolve(message.output);
    else if (message.status !== undefined && message.code !== undefined) job.reject(new RequestError(message.status, message.code, message.message));
    else job.reject(Object.assign(new Error(message.message), { name: message.name }));
  }

  private failPending(error: Error): void {
    for (const job of this.pending.values()) {
      clearTimeout(job.watchdog);
      job.reject(error);
    }
    this.pending.clear();
  }
}

/** The worker thread: the compiled inference-worker.js, or from the TypeScript sources through tsx (tests, `node --import tsx`). */
function spawnWorker(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./inference-worker.js', here), { workerData: setup });
  const entry = new URL('./inference-worker.ts', here).href;
  const packageJson = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(packageJson, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  const tsx = pathToFileURL(join(dirname(packageJson), api)).href; // tsx's ESM loader API
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}
