// The worker program as a string, so the same code runs in Node (`new Worker(code, { eval: true })`) and in
// browsers (a Blob URL) without a separate file for bundlers to find. It instantiates the kernels on the shared
// memory, then loops: spin (then sleep) until the generation changes, and claim chunks of the job until none is left.

/** Control block layout (Int32 indices), shared by thread-pool.ts and the worker. */
export const CONTROL = {
  generation: 0,
  /** (generation & 0xffff) << 16 | index of the next unclaimed chunk. */
  next: 1,
  /** Chunks finished in the current job. */
  done: 2,
  /** Chunks in the current job. */
  count: 3,
  kernel: 4,
  quit: 5,
  error: 6,
  /** Int32 words in the header; per-chunk argument slots (Float64) follow. */
  headerWords: 16,
  /** Float64 words per chunk slot: [argument count, ...arguments]. */
  slotWords: 24,
  /** Chunk slots in the control block (the most chunks one job may have). */
  maxChunks: 128,
} as const;

/** Claims and runs chunks of the current job (generation `generation`); shared verbatim by the worker and the main thread. */
export function claimChunks(control: Int32Array, slots: Float64Array, generation: number,
  run: (args: number[]) => void, args: number[]): void {
  const tag = (generation & 0xffff) << 16;
  for (;;) {
    const current = Atomics.load(control, 1);
    if ((current & ~0xffff) !== tag) return;
    const index = current & 0xffff;
    if (index >= Atomics.load(control, 3)) return;
    if (Atomics.compareExchange(control, 1, current, current + 1) !== current) continue;
    const base = index * 24;
    args.length = slots[base];
    for (let i = 0; i < args.length; i++) args[i] = slots[base + 1 + i];
    try {
      run(args);
    } catch {
      Atomics.store(control, 6, 1);
    }
    // Wakes the main thread if it sleeps on `done` (Node only; a no-op without waiters).
    Atomics.add(control, 2, 1);
    Atomics.notify(control, 2);
  }
}

export const workerSource = `'use strict';
const C = ${JSON.stringify(CONTROL)};
const claimChunks = ${claimChunks.toString()};
function boot(init, post) {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const kernels = init.names.map((name) => instance.exports[name]);
  const control = new Int32Array(init.memory.buffer, init.controlOffset, C.headerWords);
  const slots = new Float64Array(init.memory.buffer, init.controlOffset + C.headerWords * 4, C.maxChunks * C.slotWords);
  const args = [];
  const run = (a) => { a.push(init.scratch); kernels[Atomics.load(control, C.kernel)].apply(null, a); };
  let seen = Atomics.load(control, C.generation);
  post('ready');
  for (;;) {
    // Spin for about init.spinMs before sleeping: waking a sleeping thread costs tens of microseconds (more in VMs).
    const until = performance.now() + init.spinMs;
    let spins = 0;
    while (Atomics.load(control, C.generation) === seen) {
      if ((++spins & 1023) === 0 && performance.now() > until) {
        Atomics.wait(control, C.generation, seen);
      }
    }
    seen = Atomics.load(control, C.generation);
    if (Atomics.load(control, C.quit) !== 0) return;
    claimChunks(control, slots, seen, run, args);
  }
}
if (typeof process === 'object' && process.versions && process.versions.node && typeof require === 'function') {
  const { parentPort, workerData } = require('worker_threads');
  boot(workerData, (message) => parentPort.postMessage(message));
} else {
  self.onmessage = (event) => boot(event.data, (message) => self.postMessage(message));
}
`;
