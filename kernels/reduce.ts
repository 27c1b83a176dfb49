// Reductions over the middle axis of (outer, size, inner), argmax, and the row-wise softmax family.
// Sums accumulate in f64; each call handles outer rows [outerStart, outerEnd) and inner columns [innerStart, innerEnd).
import { expV } from './math';

export const enum Reduce { Sum = 0, Max, Min }

@inline function sumRowF64(x: usize, len: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)));
  }
  const s = f64x2.add(a0, a1);
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < len; i++) total += <f64>load<f32>(x + (<usize>i << 2));
  return total;
}

@inline function extremeRow(isMax: bool, x: usize, len: i32): f32 {
  let acc = f32x4.splat(isMax ? -Infinity : Infinity);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    acc = isMax ? f32x4.max(acc, v) : f32x4.min(acc, v);
  }
  let r = isMax
    ? max(max(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), max(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)))
    : min(min(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)), min(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
  for (; i < len; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    r = isMax ? max(r, v) : min(r, v);
  }
  return r;
}

export function reduce(op: i32, x: usize, out: usize, size: i32, inner: i32,
  outerStart: i32, outerEnd: i32, innerStart: i32, innerEnd: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let o = outerStart; o < outerEnd; o++) {
    const base = x + <usize>o * <usize>size * rowBytes;
    const dst = out + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      store<f32>(dst, op == Reduce.Sum ? <f32>sumRowF64(base, size) : extremeRow(op == Reduce.Max, base, size));
      continue;
    }
    let i = innerStart;
    if (op == Reduce.Sum) {
      for (; i + 4 <= innerEnd; i += 4) {
        let lo = f64x2.splat(0);
        let hi = f64x2.splat(0);
        let p = base + (<usize>i << 2);
        for (let s = 0; s < size; s++) {
          const v = v128.load(p);
          lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
          hi = f64x2.add(hi, f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)));
          p += rowBytes;
        }
        v128.store(dst + (<usize>i << 2), i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2));
      }
      for (; i < innerEnd; i++) {
        let acc: f64 = 0;
        let p = base + (<usize>i << 2);
        for (let s = 0; s < size; s++) { acc += <f64>load<f32>(p); p += rowBytes; }
        store<f32>(dst + (<usize>i << 2), <f32>acc);
      }
    } else {
      const isMax = op == Reduce.Max;
      for (; i + 4 <= innerEnd; i += 4) {
        let acc = f32x4.splat(isMax ? -Infinity : Infinity);
        let p = base + (<usize>i << 2);
        for (let s = 0; s < size; s++) {
          const v = v128.load(p);
          acc = isMax ? f32x4.max(acc, v) : f32x4.min(acc, v);
          p += rowBytes;
        }
        v128.store(dst + (<usize>i << 2), acc);
      }
      for (; i < innerEnd; i++) {
        let acc: f32 = isMax ? -Infinity : Infinity;
        let p = base + (<usize>i << 2);
        for (let s = 0; s < size; s++) {
          const v = load<f32>(p);
          acc = isMax ? max(acc, v) : min(acc, v);
          p += rowBytes;
        }
        store<f32>(dst + (<usize>i << 2), acc);
      }
    }
  }
}

/** First index of the maximum; NaN never wins (like the reference's strict `>`). */
export function argmax(x: usize, out: usize, size: i32, inner: i32,
  outerStart: i32, outerEnd: i32, innerStart: i32, innerEnd: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let o = outerStart; o < outerEnd; o++) {
    const base = x + <usize>o * <usize>size * rowBytes;
    for (let i = innerStart; i < innerEnd; i++) {
      let best = 0;
      let bestValue: f32 = -Infinity;
      let p = base + (<usize>i << 2);
      for (let s = 0; s < size; s++) {
        const v = load<f32>(p);
        if (v > bestValue) { bestValue = v; best = s; }
        p += rowBytes;
      }
      store<i32>(out + (<usize>(o * inner + i) << 2), best);
    }
  }
}

// ---- softmax family (rows of length cols, rows [rowStart, rowEnd)) ---------------------------

