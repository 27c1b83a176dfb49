// Fused batch normalisation over x viewed as (batch, channels, spatial), per-channel sums accumulated in f64.
// Each call handles channels [channelStart, channelEnd). With spatial == 1 the channels are the contiguous axis and
// four of them share a vector (`...Columns`); otherwise each channel's planes are walked with SIMD (`...Planes`).
// A weight / bias / output pointer of 0 means "absent" (the JS allocator never hands out address 0).
// relu != 0 fuses a ReLU into the output; backward then takes that output (y != 0) and first zeroes dy where y <= 0.

/** f64 lanes 0, 1 and 2, 3 of an f32x4. */
@inline function lowF64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function highF64(v: v128): v128 { return f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)); }
/** Two f64x2 back into one f32x4 (lo lanes first). */
@inline function toF32x4(lo: v128, hi: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}
@inline function laneSum(v: v128): f64 { return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1); }
/**
 * Vectors summed in f32 before their sum joins an f64 accumulator: f32 adds cost a third of the f64 path (promote,
 * shuffle, two 2-lane adds), and 16 terms lose about 1e-6 relative, far below what the statistics need.
 */
const BLOCK_FLOATS = 64;
@inline function channelValue(p: usize, c: i32, absent: f32): f32 { return p != 0 ? load<f32>(p + (<usize>c << 2)) : absent; }
/** dy at byte offset o, zero where the fused ReLU's output y is not positive (y == 0: no ReLU). */
@inline function gradAt(dy: usize, y: usize, o: usize): v128 {
  const g = v128.load(dy + o);
  return y != 0 ? v128.and(g, f32x4.gt(v128.load(y + o), f32x4.splat(0))) : g;
}
@inline function gradScalarAt(dy: usize, y: usize, o: usize): f32 {
  return y != 0 && !(load<f32>(y + o) > 0) ? 0 : load<f32>(dy + o);
}

// ---- forward --------------------------------------------------------------------------

function forwardPlanes(x: usize, weight: usize, bias: usize, mean: usize, variance: usize, invStd: usize, y: usize,
  batch: i32, channels: i32, spatial: i32, training: i32, eps: f64, relu: i32, c: i32): void {
  const planeStride = <usize>channels * <usize>spatial << 2; // bytes between this channel's planes
  const first = <usize>c * <usize>spatial << 2;
  const count = <f64>batch * <f64>spatial;
  const at = <usize>c << 2;
  if (training) {
    // One pass: sums of d = x - k and d * d (blocks in f32, then f64), shifted by the channel's first value k so that the variance
    // S2 / n - (S1 / n)^2 does not cancel (|mean - k| is about one standard deviation, not |mean|).
    const kf = load<f32>(x + first);
    const k = <f64>kf;
    const kv = f32x4.splat(kf);
    const fullSpatial = spatial & ~3;
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
    let sumTail: f64 = 0;
    let squareTail: f64 = 0;
    let p = x + first;
    for (let n = 0; n < batch; n++, p += planeStride) {
      let s = 0;
      while (s < fullSpatial) {
        const end = min(s + BLOCK_FLOATS, fullSpatial);
        let blockSum = f32x4.splat(0), blockSquares = f32x4.splat(0);
        for (; s < end; s += 4) {
          const d = f32x4.sub(v128.load(p + (<usize>s << 2)), kv);
          blockSum = f32x4.add(blockSum, d);
          blockSquares = f32x4.add(blockSquares, f32x4.mul(d, d));
        }
        s0 = f64x2.add(s0, lowF64(blockSum));
        s1 = f64x2.add(s1, highF64(blockSum));
        q0 = f64x2.add(q0, lowF64(blockSquares));
        q1 = f64x2.add(q1, highF64(blockSquares));
      }
      for (; s < spatial; s++) {
        const d = <f64>load<f32>(p + (<usize>s << 2)) - k;
        sumTail += d;
        squareTail += d * d;
      }
    }
    const shift = (laneSum(f64x2.add(s0, s1)) + sumTail) / count;
    store<f32>(mean + at, <f32>(k + shift));
    store<f32>(variance + at, <f32>max((laneSum(f64x2.add(q0, q1)) + squareTail) / count - shift * shift, 0));
  }
  const m = load<f32>(mean + at);
  const inv = 1 / Math.sqrt(<f64>load<f32>(variance + at) + eps);
  store<f32>(invStd + at, <f32>inv);
  const scale = <f32>(<f64>channelValue(weight, c, 1) * inv);
  const shift = channelValue(bias, c, 0);
  const mv = f32x4.splat(m);
  const scaleV = f32x4.splat(scale);
  const shiftV = f32x4.splat(shift);
  const zero = f32x4.splat(0);
  let p = first;
  for (let n = 0; n < batch; n++, p += planeStride) {
    let s = 0;
    for (; s + 4 <= spatial; s += 4) {
      const o = p + (<usize>s << 2);
      const v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), mv), scaleV), shiftV);
      v128.store(y + o, relu ? v128.and(v, f32x4.gt(v, zero)) : v); // the ReLU of kernels/elementwise.ts (NaN -> 0)
    }
    for (; s < spatial; s++) {
      const o = p + (<usize>s << 2);
      const v = (load<f32>(x + o) - m) * scale + shift;
      store<f32>(y + o, relu && !(v > 0) ? 0 : v);
    }
  }
}

