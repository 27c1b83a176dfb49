// Data movement: strided copy (permute, slice, pad, concat, expand), gather and its adjoint scatter-add.
// Values are moved as 32-bit words, so the same kernels serve float32 and int32 buffers (except accumulation).
import { storeTransposed4 } from './simd';

/**
 * For flat indices [start, end) of `shape`: dst[dstOffset + i.dstStrides] (=|+=) src[srcOffset + i.srcStrides].
 * The plan block holds shape, srcStrides, dstStrides as i32 (rank each). A plain copy whose last two axes swap
 * contiguity (src contiguous along the second-last axis, dst along the last: a permute such as NHWC -> NCHW)
 * moves whole 2-D slabs in 4x4 register transposes.
 */
export function stridedCopy(src: usize, dst: usize, rank: i32, plan: usize, srcOffset: i32, dstOffset: i32,
  accumulate: i32, start: i32, end: i32): void {
  const last = rank - 1;
  if (rank >= 2 && !accumulate) {
    const rows = load<i32>(plan + (<usize>(last - 1) << 2));
    const cols = load<i32>(plan + (<usize>last << 2));
    const srcStrides = plan + (<usize>rank << 2);
    const dstStrides = plan + (<usize>rank << 3);
    const sRow = load<i32>(srcStrides + (<usize>(last - 1) << 2));
    const sCol = load<i32>(srcStrides + (<usize>last << 2));
    const dRow = load<i32>(dstStrides + (<usize>(last - 1) << 2));
    const dCol = load<i32>(dstStrides + (<usize>last << 2));
    if (sRow == 1 && dCol == 1 && sCol != 1 && rows >= 4 && cols >= 4) {
      const slab = rows * cols;
      let flat = start;
      while (flat < end) {
        const slabStart = flat - flat % slab;
        const slabEnd = min(slabStart + slab, end);
        if (flat == slabStart && slabEnd == slabStart + slab) {
          let rem = flat / slab;
          let s = srcOffset;
          let d = dstOffset;
          for (let axis = last - 2; axis >= 0; axis--) {
            const size = load<i32>(plan + (<usize>axis << 2));
            const idx = rem % size;
            rem /= size;
            s += idx * load<i32>(srcStrides + (<usize>axis << 2));
            d += idx * load<i32>(dstStrides + (<usize>axis << 2));
          }
          transposeSlab(src + (<usize>s << 2), sCol, dst + (<usize>d << 2), dRow, rows, cols);
        } else {
          copyRange(src, dst, rank, plan, srcOffset, dstOffset, false, flat, slabEnd);
        }
        flat = slabEnd;
      }
      return;
    }
  }
  copyRange(src, dst, rank, plan, srcOffset, dstOffset, accumulate != 0, start, end);
}

/** dst[r*dRow + c] = src[r + c*sCol] for r < rows, c < cols (32-bit words). */
function transposeSlab(src: usize, sCol: i32, dst: usize, dRow: i32, rows: i32, cols: i32): void {
  const sColBytes = <usize>sCol << 2;
  const dRowBytes = <usize>dRow << 2;
  const fullRows = rows & ~3;
  const fullCols = cols & ~3;
  for (let r = 0; r < fullRows; r += 4) {
    const d = dst + <usize>r * dRowBytes;
    const s = src + (<usize>r << 2);
    for (let c = 0; c < fullCols; c += 4) {
      const sc = s + <usize>c * sColBytes;
      storeTransposed4(d + (<usize>c << 2), dRowBytes,
        v128.load(sc), v128.load(sc + sColBytes), v128.load(sc + sColBytes * 2), v128.load(sc + sColBytes * 3));
    }
    for (let c = fullCols; c < cols; c++) {
      for (let i = 0; i < 4; i++) {
        store<u32>(d + <usize>i * dRowBytes + (<usize>c << 2), load<u32>(s + (<usize>i << 2) + <usize>c * sColBytes));
      }
    }
  }
  for (let r = fullRows; r < rows; r++) {
    const d = dst + <usize>r * dRowBytes;
    const s = src + (<usize>r << 2);
    for (let c = 0; c < cols; c++) store<u32>(d + (<usize>c << 2), load<u32>(s + <usize>c * sColBytes));
  }
}

