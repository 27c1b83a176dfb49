// Blocked, packed single-precision GEMM (Goto/BLIS style) with a 4x8 f32x4 micro-kernel; packing transposes 4x4
// tiles in registers, k is cut into equal blocks, and narrow outputs are computed transposed.
// V8 hoists all A splats of an iteration, so 5x8 (10 acc + 2 B + 5 A) spills past its 15 xmm registers and ran at
// half speed here; 4x8 (8 + 2 + 4) does not (bench notes in BENCHMARKS.md). transA/transB are absorbed
// by the packing routines (element strides), so one kernel serves every combination. No allocation: scratch comes from JS.
// The micro-kernel's multiply-adds go through simd.ts's madd: one FMA in the relaxed-SIMD build, mul + add in the plain
// one (same tiles). gemv keeps mul + add in both: its <= 4 accumulator chains are latency-bound, and an FMA's latency
// (longer than an add's) made 1x784x128 11-16% slower on Node 26 here; the 8 chains of 4x8 hide it.

import { madd, storeTransposed4 } from './simd';

const MR = 4;
const NR = 8;
const MC = 128;
export const KC = 256;
const NC = 512;
const PACK_A_BYTES: usize = MC * KC * 4;
const PACK_B_BYTES: usize = KC * NC * 4;
const TILE_BYTES: usize = MR * NR * 4;

/** Bytes of scratch one thread needs for `matmul`. */
export function gemmScratchBytes(): i32 {
  return <i32>(PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES);
}

// ---- packing -------------------------------------------------------------------------------

/** A block (mc x kc) with element strides -> panels of MR rows, each kc x MR, zero padded. */
function packA(a: usize, rsA: i32, csA: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const mr = min(MR, mc - ip);
    const panel = dst + (<usize>(ip * kc) << 2);
    if (mr == MR && rsA == 1) {
      // Column-major A (transposed operand): each k already holds MR consecutive rows.
      let src = a + (<usize>ip << 2);
      const step = <usize>csA << 2;
      for (let p = 0; p < kc; p++) {
        const d = panel + <usize>(p * MR * 4);
        v128.store(d, v128.load(src));
        src += step;
      }
      continue;
    }
    if (mr == MR && csA == 1) {
      // Row-major A: 4 rows x 4 k at a time, transposed in registers.
      const row = <usize>rsA << 2;
      const s0 = a + (<usize>(ip * rsA) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = s0 + (<usize>p << 2);
        storeTransposed4(panel + <usize>(p * MR * 4), MR * 4,
          v128.load(s), v128.load(s + row), v128.load(s + row * 2), v128.load(s + row * 3));
      }
      for (; p < kc; p++) {
        const s = s0 + (<usize>p << 2);
        const d = panel + <usize>(p * MR * 4);
        store<f32>(d, load<f32>(s));
        store<f32>(d, load<f32>(s + row), 4);
        store<f32>(d, load<f32>(s + row * 2), 8);
        store<f32>(d, load<f32>(s + row * 3), 12);
      }
      continue;
    }
    for (let r = 0; r < MR; r++) {
      let d = panel + (<usize>r << 2);
      if (r < mr) {
        let src = a + (<usize>((ip + r) * rsA) << 2);
        const step = <usize>csA << 2;
        for (let p = 0; p < kc; p++) { store<f32>(d, load<f32>(src)); src += step; d += MR * 4; }
      } else {
        for (let p = 0; p < kc; p++) { store<f32>(d, 0); d += MR * 4; }
      }
    }
  }
}