/** Channels c..c+3 of (batch, channels) with spatial == 1: one vector per row. */
function forwardColumns(x: usize, weight: usize, bias: usize, mean: usize, variance: usize, invStd: usize, y: usize,
  batch: i32, channels: i32, training: i32, eps: f64, relu: i32, c: i32): void {
  const rowStride = <usize>channels << 2;
  const at = <usize>c << 2;
  if (training) {
    const count = f64x2.splat(<f64>batch);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    let p = x + at;
    for (let n = 0; n < batch; n++, p += rowStride) {
      const v = v128.load(p);
      lo = f64x2.add(lo, lowF64(v));
      hi = f64x2.add(hi, highF64(v));
    }
    const mv = toF32x4(f64x2.div(lo, count), f64x2.div(hi, count));
    lo = f64x2.splat(0);
    hi = f64x2.splat(0);
    p = x + at;
    for (let n = 0; n < batch; n++, p += rowStride) {
      const d = f32x4.sub(v128.load(p), mv);
      const dl = lowF64(d);
      const dh = highF64(d);
      lo = f64x2.add(lo, f64x2.mul(dl, dl));
      hi = f64x2.add(hi, f64x2.mul(dh, dh));
    }
    v128.store(mean + at, mv);
    v128.store(variance + at, toF32x4(f64x2.div(lo, count), f64x2.div(hi, count)));
  }
  const mv = v128.load(mean + at);
  const varianceV = v128.load(variance + at);
  const one = f64x2.splat(1);
  const epsV = f64x2.splat(eps);
  const inv = toF32x4(
    f64x2.div(one, f64x2.sqrt(f64x2.add(lowF64(varianceV), epsV))),
    f64x2.div(one, f64x2.sqrt(f64x2.add(highF64(varianceV), epsV))),
  );
  v128.store(invStd + at, inv);
  const scale = weight != 0 ? f32x4.mul(v128.load(weight + at), inv) : inv;
  const shift = bias != 0 ? v128.load(bias + at) : f32x4.splat(0);
  const zero = f32x4.splat(0);
  let o = at;
  for (let n = 0; n < batch; n++, o += rowStride) {
    const v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), mv), scale), shift);
    v128.store(y + o, relu ? v128.and(v, f32x4.gt(v, zero)) : v); // the ReLU of kernels/elementwise.ts (NaN -> 0)
  }
}

