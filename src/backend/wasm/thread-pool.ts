// Runs one kernel split across the main thread and N-1 workers that share the WebAssembly memory.
// Dispatch: write each worker's call into its slot, bump a generation counter and Atomics.notify; the main
// thread computes its own share, then waits for `pending` to reach 0 (spins briefly first: wake-ups cost 10-30 us).
import { CONTROL, workerSource } from './worker-source.js';

/** What a kernel call looks like to the pool: an index into `names` and its numeric arguments. */
export type KernelCall = readonly number[];

interface WorkerHandle {
  terminate(): unknown;
}

const isNode = typeof process === 'object' && typeof process.versions === 'object' && process.versions.node !== undefined;

/** Bytes the control block needs for `threads` threads. */
export function controlBytes(threads: number): number {
  return CONTROL.headerWords * 4 + threads * CONTROL.slotWords * 8;
}

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;
  private readonly workers: WorkerHandle[] = [];
  /** The browser main thread may not Atomics.wait; it spins instead. */
  private readonly canBlock = isNode || typeof (globalThis as { document?: unknown }).document === 'undefined';
  private disposed = false;

  private constructor(
    readonly threads: number,
    memory: WebAssembly.Memory,
    controlOffset: number,
    private readonly spin: number,
  ) {
    this.control = new Int32Array(memory.buffer, controlOffset, CONTROL.headerWords);
    this.slots = new Float64Array(memory.buffer, controlOffset + CONTROL.headerWords * 4, threads * CONTROL.slotWords);
  }

  /** Starts `threads - 1` workers, each with its own instance of `module` on `memory`. */
  static async start(
    threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, controlOffset: number, names: readonly string[],
    spin = 20000,
  ): Promise<ThreadPool> {
    const pool = new ThreadPool(threads, memory, controlOffset, spin);
    const ready: Promise<void>[] = [];
    for (let index = 1; index < threads; index++) {
      const init = { module, memory, controlOffset, index, names, spin };
      ready.push(isNode ? pool.startNodeWorker(init) : pool.startBrowserWorker(init));
    }
    await Promise.all(ready);
    return pool;
  }

  private async startNodeWorker(init: object): Promise<void> {
    const { Worker } = await import('node:worker_threads');
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

  /**
   * Runs parts[0] on this thread via `runLocal` and parts[t] on worker t (missing parts leave a worker idle).
   * Returns after every part finished. Only call with parts.length > 1.
   */
  run(id: number, parts: readonly KernelCall[], runLocal: (args: KernelCall) => void): void {
    if (this.disposed) throw new Error('wasm backend: used after dispose()');
    const { control, slots } = this;
    for (let t = 1; t < this.threads; t++) {
      const base = t * CONTROL.slotWords;
      const args = parts[t];
      if (args === undefined) {
        slots[base] = -1;
        continue;
      }
      slots[base] = id;
      slots[base + 1] = args.length;
      for (let i = 0; i < args.length; i++) slots[base + 2 + i] = args[i];
    }
    Atomics.store(control, CONTROL.pending, this.threads - 1);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
    try {
      runLocal(parts[0]);
    } finally {
      this.join();
    }
    if (Atomics.exchange(control, CONTROL.error, 0) !== 0) throw new Error('wasm backend: a kernel failed in a worker thread');
  }

  private join(): void {
    const { control } = this;
    let spins = 0;
    for (;;) {
      const pending = Atomics.load(control, CONTROL.pending);
      if (pending === 0) return;
      if (spins < this.spin || !this.canBlock) {
        spins++;
        continue;
      }
      Atomics.wait(control, CONTROL.pending, pending);
    }
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