/** B columns [jp, jp+nr) of a (kc x nc) block with element strides -> one panel, kc x NR, zero padded. */
function packBPanel(b: usize, rsB: i32, csB: i32, kc: i32, jp: i32, nr: i32, panel: usize): void {
  if (nr == NR && csB == 1) {
    let src = b + (<usize>jp << 2);
    const step = <usize>rsB << 2;
    let d = panel;
    for (let p = 0; p < kc; p++) {
      v128.store(d, v128.load(src));
      v128.store(d, v128.load(src, 16), 16);
      src += step;
      d += NR * 4;
    }
    return;
  }
  if (nr == NR && rsB == 1) {
    // Transposed B: column j is contiguous in k; 2 x (4 columns x 4 k) transposed in registers.
    const col = <usize>csB << 2;
    const s0 = b + (<usize>(jp * csB) << 2);
    const s1 = s0 + col * 4;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const o = <usize>p << 2;
      const d = panel + <usize>(p * NR * 4);
      storeTransposed4(d, NR * 4, v128.load(s0 + o), v128.load(s0 + col + o), v128.load(s0 + col * 2 + o), v128.load(s0 + col * 3 + o));
      storeTransposed4(d + 16, NR * 4, v128.load(s1 + o), v128.load(s1 + col + o), v128.load(s1 + col * 2 + o), v128.load(s1 + col * 3 + o));
    }
    for (; p < kc; p++) {
      const o = <usize>p << 2;
      const d = panel + <usize>(p * NR * 4);
      for (let jj = 0; jj < NR; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(s0 + col * jj + o));
    }
    return;
  }
  for (let jj = 0; jj < NR; jj++) {
    let d = panel + (<usize>jj << 2);
    if (jj < nr) {
      let src = b + (<usize>((jp + jj) * csB) << 2);
      const step = <usize>rsB << 2;
      for (let p = 0; p < kc; p++) { store<f32>(d, load<f32>(src)); src += step; d += NR * 4; }
    } else {
      for (let p = 0; p < kc; p++) { store<f32>(d, 0); d += NR * 4; }
    }
  }
}

/** B block (kc x nc) with element strides -> panels of NR columns, each kc x NR, zero padded. */
function packB(b: usize, rsB: i32, csB: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    packBPanel(b, rsB, csB, kc, jp, min(NR, nc - jp), dst + (<usize>(jp * kc) << 2));
  }
}

// ---- micro-kernel ----------------------------------------------------------------------------

/** dst (4 x 8, row stride dstRowBytes) (=|+=) packed A panel (kc x 4) * packed B panel (kc x 8). */
function micro4x8(kc: i32, pa: usize, pb: usize, dst: usize, dstRowBytes: usize, overwrite: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // A pointer-bounded loop (no separate counter) measured fastest; unrolling it spills registers.
  const end = pa + (<usize>kc << 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += MR * 4;
    pb += NR * 4;
  }
  if (!overwrite) {
    c00 = f32x4.add(c00, v128.load(dst)); c01 = f32x4.add(c01, v128.load(dst, 16));
    c10 = f32x4.add(c10, v128.load(dst + dstRowBytes)); c11 = f32x4.add(c11, v128.load(dst + dstRowBytes, 16));
    c20 = f32x4.add(c20, v128.load(dst + dstRowBytes * 2)); c21 = f32x4.add(c21, v128.load(dst + dstRowBytes * 2, 16));
    c30 = f32x4.add(c30, v128.load(dst + dstRowBytes * 3)); c31 = f32x4.add(c31, v128.load(dst + dstRowBytes * 3, 16));
  }
  v128.store(dst, c00); v128.store(dst, c01, 16);
  dst += dstRowBytes;
  v128.store(dst, c10); v128.store(dst, c11, 16);
  dst += dstRowBytes;
  v128.store(dst, c20); v128.store(dst, c21, 16);
  dst += dstRowBytes;
  v128.store(dst, c30); v128.store(dst, c31, 16);
}

// ---- blocked driver --------------------------------------------------------------------------

/**
 * C (m x n) (=|+=) A (m x k) * B (k x n); A(i,p) = a[i*rsA + p*csA], B(p,j) = b[p*rsB + j*csB], C(i,j) = c[i*ldc + j],
 * or c[j*ldc + i] when transC (every tile then goes through the scalar write).
 */