export function batchNormForward(x: usize, weight: usize, bias: usize, mean: usize, variance: usize, invStd: usize,
  y: usize, batch: i32, channels: i32, spatial: i32, training: i32, eps: f64, relu: i32, channelStart: i32, channelEnd: i32): void {
  let c = channelStart;
  if (spatial == 1) {
    for (; c + 4 <= channelEnd; c += 4) forwardColumns(x, weight, bias, mean, variance, invStd, y, batch, channels, training, eps, relu, c);
  }
  for (; c < channelEnd; c++) forwardPlanes(x, weight, bias, mean, variance, invStd, y, batch, channels, spatial, training, eps, relu, c);
}

// ---- backward -------------------------------------------------------------------------

function backwardPlanes(x: usize, dy: usize, y: usize, mean: usize, invStd: usize, weight: usize, dx: usize, dweight: usize,
  dbias: usize, batch: i32, channels: i32, spatial: i32, training: i32, c: i32): void {
  const planeStride = <usize>channels * <usize>spatial << 2;
  const first = <usize>c * <usize>spatial << 2;
  const count = <f64>batch * <f64>spatial;
  const at = <usize>c << 2;
  const m = load<f32>(mean + at);
  const inv = <f64>load<f32>(invStd + at);
  const mv = f32x4.splat(m);
  // sum(dy) and sum(dy * (x - mean)): blocks in f32, then f64. With the fused ReLU, the masked dy is kept in dx
  // for the second pass, which then reads two arrays instead of three.
  const stage = y != 0 && dx != 0;
  const fullSpatial = spatial & ~3;
  let dyLo = f64x2.splat(0);
  let dyHi = f64x2.splat(0);
  let prodLo = f64x2.splat(0);
  let prodHi = f64x2.splat(0);
  let dyTail: f64 = 0;
  let prodTail: f64 = 0;
  let p = first;
  for (let n = 0; n < batch; n++, p += planeStride) {
    let s = 0;
    while (s < fullSpatial) {
      const end = min(s + BLOCK_FLOATS, fullSpatial);
      let blockDy = f32x4.splat(0), blockProd = f32x4.splat(0);
      for (; s < end; s += 4) {
        const o = p + (<usize>s << 2);
        const g = gradAt(dy, y, o);
        if (stage) v128.store(dx + o, g);
        blockDy = f32x4.add(blockDy, g);
        blockProd = f32x4.add(blockProd, f32x4.mul(g, f32x4.sub(v128.load(x + o), mv)));
      }
      dyLo = f64x2.add(dyLo, lowF64(blockDy));
      dyHi = f64x2.add(dyHi, highF64(blockDy));
      prodLo = f64x2.add(prodLo, lowF64(blockProd));
      prodHi = f64x2.add(prodHi, highF64(blockProd));
    }
    for (; s < spatial; s++) {
      const o = p + (<usize>s << 2);
      const g = gradScalarAt(dy, y, o);
      if (stage) store<f32>(dx + o, g);
      dyTail += <f64>g;
      prodTail += <f64>(g * (load<f32>(x + o) - m));
    }
  }
  const sumDy = laneSum(f64x2.add(dyLo, dyHi)) + dyTail;
  const sumDyXhat = (laneSum(f64x2.add(prodLo, prodHi)) + prodTail) * inv;
  if (dweight != 0) store<f32>(dweight + at, <f32>sumDyXhat);
  if (dbias != 0) store<f32>(dbias + at, <f32>sumDy);
  if (dx == 0) return;
  // dx = k*dy + slope*(x - mean) + shift; slope and shift are 0 when the statistics were constants.
  const k = <f64>channelValue(weight, c, 1) * inv;
  const slope = training ? <f32>(-k * inv * sumDyXhat / count) : 0;
  const shift = training ? <f32>(-k * sumDy / count) : 0;
  const kf = <f32>k;
  const kV = f32x4.splat(kf);
  const slopeV = f32x4.splat(slope);
  const shiftV = f32x4.splat(shift);
  const gradient = stage ? dx : dy;
  const mask = stage ? 0 : y;
  p = first;
  for (let n = 0; n < batch; n++, p += planeStride) {
    let s = 0;
    for (; s + 4 <= spatial; s += 4) {
      const o = p + (<usize>s << 2);
      const d = f32x4.sub(v128.load(x + o), mv);
      v128.store(dx + o, f32x4.add(f32x4.add(f32x4.mul(kV, gradAt(gradient, mask, o)), f32x4.mul(slopeV, d)), shiftV));
    }
    for (; s < spatial; s++) {
      const o = p + (<usize>s << 2);
      store<f32>(dx + o, kf * gradScalarAt(gradient, mask, o) + slope * (load<f32>(x + o) - m) + shift);
    }
  }
}

