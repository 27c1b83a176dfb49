// Data movement: strided copy (permute, slice, pad, concat, expand), gather and its adjoint scatter-add.
// Values are moved as 32-bit words, so the same kernels serve float32 and int32 buffers (except accumulation).

/**
 * For flat indices [start, end) of `shape`: dst[dstOffset + i.dstStrides] (=|+=) src[srcOffset + i.srcStrides].
 * The plan block holds shape, srcStrides, dstStrides as i32 (rank each).
 */
export function stridedCopy(src: usize, dst: usize, rank: i32, plan: usize, srcOffset: i32, dstOffset: i32,
  accumulate: i32, start: i32, end: i32): void {
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