/** The general strided copy of flat indices [start, end): one run of the last axis at a time. */
function copyRange(src: usize, dst: usize, rank: i32, plan: usize, srcOffset: i32, dstOffset: i32,
  accumulate: bool, start: i32, end: i32): void {
  const shapes = plan;
  const srcStrides = plan + (<usize>rank << 2);
  const dstStrides = plan + (<usize>rank << 3);
  const last = rank - 1;
  const inner = load<i32>(shapes + (<usize>last << 2));
  const sInner = load<i32>(srcStrides + (<usize>last << 2));
  const dInner = load<i32>(dstStrides + (<usize>last << 2));
  let flat = start;
  while (flat < end) {
    let rem = flat;
    let s = srcOffset;
    let d = dstOffset;
    for (let axis = last; axis >= 0; axis--) {
      const size = load<i32>(shapes + (<usize>axis << 2));
      const idx = rem % size;
      rem /= size;
      s += idx * load<i32>(srcStrides + (<usize>axis << 2));
      d += idx * load<i32>(dstStrides + (<usize>axis << 2));
    }
    const len = min(inner - flat % inner, end - flat);
    const sp = src + (<usize>s << 2);
    const dp = dst + (<usize>d << 2);
    if (sInner == 1 && dInner == 1) {
      if (accumulate) {
        let i = 0;
        for (; i + 4 <= len; i += 4) {
          const o = <usize>i << 2;
          v128.store(dp + o, f32x4.add(v128.load(dp + o), v128.load(sp + o)));
        }
        for (; i < len; i++) {
          const o = <usize>i << 2;
          store<f32>(dp + o, load<f32>(dp + o) + load<f32>(sp + o));
        }
      } else {
        memory.copy(dp, sp, <usize>len << 2);
      }
    } else if (accumulate) {
      for (let i = 0; i < len; i++) {
        const p = dp + (<usize>(i * dInner) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(sp + (<usize>(i * sInner) << 2)));
      }
    } else {
      for (let i = 0; i < len; i++) store<u32>(dp + (<usize>(i * dInner) << 2), load<u32>(sp + (<usize>(i * sInner) << 2)));
    }
    flat += len;
  }
}

/** x (outer, axisSize, inner), indices (count) -> out (outer, count, inner) for rows [rowStart, rowEnd) of outer*count. */
export function gather(x: usize, indices: usize, out: usize, axisSize: i32, inner: i32, count: i32,
  rowStart: i32, rowEnd: i32): void {
  const bytes = <usize>inner << 2;
  for (let row = rowStart; row < rowEnd; row++) {
    const o = row / count;
    const c = row % count;
    const from = <usize>(o * axisSize + load<i32>(indices + (<usize>c << 2))) * bytes;
    memory.copy(out + <usize>row * bytes, x + from, bytes);
  }
}

/** dx (outer, axisSize, inner) += dy (outer, count, inner) at indices, for outer [outerStart, outerEnd) and inner columns [innerStart, innerEnd). */
export function scatterAdd(dy: usize, indices: usize, dx: usize, axisSize: i32, inner: i32, count: i32,
  outerStart: i32, outerEnd: i32, innerStart: i32, innerEnd: i32): void {
  const len = innerEnd - innerStart;
  for (let o = outerStart; o < outerEnd; o++) {
    for (let c = 0; c < count; c++) {
      const to = dx + (<usize>((o * axisSize + load<i32>(indices + (<usize>c << 2))) * inner + innerStart) << 2);
      const from = dy + (<usize>((o * count + c) * inner + innerStart) << 2);
      let i = 0;
      for (; i + 4 <= len; i += 4) {
        const k = <usize>i << 2;
        v128.store(to + k, f32x4.add(v128.load(to + k), v128.load(from + k)));
      }
      for (; i < len; i++) {
        const k = <usize>i << 2;
        store<f32>(to + k, load<f32>(to + k) + load<f32>(from + k));
      }
    }
  }
}
