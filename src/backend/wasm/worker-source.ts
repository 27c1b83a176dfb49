// The worker program as a string, so the same code runs in Node (`new Worker(code, { eval: true })`) and in
// browsers (a Blob URL) without a separate file for bundlers to find. It instantiates the kernels on the shared
// memory, then loops: wait on the control block's generation counter, run its slot's call, count down `pending`.

/** Control block layout (Int32 indices), shared by thread-pool.ts and the worker. */
export const CONTROL = {
  generation: 0,
  pending: 1,
  quit: 2,
  error: 3,
  /** Int32 words in the header; per-thread argument slots (Float64) follow. */
  headerWords: 16,
  /** Float64 words per thread slot: [kernel id, argument count, ...arguments]. */
  slotWords: 32,
} as const;

export const workerSource = `'use strict';
const C = ${JSON.stringify(CONTROL)};
function boot(init, post) {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const kernels = init.names.map((name) => instance.exports[name]);
  const control = new Int32Array(init.memory.buffer, init.controlOffset, C.headerWords);
  const slot = new Float64Array(init.memory.buffer, init.controlOffset + C.headerWords * 4 + init.index * C.slotWords * 8, C.slotWords);
  const args = [];
  let seen = Atomics.load(control, C.generation);
  post('ready');
  for (;;) {
    let spins = 0;
    while (Atomics.load(control, C.generation) === seen && spins < init.spin) spins++;
    if (Atomics.load(control, C.generation) === seen) Atomics.wait(control, C.generation, seen);
    const generation = Atomics.load(control, C.generation);
    if (generation === seen) continue;
    seen = generation;
    if (Atomics.load(control, C.quit) !== 0) return;
    const id = slot[0];
    if (id >= 0) {
      args.length = slot[1];
      for (let i = 0; i < args.length; i++) args[i] = slot[2 + i];
      try {
        kernels[id].apply(null, args);
      } catch (error) {
        Atomics.store(control, C.error, 1);
      }
    }
    if (Atomics.sub(control, C.pending, 1) === 1) Atomics.notify(control, C.pending);
  }
}
if (typeof process === 'object' && process.versions && process.versions.node && typeof require === 'function') {
  const { parentPort, workerData } = require('node:worker_threads');
  boot(workerData, (message) => parentPort.postMessage(message));
} else {
  self.onmessage = (event) => boot(event.data, (message) => self.postMessage(message));
}
`;