function gemmBlock(a: usize, rsA: i32, csA: i32, b: usize, rsB: i32, csB: i32, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, accumulate: bool, scratch: usize, transC: bool): void {
  const packedA = scratch;
  const packedB = scratch + PACK_A_BYTES;
  const tile = packedB + PACK_B_BYTES;
  const ldcBytes = <usize>ldc << 2;
  if (k == 0) {
    if (!accumulate) {
      const lines = transC ? n : m;
      for (let i = 0; i < lines; i++) memory.fill(c + <usize>i * ldcBytes, 0, <usize>(transC ? m : n) << 2);
    }
    return;
  }
  // Equal k blocks (k = 288 -> 2 x 144, not 256 + 32): every block amortises the C tile's load and store.
  const kBlocks = (k + KC - 1) / KC;
  const kcBlock = (k + kBlocks - 1) / kBlocks;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcBlock) {
      const kc = min(kcBlock, k - pc);
      const overwrite = pc == 0 && !accumulate;
      packB(b + (<usize>(pc * rsB + jc * csB) << 2), rsB, csB, kc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a + (<usize>(ic * rsA + pc * csA) << 2), rsA, csA, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packedB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packedA + (<usize>(ir * kc) << 2);
            if (transC) {
              micro4x8(kc, pa, pb, tile, NR * 4, true);
              for (let r = 0; r < mr; r++) {
                for (let jj = 0; jj < nr; jj++) {
                  const v = load<f32>(tile + (<usize>(r * NR + jj) << 2));
                  const p = c + <usize>(jc + jr + jj) * ldcBytes + (<usize>(ic + ir + r) << 2);
                  store<f32>(p, overwrite ? v : load<f32>(p) + v);
                }
              }
              continue;
            }
            const dst = c + <usize>(ic + ir) * ldcBytes + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) {
              micro4x8(kc, pa, pb, dst, ldcBytes, overwrite);
            } else {
              micro4x8(kc, pa, pb, tile, NR * 4, true);
              for (let r = 0; r < mr; r++) {
                const row = dst + <usize>r * ldcBytes;
                for (let jj = 0; jj < nr; jj++) {
                  const v = load<f32>(tile + (<usize>(r * NR + jj) << 2));
                  const p = row + (<usize>jj << 2);
                  store<f32>(p, overwrite ? v : load<f32>(p) + v);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * out[b] (=|+=) op(a[b]) @ op(b[b]) for batches [batchStart, batchEnd), restricted to the output block
 * rows [rowStart, rowEnd) x cols [colStart, colEnd). Strides and sizes in elements.
 */
export function matmul(a: usize, b: usize, out: usize, m: i32, n: i32, k: i32, transA: i32, transB: i32,
  aBatchStride: i32, bBatchStride: i32, accumulate: i32, batchStart: i32, batchEnd: i32,
  rowStart: i32, rowEnd: i32, colStart: i32, colEnd: i32, scratch: usize): void {
  const rsA = transA ? 1 : k;
  const csA = transA ? m : 1;
  const rsB = transB ? 1 : n;
  const csB = transB ? k : 1;
  for (let batch = batchStart; batch < batchEnd; batch++) {
    const aBase = a + (<usize>batch * <usize>aBatchStride << 2) + (<usize>(rowStart * rsA) << 2);
    const bBase = b + (<usize>batch * <usize>bBatchStride << 2) + (<usize>(colStart * csB) << 2);
    const cBase = out + (<usize>batch * <usize>(m * n) << 2) + (<usize>(rowStart * n + colStart) << 2);
    const rows = rowEnd - rowStart;
    const cols = colEnd - colStart;
    if (rows <= 2) {
      // A row or two (a Dense layer at batch 1-2): vector-matrix products, no packing (which cost more than the math).
      for (let r = 0; r < rows; r++) {
        gemv(aBase + (<usize>(r * rsA) << 2), csA, bBase, rsB, csB, cBase + (<usize>(r * n) << 2), cols, k, accumulate != 0);
      }
      continue;
    }
    if (paddedWork(cols, rows) * 10 < paddedWork(rows, cols) * 9) {
      // Narrow output (e.g. n = 9 or 10 against the kernel's 8 columns): C^T = B^T A^T wastes fewer padded lanes.
      gemmBlock(bBase, csB, rsB, aBase, csA, rsA, cBase, n, cols, rows, k, accumulate != 0, scratch, true);
    } else {
      gemmBlock(aBase, rsA, csA, bBase, rsB, csB, cBase, n, rows, cols, k, accumulate != 0, scratch, false);
    }
  }
}

/** y[j] (=|+=) sum_p x[p*incX] B(p, j) for j < n, with B(p, j) = b[p*rsB + j*csB]. Plain mul + add in both builds (see the header). */
function gemv(x: usize, incX: i32, b: usize, rsB: i32, csB: i32, y: usize, n: i32, k: i32, accumulate: bool): void {
  const xStep = <usize>incX << 2;
  if (csB == 1) {
    // B rows are contiguous: 16 (then 4, then 1) outputs at a time, each p adding x[p] times a row segment.
    const rowStep = <usize>rsB << 2;
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let px = x;
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const a = f32x4.splat(load<f32>(px));
        c0 = f32x4.add(c0, f32x4.mul(a, v128.load(pb)));
        c1 = f32x4.add(c1, f32x4.mul(a, v128.load(pb, 16)));
        c2 = f32x4.add(c2, f32x4.mul(a, v128.load(pb, 32)));
        c3 = f32x4.add(c3, f32x4.mul(a, v128.load(pb, 48)));
        px += xStep;
        pb += rowStep;
      }
      const d = y + (<usize>j << 2);
      if (accumulate) {
        c0 = f32x4.add(c0, v128.load(d)); c1 = f32x4.add(c1, v128.load(d, 16));
        c2 = f32x4.add(c2, v128.load(d, 32)); c3 = f32x4.add(c3, v128.load(d, 48));
      }
      v128.store(d, c0); v128.store(d, c1, 16); v128.store(d, c2, 32); v128.store(d, c3, 48);
    }
    // The last n % 16 outputs in one pass over p: up to 3 vectors and 3 scalars (separate chains, so the adds overlap).
    const vectors = (n - j) >> 2;
    const scalars = (n - j) & 3;
    if (vectors + scalars > 0) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0;
      let px = x;
      let pb = b + (<usize>j << 2);
      const ps = pb + (<usize>vectors << 4);
      for (let p = 0; p < k; p++) {
        const v = load<f32>(px);
        const a = f32x4.splat(v);
        if (vectors > 0) c0 = f32x4.add(c0, f32x4.mul(a, v128.load(pb)));
        if (vectors > 1) c1 = f32x4.add(c1, f32x4.mul(a, v128.load(pb, 16)));
        if (vectors > 2) c2 = f32x4.add(c2, f32x4.mul(a, v128.load(pb, 32)));
        const q = ps + (pb - b - (<usize>j << 2));
        if (scalars > 0) s0 += v * load<f32>(q);
        if (scalars > 1) s1 += v * load<f32>(q, 4);
        if (scalars > 2) s2 += v * load<f32>(q, 8);
        px += xStep;
        pb += rowStep;
      }
      const d = y + (<usize>j << 2);
      if (vectors > 0) v128.store(d, accumulate ? f32x4.add(c0, v128.load(d)) : c0);
      if (vectors > 1) v128.store(d, accumulate ? f32x4.add(c1, v128.load(d, 16)) : c1, 16);
      if (vectors > 2) v128.store(d, accumulate ? f32x4.add(c2, v128.load(d, 32)) : c2, 32);
      const e = d + (<usize>vectors << 4);
      if (scalars > 0) store<f32>(e, accumulate ? load<f32>(e) + s0 : s0);
      if (scalars > 1) store<f32>(e, accumulate ? load<f32>(e, 4) + s1 : s1, 4);
      if (scalars > 2) store<f32>(e, accumulate ? load<f32>(e, 8) + s2 : s2, 8);
    }
    return;
  }
  // Otherwise each output is a dot product along p (contiguous when rsB == 1 and incX == 1).
  for (let j = 0; j < n; j++) {
    const col = b + (<usize>(j * csB) << 2);
    let sum: f32 = 0;
    let p = 0;
    if (rsB == 1 && incX == 1) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      for (; p + 8 <= k; p += 8) {
        const o = <usize>p << 2;
        s0 = f32x4.add(s0, f32x4.mul(v128.load(x + o), v128.load(col + o)));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(x + o, 16), v128.load(col + o, 16)));
      }
      s0 = f32x4.add(s0, s1);
      sum = f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1) + f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3);
    }
    for (; p < k; p++) sum += load<f32>(x + (<usize>(p * incX) << 2)) * load<f32>(col + (<usize>(p * rsB) << 2));
    const d = y + (<usize>j << 2);
    store<f32>(d, accumulate ? load<f32>(d) + sum : sum);
  }
}

/** Micro-kernel lanes computed for an m x n output, padding included. */
@inline export function paddedWork(m: i32, n: i32): i32 {
  return ((m + MR - 1) / MR * MR) * ((n + NR - 1) / NR * NR);
}
