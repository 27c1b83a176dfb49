// Broadcast binary kernel: out[flat] = a[sum(i*aStrides)] op b[sum(i*bStrides)] for flat in [start, end).
// The plan block holds shape, aStrides, bStrides as i32 (rank each). Rows of the last axis run in SIMD
// when both inputs are contiguous or one of them is broadcast along it.

export const enum Binary { Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum, Greater, Equal }

@inline function binaryV(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case Binary.Add: return f32x4.add(x, y);
    case Binary.Sub: return f32x4.sub(x, y);
    case Binary.Mul: return f32x4.mul(x, y);
    case Binary.Div: return f32x4.div(x, y);
    case Binary.Pow: {
      let r = x;
      r = f32x4.replace_lane(r, 0, <f32>Math.pow(<f64>f32x4.extract_lane(x, 0), <f64>f32x4.extract_lane(y, 0)));
      r = f32x4.replace_lane(r, 1, <f32>Math.pow(<f64>f32x4.extract_lane(x, 1), <f64>f32x4.extract_lane(y, 1)));
      r = f32x4.replace_lane(r, 2, <f32>Math.pow(<f64>f32x4.extract_lane(x, 2), <f64>f32x4.extract_lane(y, 2)));
      r = f32x4.replace_lane(r, 3, <f32>Math.pow(<f64>f32x4.extract_lane(x, 3), <f64>f32x4.extract_lane(y, 3)));
      return r;
    }
    case Binary.Maximum: return f32x4.max(x, y);
    case Binary.Minimum: return f32x4.min(x, y);
    case Binary.Greater: return v128.and(f32x4.gt(x, y), f32x4.splat(1.0));
    case Binary.Equal: return v128.and(f32x4.eq(x, y), f32x4.splat(1.0));
    default: return x;
  }
}

@inline function binaryRowOp(op: i32, a: usize, aStride: i32, b: usize, bStride: i32, out: usize, len: i32): void {
  let i = 0;
  if (aStride == 1 && bStride == 1) {
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryV(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (aStride == 1 && bStride == 0) {
    const y = v128.load32_splat(b);
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryV(op, v128.load(a + o), y));
    }
  } else if (aStride == 0 && bStride == 1) {
    const x = v128.load32_splat(a);
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryV(op, x, v128.load(b + o)));
    }
  }
  for (; i < len; i++) {
    const x = v128.load32_splat(a + (<usize>(i * aStride) << 2));
    const y = v128.load32_splat(b + (<usize>(i * bStride) << 2));
    store<f32>(out + (<usize>i << 2), f32x4.extract_lane(binaryV(op, x, y), 0));
  }
}

// The op switch sits outside the loops: each case inlines a row loop specialised to one op.
function binaryRow(op: i32, a: usize, aStride: i32, b: usize, bStride: i32, out: usize, len: i32): void {
  switch (op) {
    case Binary.Add: binaryRowOp(Binary.Add, a, aStride, b, bStride, out, len); return;
    case Binary.Sub: binaryRowOp(Binary.Sub, a, aStride, b, bStride, out, len); return;
    case Binary.Mul: binaryRowOp(Binary.Mul, a, aStride, b, bStride, out, len); return;
    case Binary.Div: binaryRowOp(Binary.Div, a, aStride, b, bStride, out, len); return;
    case Binary.Pow: binaryRowOp(Binary.Pow, a, aStride, b, bStride, out, len); return;
    case Binary.Maximum: binaryRowOp(Binary.Maximum, a, aStride, b, bStride, out, len); return;
    case Binary.Minimum: binaryRowOp(Binary.Minimum, a, aStride, b, bStride, out, len); return;
    case Binary.Greater: binaryRowOp(Binary.Greater, a, aStride, b, bStride, out, len); return;
    case Binary.Equal: binaryRowOp(Binary.Equal, a, aStride, b, bStride, out, len); return;
    default: binaryRowOp(-1, a, aStride, b, bStride, out, len);
  }
}

export function binary(op: i32, a: usize, b: usize, out: usize, rank: i32, plan: usize, start: i32, end: i32): void {
  const shapes = plan;
  const aStrides = plan + (<usize>rank << 2);
  const bStrides = plan + (<usize>rank << 3);
  const last = rank - 1;
  const inner = load<i32>(shapes + (<usize>last << 2));
  const aInner = load<i32>(aStrides + (<usize>last << 2));
  const bInner = load<i32>(bStrides + (<usize>last << 2));
  // Offsets of the current row's first element: computed with div/mod once, then stepped along the second-last
  // axis (an odometer) until it wraps.
  const rows = rank >= 2 ? load<i32>(shapes + (<usize>(last - 1) << 2)) : 1;
  const aRowStep = rank >= 2 ? load<i32>(aStrides + (<usize>(last - 1) << 2)) : 0;
  const bRowStep = rank >= 2 ? load<i32>(bStrides + (<usize>(last - 1) << 2)) : 0;
  let aRow = 0;
  let bRow = 0;
  let rowIndex = rows;
  let flat = start;
  while (flat < end) {
    const col = flat % inner;
    if (rowIndex >= rows) {
      let rem = flat / inner;
      aRow = 0;
      bRow = 0;
      for (let axis = last - 1; axis >= 0; axis--) {
        const size = load<i32>(shapes + (<usize>axis << 2));
        const idx = rem % size;
        rem /= size;
        aRow += idx * load<i32>(aStrides + (<usize>axis << 2));
        bRow += idx * load<i32>(bStrides + (<usize>axis << 2));
      }
      rowIndex = rank >= 2 ? (flat / inner) % rows : 0;
    }
    const len = min(inner - col, end - flat);
    binaryRow(op, a + (<usize>(aRow + col * aInner) << 2), aInner, b + (<usize>(bRow + col * bInner) << 2), bInner,
      out + (<usize>flat << 2), len);
    flat += len;
    rowIndex++;
    aRow += aRowStep;
    bRow += bRowStep;
  }
}
