// Runs one kernel split into chunks across the main thread and N-1 workers sharing the WebAssembly memory.
// Dispatch: write every chunk's arguments, bump the generation and Atomics.notify; every thread (main included)
// then claims chunks with compare-exchange until none is left, so a worker that wakes late (or is descheduled)
// simply finds no work and the main thread never waits for it to start. The main thread never sleeps.
import { builtin, isNode } from '../../platform/node.js';
import { CONTROL, claimChunks, workerSource } from './worker-source.js';

interface WorkerHandle {
  terminate(): unknown;
}

/** Node's main thread may Atomics.wait; a browser's may not (it spins). */
const canBlock = isNode;
/** Polls of `done` before the main thread sleeps (about 20-50 us). */
const SPINS_BEFORE_SLEEP = 2000;

/** Bytes the control block needs. */
export function controlBytes(): number {
  return CONTROL.headerWords * 4 + CONTROL.maxChunks * CONTROL.slotWords * 8;
}

export interface PoolOptions {
  threads: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  controlOffset: number;
  names: readonly string[];
  /** Per-thread scratch pointers (index 0 is the main thread's), appended as every call's last argument. */
  scratch: readonly number[];
  /** How long an idle worker spins before sleeping, in ms. */
  spinMs: number;
}

export class ThreadPool {
  readonly threads: number;
  private readonly control: Int32Array;
  private readonly slots: Float64Array;
  private readonly workers: WorkerHandle[] = [];
  private readonly args: number[] = [];
  private generation: number;
  private disposed = false;

  private constructor(private readonly options: PoolOptions) {
    this.threads = options.threads;
    this.control = new Int32Array(options.memory.buffer, options.controlOffset, CONTROL.headerWords);
    this.slots = new Float64Array(options.memory.buffer, options.controlOffset + CONTROL.headerWords * 4,
      CONTROL.maxChunks * CONTROL.slotWords);
    this.generation = Atomics.load(this.control, CONTROL.generation);
  }

  /** Starts `threads - 1` workers, each with its own instance of the kernels on the shared memory. */
  static async start(options: PoolOptions): Promise<ThreadPool> {
    const pool = new ThreadPool(options);
    const ready: Promise<void>[] = [];
    for (let index = 1; index < options.threads; index++) {
      const init = pool.workerInit(index);
      ready.push(isNode ? pool.startNodeWorker(init) : pool.startBrowserWorker(init));
    }
    await Promise.all(ready);
    return pool;
  }

  /**
   * Starts the workers without waiting for them (Node): until a worker has booted, the main thread simply
   * claims its chunks too (see run()), so the pool is usable at once. A worker that fails to start is reported once.
   */
  static startDetached(options: PoolOptions): ThreadPool {
    const pool = new ThreadPool(options);
    const { Worker } = builtin('worker_threads');
    let reported = false;
    for (let index = 1; index < options.threads; index++) {
      const worker = new Worker(workerSource, { eval: true, workerData: pool.workerInit(index) });
      worker.once('error', (err) => {
        if (!reported) console.warn(`zerograd: a wasm worker thread failed to start (${err.message}); computing on fewer threads`);
        reported = true;
      });
      worker.unref();
      pool.workers.push(worker);
    }
    return pool;
  }

  private workerInit(index: number): object {
    const { options } = this;
    return {
      module: options.module, memory: options.memory, controlOffset: options.controlOffset, names: options.names,
      scratch: options.scratch[index], spinMs: options.spinMs,
    };
  }

  private async startNodeWorker(init: object): Promise<void> {
    const { Worker } = builtin('worker_threads');
    const worker = new Worker(workerSource, { eval: true, workerData: init });
    this.workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    worker.unref();
  }

  private async startBrowserWorker(init: object): Promise<void> {
    const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
    const worker = new Worker(url);
    this.workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(new Error(`wasm worker failed to start: ${event.message}`));
      worker.postMessage(init);
    });
    URL.revokeObjectURL(url);
  }

  /** Runs every chunk of kernel `id` (chunk i's arguments in chunks[i]); returns when all are done. */
  run(id: number, chunks: readonly (readonly number[])[], runLocal: (args: number[]) => void): void {
    if (this.disposed) throw new Error('wasm backend: used after dispose()');
    if (chunks.length > CONTROL.maxChunks) throw new RangeError(`wasm backend: ${chunks.length} chunks exceed ${CONTROL.maxChunks}`);
    const { control, slots } = this;
    for (let c = 0; c < chunks.length; c++) {
      const args = chunks[c];
      const base = c * CONTROL.slotWords;
      slots[base] = args.length;
      for (let i = 0; i < args.length; i++) slots[base + 1 + i] = args[i];
    }
    const generation = (this.generation + 1) | 0;
    this.generation = generation;
    Atomics.store(control, CONTROL.kernel, id);
    Atomics.store(control, CONTROL.count, chunks.length);
    Atomics.store(control, CONTROL.done, 0);
    Atomics.store(control, CONTROL.next, (generation & 0xffff) << 16);
    Atomics.store(control, CONTROL.generation, generation);
    Atomics.notify(control, CONTROL.generation);
    const scratch = this.options.scratch[0];
    claimChunks(control, slots, generation, (args) => { args.push(scratch); runLocal(args); }, this.args);
    // A worker is finishing its chunk: spin briefly, then (where the main thread may block, as in Node) sleep on
    // `done` so that a descheduled worker is not kept off its core by this thread's spinning on a busy machine.
    let spins = 0;
    for (let done = Atomics.load(control, CONTROL.done); done < chunks.length; done = Atomics.load(control, CONTROL.done)) {
      if (canBlock && ++spins > SPINS_BEFORE_SLEEP) Atomics.wait(control, CONTROL.done, done, 1);
    }
    if (Atomics.exchange(control, CONTROL.error, 0) !== 0) throw new Error('wasm backend: a kernel trapped (see the arguments of the last call)');
  }

  /** Stops the workers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.control, CONTROL.quit, 1);
    Atomics.add(this.control, CONTROL.generation, 1);
    Atomics.notify(this.control, CONTROL.generation);
    for (const worker of this.workers) void worker.terminate();
  }
}