/** Writes exp(x - max) into dst (may be null to skip) and returns the sum in f64. */
@inline function expShiftedSum(x: usize, dst: usize, cols: i32, shift: f32): f64 {
  const s = f32x4.splat(shift);
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= cols; i += 4) {
    const e = expV(f32x4.sub(v128.load(x + (<usize>i << 2)), s));
    if (dst) v128.store(dst + (<usize>i << 2), e);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(e));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i64x2.shuffle(e, e, 1, 0)));
  }
  const t = f64x2.add(a0, a1);
  let total = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  for (; i < cols; i++) {
    const e = f32x4.extract_lane(expV(f32x4.splat(load<f32>(x + (<usize>i << 2)) - shift)), 0);
    if (dst) store<f32>(dst + (<usize>i << 2), e);
    total += <f64>e;
  }
  return total;
}

@inline function scaleRow(p: usize, cols: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= cols; i += 4) v128.store(p + (<usize>i << 2), f32x4.mul(v128.load(p + (<usize>i << 2)), s));
  for (; i < cols; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) * scale);
}

export function softmax(x: usize, out: usize, cols: i32, log: i32, rowStart: i32, rowEnd: i32): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const off = <usize>r * <usize>cols << 2;
    const xr = x + off;
    const yr = out + off;
    const rowMax = extremeRow(true, xr, cols);
    if (log) {
      const sum = expShiftedSum(xr, 0, cols, rowMax);
      const shift = f32x4.splat(rowMax + <f32>Math.log(sum));
      let i = 0;
      for (; i + 4 <= cols; i += 4) v128.store(yr + (<usize>i << 2), f32x4.sub(v128.load(xr + (<usize>i << 2)), shift));
      for (; i < cols; i++) store<f32>(yr + (<usize>i << 2), load<f32>(xr + (<usize>i << 2)) - f32x4.extract_lane(shift, 0));
    } else {
      const sum = expShiftedSum(xr, yr, cols, rowMax);
      scaleRow(yr, cols, <f32>(1.0 / sum));
    }
  }
}

export function softmaxBackward(y: usize, dy: usize, dx: usize, cols: i32, log: i32, rowStart: i32, rowEnd: i32): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const off = <usize>r * <usize>cols << 2;
    let dot: f64 = 0;
    if (log) {
      dot = sumRowF64(dy + off, cols);
    } else {
      for (let i = 0; i < cols; i++) dot += <f64>load<f32>(dy + off + (<usize>i << 2)) * <f64>load<f32>(y + off + (<usize>i << 2));
    }
    const d = f32x4.splat(<f32>dot);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = off + (<usize>i << 2);
      const yv = v128.load(y + o);
      const g = v128.load(dy + o);
      v128.store(dx + o, log ? f32x4.sub(g, f32x4.mul(expV(yv), d)) : f32x4.mul(yv, f32x4.sub(g, d)));
    }
    for (; i < cols; i++) {
      const o = off + (<usize>i << 2);
      const yv = load<f32>(y + o);
      const g = load<f32>(dy + o);
      const e = f32x4.extract_lane(expV(f32x4.splat(yv)), 0);
      store<f32>(dx + o, log ? g - e * <f32>dot : yv * (g - <f32>dot));
    }
  }
}

export function softmaxCrossEntropy(logits: usize, target: usize, sparse: i32, losses: usize, probs: usize,
  cols: i32, rowStart: i32, rowEnd: i32): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const off = <usize>r * <usize>cols << 2;
    const xr = logits + off;
    const pr = probs + off;
    const rowMax = extremeRow(true, xr, cols);
    const sum = expShiftedSum(xr, pr, cols, rowMax);
    scaleRow(pr, cols, <f32>(1.0 / sum));
    const logSum = Math.log(sum) + <f64>rowMax;
    let loss: f64 = 0;
    if (sparse) {
      const t = load<i32>(target + (<usize>r << 2));
      loss = logSum - <f64>load<f32>(xr + (<usize>t << 2));
    } else {
      const tr = target + off;
      for (let i = 0; i < cols; i++) {
        loss += <f64>load<f32>(tr + (<usize>i << 2)) * (logSum - <f64>load<f32>(xr + (<usize>i << 2)));
      }
    }
    store<f32>(losses + (<usize>r << 2), <f32>loss);
  }
}
