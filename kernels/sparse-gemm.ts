// matmul with a sparse left operand (MNIST pixels, ReLU activations): each output row adds only the rows of B
// where its A entry is non-zero. Arithmetic matches gemm.ts exactly: same k blocks, each summed from 0 in k
// order with the same madd and added to C once, so skipping exact zeros changes no bit (with finite B).
// Blocks where gemm.ts takes another path (gemv rows, transposed narrow outputs, transposed B) go to matmul itself.

import { KC, gemmScratchBytes, matmul, paddedWork } from './gemm';
import { madd } from './simd';

/** Same arguments and result as gemm.ts's matmul; the scratch holds one row's non-zero (k, value) list. */
export function matmulSparseA(a: usize, b: usize, out: usize, m: i32, n: i32, k: i32, transA: i32, transB: i32,
  aBatchStride: i32, bBatchStride: i32, accumulate: i32, batchStart: i32, batchEnd: i32,
  rowStart: i32, rowEnd: i32, colStart: i32, colEnd: i32, scratch: usize): void {
  const rows = rowEnd - rowStart;
  const cols = colEnd - colStart;
  // The cases gemm.ts computes in another order (see its matmul): leave them to it.
  if (transB != 0 || k == 0 || rows <= 2 || k >= gemmScratchBytes() / 8 || paddedWork(cols, rows) * 10 < paddedWork(rows, cols) * 9) {
    matmul(a, b, out, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate, batchStart, batchEnd,
      rowStart, rowEnd, colStart, colEnd, scratch);
    return;
  }
  const rsA = transA ? 1 : k;
  const csA = transA ? m : 1;
  for (let batch = batchStart; batch < batchEnd; batch++) {
    const aBase = a + (<usize>batch * <usize>aBatchStride << 2) + (<usize>(rowStart * rsA) << 2);
    const bBase = b + (<usize>batch * <usize>bBatchStride << 2) + (<usize>colStart << 2);
    const cBase = out + (<usize>batch * <usize>(m * n) << 2) + (<usize>(rowStart * n + colStart) << 2);
    for (let r = 0; r < rows; r++) {
      sparseRow(aBase + (<usize>(r * rsA) << 2), csA, bBase, n, cBase + (<usize>(r * n) << 2), cols, k, accumulate != 0, scratch);
    }
  }
}

/** Writes (p, v) at entry `count` of the list and returns the new count: one more unless v is zero. */
@inline function appendEntry(list: usize, count: i32, p: i32, v: f32): i32 {
  const e = list + (<usize>count << 3);
  store<i32>(e, p);
  store<f32>(e, v, 4);
  return count + <i32>(v != 0);
}

/**
 * One output row: y[0, cols) (=|+=) sum_p x[p*incX] B(p, .) over non-zero x[p], B row-major with row stride ldb.
 * Like gemmBlock, k is cut into equal blocks; each block's sum starts at 0 and is then added to y.
 */
function sparseRow(x: usize, incX: i32, b: usize, ldb: i32, y: usize, cols: i32, k: i32, accumulate: bool, scratch: usize): void {
  // The non-zero entries, as (k index, value) pairs: i32 then f32. Branch-free (every entry is written, the count
  // only moves past non-zeros): a branch on each value mispredicted often enough to cost as much as the products.
  let count = 0;
  let p = 0;
  if (incX == 1) {
    // Contiguous (an untransposed A): skip 4 zeros at a time (MNIST's zeros come in runs).
    for (; p + 4 <= k; p += 4) {
      const at = x + (<usize>p << 2);
      if (!v128.any_true(f32x4.ne(v128.load(at), f32x4.splat(0)))) continue;
      for (let q = 0; q < 4; q++) count = appendEntry(scratch, count, p + q, load<f32>(at + (<usize>q << 2)));
    }
  }
  const xStep = <usize>incX << 2;
  for (let px = x + <usize>p * xStep; p < k; p++, px += xStep) count = appendEntry(scratch, count, p, load<f32>(px));
  const kBlocks = (k + KC - 1) / KC;
  const kcBlock = (k + kBlocks - 1) / kBlocks;
  const rowBytes = <usize>ldb << 2;
  let first = 0;
  for (let pc = 0; pc < k; pc += kcBlock) {
    let last = first;
    const blockEnd = pc + kcBlock;
    while (last < count && load<i32>(scratch + (<usize>last << 3)) < blockEnd) last++;
    const overwrite = pc == 0 && !accumulate;
    const listStart = scratch + (<usize>first << 3);
    const listEnd = scratch + (<usize>last << 3);
    let j = 0;
    // 32 columns at a time (8 accumulators), then 4, then single lanes.
    for (; j + 32 <= cols; j += 32) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
      const column = b + (<usize>j << 2);
      for (let e = listStart; e < listEnd; e += 8) {
        const row = column + <usize>load<i32>(e) * rowBytes;
        const s = v128.load32_splat(e, 4);
        c0 = madd(s, v128.load(row), c0); c1 = madd(s, v128.load(row, 16), c1);
        c2 = madd(s, v128.load(row, 32), c2); c3 = madd(s, v128.load(row, 48), c3);
        c4 = madd(s, v128.load(row, 64), c4); c5 = madd(s, v128.load(row, 80), c5);
        c6 = madd(s, v128.load(row, 96), c6); c7 = madd(s, v128.load(row, 112), c7);
      }
      const d = y + (<usize>j << 2);
      if (!overwrite) {
        c0 = f32x4.add(c0, v128.load(d)); c1 = f32x4.add(c1, v128.load(d, 16));
        c2 = f32x4.add(c2, v128.load(d, 32)); c3 = f32x4.add(c3, v128.load(d, 48));
        c4 = f32x4.add(c4, v128.load(d, 64)); c5 = f32x4.add(c5, v128.load(d, 80));
        c6 = f32x4.add(c6, v128.load(d, 96)); c7 = f32x4.add(c7, v128.load(d, 112));
      }
      v128.store(d, c0); v128.store(d, c1, 16); v128.store(d, c2, 32); v128.store(d, c3, 48);
      v128.store(d, c4, 64); v128.store(d, c5, 80); v128.store(d, c6, 96); v128.store(d, c7, 112);
    }
    for (; j + 4 <= cols; j += 4) {
      let c = f32x4.splat(0);
      const column = b + (<usize>j << 2);
      for (let e = listStart; e < listEnd; e += 8) {
        c = madd(v128.load32_splat(e, 4), v128.load(column + <usize>load<i32>(e) * rowBytes), c);
      }
      const d = y + (<usize>j << 2);
      v128.store(d, overwrite ? c : f32x4.add(c, v128.load(d)));
    }
    for (; j < cols; j++) {
      // One lane of the same vector madd, so that the rounding is the gemm kernel's.
      let c = f32x4.splat(0);
      const column = b + (<usize>j << 2);
      for (let e = listStart; e < listEnd; e += 8) {
        c = madd(v128.load32_splat(e, 4), v128.load32_splat(column + <usize>load<i32>(e) * rowBytes), c);
      }
      const d = y + (<usize>j << 2);
      const v = f32x4.extract_lane(c, 0);
      store<f32>(d, overwrite ? v : load<f32>(d) + v);
    }
    first = last;
  }
}
