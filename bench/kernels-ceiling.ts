// The 128-bit SIMD ceiling of this machine: the clock, measured by a dependent chain of integer adds (one cycle
// each), times 16 flop per cycle per core (4 f32 lanes x 2 flop x 2 pipes: two 128-bit multiply and two add pipes,
// or two FMA pipes). bench/kernels.ts reports every big kernel as a fraction of it.

/** Flop per cycle per core of 128-bit SIMD with two multiply-add pipes. */
export const FLOP_PER_CYCLE = 16;

export interface Ceiling {
  /** Clock measured by the dependent add chain, GHz (the boost clock the kernels run at, not the nominal one). */
  clockGHz: number;
  /** FLOP_PER_CYCLE at that clock: the 128-bit ceiling of one core, GFLOP/s. */
  ceilingPerCore: number;
}

/** 16 dependent 32-bit adds per iteration (the loop counter runs beside them on another port). */
function addChain(iterations: number, seed: number): number {
  let x = seed | 0;
  for (let i = 0; i < iterations; i++) {
    x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0;
    x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0;
    x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0;
    x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0; x = (x + i) | 0;
  }
  return x;
}

export function measureCeiling(): Ceiling {
  const iterations = 20_000_000;
  let sink = 0;
  for (let i = 0; i < 20; i++) sink ^= addChain(100_000, i); // optimized before timing
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    sink ^= addChain(iterations, r);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  if (sink === 0.5) console.log(sink); // keeps the chains live
  const clockGHz = (iterations * 16) / best / 1e9;
  return { clockGHz, ceilingPerCore: FLOP_PER_CYCLE * clockGHz };
}