/** Channels c..c+3 of (batch, channels) with spatial == 1. */
function backwardColumns(x: usize, dy: usize, y: usize, mean: usize, invStd: usize, weight: usize, dx: usize, dweight: usize,
  dbias: usize, batch: i32, channels: i32, training: i32, c: i32): void {
  const rowStride = <usize>channels << 2;
  const at = <usize>c << 2;
  const mv = v128.load(mean + at);
  const invV = v128.load(invStd + at);
  let dyLo = f64x2.splat(0);
  let dyHi = f64x2.splat(0);
  let prodLo = f64x2.splat(0);
  let prodHi = f64x2.splat(0);
  let o = at;
  for (let n = 0; n < batch; n++, o += rowStride) {
    const g = gradAt(dy, y, o);
    const prod = f32x4.mul(g, f32x4.sub(v128.load(x + o), mv));
    dyLo = f64x2.add(dyLo, lowF64(g));
    dyHi = f64x2.add(dyHi, highF64(g));
    prodLo = f64x2.add(prodLo, lowF64(prod));
    prodHi = f64x2.add(prodHi, highF64(prod));
  }
  const invLo = lowF64(invV);
  const invHi = highF64(invV);
  const xhatLo = f64x2.mul(prodLo, invLo); // sum(dy * xhat)
  const xhatHi = f64x2.mul(prodHi, invHi);
  if (dweight != 0) v128.store(dweight + at, toF32x4(xhatLo, xhatHi));
  if (dbias != 0) v128.store(dbias + at, toF32x4(dyLo, dyHi));
  if (dx == 0) return;
  const w = weight != 0 ? v128.load(weight + at) : f32x4.splat(1);
  const kLo = f64x2.mul(lowF64(w), invLo);
  const kHi = f64x2.mul(highF64(w), invHi);
  const kV = toF32x4(kLo, kHi);
  let slopeV = f32x4.splat(0);
  let shiftV = f32x4.splat(0);
  if (training) {
    const minusInvCount = f64x2.splat(-1 / <f64>batch);
    slopeV = toF32x4(f64x2.mul(f64x2.mul(f64x2.mul(kLo, invLo), xhatLo), minusInvCount),
      f64x2.mul(f64x2.mul(f64x2.mul(kHi, invHi), xhatHi), minusInvCount));
    shiftV = toF32x4(f64x2.mul(f64x2.mul(kLo, dyLo), minusInvCount), f64x2.mul(f64x2.mul(kHi, dyHi), minusInvCount));
  }
  o = at;
  for (let n = 0; n < batch; n++, o += rowStride) {
    const d = f32x4.sub(v128.load(x + o), mv);
    v128.store(dx + o, f32x4.add(f32x4.add(f32x4.mul(kV, gradAt(dy, y, o)), f32x4.mul(slopeV, d)), shiftV));
  }
}

export function batchNormBackward(x: usize, dy: usize, y: usize, mean: usize, invStd: usize, weight: usize, dx: usize,
  dweight: usize, dbias: usize, batch: i32, channels: i32, spatial: i32, training: i32, channelStart: i32,
  channelEnd: i32): void {
  let c = channelStart;
  if (spatial == 1) {
    for (; c + 4 <= channelEnd; c += 4) backwardColumns(x, dy, y, mean, invStd, weight, dx, dweight, dbias, batch, channels, training, c);
  }
  for (; c < channelEnd; c++) backwardPlanes(x, dy, y, mean, invStd, weight, dx, dweight, dbias, batch, channels, spatial, training, c);
}
