// How one matmul is split across threads: whole batches when there are enough of them, else row blocks
// (multiples of the micro-kernel's 4 rows) or column blocks (multiples of 8), whichever dimension is larger;
// large products get two chunks per thread.
// Every thread packs its own panels, so the split never shares a write.
import type { MatmulParams } from '../backend.js';

const MR = 4;
const NR = 8;
/** Multiply-adds per thread from which a product is cut into two chunks per thread. */
const LARGE_MACS_PER_THREAD = 16 << 20;

/** [batchStart, batchEnd, rowStart, rowEnd, colStart, colEnd] of one thread's share. */
export type MatmulBlock = readonly [number, number, number, number, number, number];

export function planMatmul(p: MatmulParams, threads: number, minMacsPerThread: number): MatmulBlock[] {
  const { batch, m, n, k } = p;
  const macs = batch * m * n * Math.max(k, 1);
  const threadsUsed = Math.min(threads, Math.max(1, Math.floor(macs / minMacsPerThread)));
  if (threadsUsed <= 1 || batch * m * n === 0) return [[0, batch, 0, m, 0, n]];
  // Large products get two chunks per thread: chunks are claimed dynamically, so when a worker is descheduled
  // (a busy machine) the others take over its second chunk; each extra chunk repacks one operand (a few %).
  const parts = macs >= threadsUsed * LARGE_MACS_PER_THREAD ? threadsUsed * 2 : threadsUsed;
  if (batch >= parts && (batch % parts === 0 || batch >= 4 * parts)) {
    return ranges(batch, parts, 1).map(([s, e]) => [s, e, 0, m, 0, n] as const);
  }
  // Rows when the output is taller than wide (each thread packs all of B once per block), else columns.
  if (m >= n && m >= parts * MR) return ranges(m, parts, MR).map(([s, e]) => [0, batch, s, e, 0, n] as const);
  if (n >= parts * NR) return ranges(n, parts, NR).map(([s, e]) => [0, batch, 0, m, s, e] as const);
  if (m >= parts * MR) return ranges(m, parts, MR).map(([s, e]) => [0, batch, s, e, 0, n] as const);
  return [[0, batch, 0, m, 0, n]];
}

/**
 * The zero-skipping kernel's split: whole batches, else blocks of rows (each thread then lists only its own rows'
 * non-zeros), one per thread. Only for m % 4 == 0 and n % 8 == 0, where every block of any plan takes the GEMM's
 * packed path, so that this split gives the bits of planMatmul's.
 */
export function planRows(p: MatmulParams, threads: number, minMacsPerThread: number): MatmulBlock[] {
  const { batch, m, n, k } = p;
  const threadsUsed = Math.min(threads, Math.max(1, Math.floor((batch * m * n * Math.max(k, 1)) / minMacsPerThread)));
  if (threadsUsed <= 1 || batch * m * n === 0) return [[0, batch, 0, m, 0, n]];
  if (batch >= threadsUsed) return ranges(batch, threadsUsed, 1).map(([s, e]) => [s, e, 0, m, 0, n] as const);
  if (m >= threadsUsed * MR) return ranges(m, threadsUsed, MR).map(([s, e]) => [0, batch, s, e, 0, n] as const);
  return [[0, batch, 0, m, 0, n]];
}

/** Splits [0, total) into at most `parts` ranges whose inner boundaries are multiples of `align`. */
export function ranges(total: number, parts: number, align: number): Array<[number, number]> {
  const chunk = Math.ceil(total / parts / align) * align;
  const out: Array<[number, number]> = [];
  for (let start = 0; start < total; start += chunk) out.push([start, Math.min(total, start + chunk)]);
  return out;
}
