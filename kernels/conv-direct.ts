// Direct convolution for layers with few input channels (a first layer on 1-channel images): stride 1, any padding,
// the forward with bias + ReLU fused into its NCHW store, and the weight + bias gradient in one pass; no im2col, GEMM
// or epilogue. Each image is first copied into the chunk's scratch with zero margins ("padded": C planes of ph rows of
// pw floats, ph = outH rounded up to 2 plus kh - 1, pw = outW rounded up to 4 plus kw - 1), so the inner loops load
// unaligned f32x4 runs of 4 output columns without bounds checks. The forward splits over images; the weight gradient
// over output channels, so each sum runs in one fixed order whatever the thread count.

import { g } from './geometry';
import { madd } from './simd';

@inline function roundUp(value: i32, step: i32): i32 {
  return (value + step - 1) / step * step;
}

/** Floats of one padded image (see the header), the same formula as the JS side's. */
@inline function paddedFloats(channels: i32, kh: i32, kw: i32, outH: i32, outW: i32): i32 {
  return channels * (roundUp(outH, 2) + kh - 1) * (roundUp(outW, 4) + kw - 1);
}

/**
 * Image `n` of x into `dst` (padded layout): rows and columns the windows read hold x or the zero padding, the rest
 * zeros (so lanes past outW and a row past an odd outH multiply zeros, never stale data).
 */
function padImage(x: usize, dst: usize, geometry: usize, n: i32): void {
  const channels = g(geometry, 1), height = g(geometry, 2), width = g(geometry, 3);
  const kh = g(geometry, 4), kw = g(geometry, 5), padH = g(geometry, 8), padW = g(geometry, 9);
  const outH = g(geometry, 10), outW = g(geometry, 11);
  const ph = roundUp(outH, 2) + kh - 1, pw = roundUp(outW, 4) + kw - 1;
  const usedRows = outH + kh - 1, usedCols = outW + kw - 1; // padded coordinates the windows touch
  memory.fill(dst, 0, <usize>paddedFloats(channels, kh, kw, outH, outW) << 2);
  // Columns [colStart, colEnd) of a padded row come from x columns [colStart - padW, colEnd - padW).
  const colStart = padW, colEnd = min(usedCols, padW + width);
  if (colEnd <= colStart) return;
  for (let c = 0; c < channels; c++) {
    const plane = x + (<usize>(n * channels + c) * <usize>height * <usize>width << 2);
    for (let r = 0; r < usedRows; r++) {
      const sy = r - padH;
      if (sy < 0 || sy >= height) continue;
      memory.copy(dst + (<usize>((c * ph + r) * pw + colStart) << 2), plane + (<usize>(sy * width) << 2),
        <usize>(colEnd - colStart) << 2);
    }
  }
}

/** Stores lanes [0, count) of v at p (count 1..4). */
@inline function storeLanes(p: usize, v: v128, count: i32): void {
  if (count >= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * out (N, O, outH, outW) = x (N, C, H, W) cross-correlated with w (O, C, kh, kw) + bias (0: none), then max(0, .) when
 * relu, for images [imageStart, imageEnd). scratch: paddedFloats + T * O floats (T = C * kh * kw) for this chunk alone.
 * Register tile: 4 output channels x 2 output rows x 4 columns (8 accumulators, 2 input runs, 4 weight splats per tap).
 */
export function convDirect(x: usize, w: usize, bias: usize, out: usize, geometry: usize, outChannels: i32, relu: i32,
  scratch: usize, imageStart: i32, imageEnd: i32): void {
  const channels = g(geometry, 1), kh = g(geometry, 4), kw = g(geometry, 5);
  const outH = g(geometry, 10), outW = g(geometry, 11);
  const taps = channels * kh * kw;
  const ph = roundUp(outH, 2) + kh - 1, pw = roundUp(outW, 4) + kw - 1;
  const padded = scratch;
  // Weights transposed to (T, O): a tap's 4 channel weights sit side by side (splats at immediate offsets).
  const wt = scratch + (<usize>paddedFloats(channels, kh, kw, outH, outW) << 2);
  for (let o = 0; o < outChannels; o++) {
    for (let t = 0; t < taps; t++) store<f32>(wt + (<usize>(t * outChannels + o) << 2), load<f32>(w + (<usize>(o * taps + t) << 2)));
  }
  const rowBytes = <usize>pw << 2;
  const tapStep = <usize>outChannels << 2;
  const outRow = <usize>outW << 2;
  const outPlane = <usize>outH * outRow;
  const zero = f32x4.splat(0);
  for (let n = imageStart; n < imageEnd; n++) {
    padImage(x, padded, geometry, n);
    const image = out + <usize>n * <usize>outChannels * outPlane;
    let o = 0;
    for (; o + 4 <= outChannels; o += 4) {
      const b0 = bias ? v128.load32_splat(bias + (<usize>o << 2)) : zero;
      const b1 = bias ? v128.load32_splat(bias + (<usize>o << 2), 4) : zero;
      const b2 = bias ? v128.load32_splat(bias + (<usize>o << 2), 8) : zero;
      const b3 = bias ? v128.load32_splat(bias + (<usize>o << 2), 12) : zero;
      const d0 = image + <usize>o * outPlane;
      for (let y = 0; y < outH; y += 2) {
        const second = y + 1 < outH;
        for (let xo = 0; xo < outW; xo += 4) {
          let a0 = b0, a1 = b1, a2 = b2, a3 = b3; // row y, channels o..o+3
          let c0 = b0, c1 = b1, c2 = b2, c3 = b3; // row y + 1
          let wp = wt + (<usize>o << 2);
          for (let c = 0; c < channels; c++) {
            for (let i = 0; i < kh; i++) {
              let p = padded + (<usize>((c * ph + y + i) * pw + xo) << 2);
              for (let j = 0; j < kw; j++) {
                const v = v128.load(p);
                const u = v128.load(p + rowBytes);
                const s0 = v128.load32_splat(wp);
                const s1 = v128.load32_splat(wp, 4);
                const s2 = v128.load32_splat(wp, 8);
                const s3 = v128.load32_splat(wp, 12);
                a0 = madd(v, s0, a0); c0 = madd(u, s0, c0);
                a1 = madd(v, s1, a1); c1 = madd(u, s1, c1);
                a2 = madd(v, s2, a2); c2 = madd(u, s2, c2);
                a3 = madd(v, s3, a3); c3 = madd(u, s3, c3);
                p += 4;
                wp += tapStep;
              }
            }
          }
          if (relu) {
            a0 = f32x4.max(a0, zero); a1 = f32x4.max(a1, zero); a2 = f32x4.max(a2, zero); a3 = f32x4.max(a3, zero);
            c0 = f32x4.max(c0, zero); c1 = f32x4.max(c1, zero); c2 = f32x4.max(c2, zero); c3 = f32x4.max(c3, zero);
          }
          const count = min(4, outW - xo);
          const q = d0 + <usize>y * outRow + (<usize>xo << 2);
          storeLanes(q, a0, count);
          storeLanes(q + outPlane, a1, count);
          storeLanes(q + outPlane * 2, a2, count);
          storeLanes(q + outPlane * 3, a3, count);
          if (second) {
            storeLanes(q + outRow, c0, count);
            storeLanes(q + outRow + outPlane, c1, count);
            storeLanes(q + outRow + outPlane * 2, c2, count);
            storeLanes(q + outRow + outPlane * 3, c3, count);
          }
        }
      }
    }
    for (; o < outChannels; o++) {
      // The last outChannels % 4 channels, one at a time (2 rows x 4 columns).
      const b = bias ? v128.load32_splat(bias + (<usize>o << 2)) : zero;
      const d0 = image + <usize>o * outPlane;
      for (let y = 0; y < outH; y += 2) {
        for (let xo = 0; xo < outW; xo += 4) {
          let a = b, c1 = b;
          let wp = wt + (<usize>o << 2);
          for (let c = 0; c < channels; c++) {
            for (let i = 0; i < kh; i++) {
              let p = padded + (<usize>((c * ph + y + i) * pw + xo) << 2);
              for (let j = 0; j < kw; j++) {
                const s = v128.load32_splat(wp);
                a = madd(v128.load(p), s, a);
                c1 = madd(v128.load(p + rowBytes), s, c1);
                p += 4;
                wp += tapStep;
              }
            }
          }
          if (relu) { a = f32x4.max(a, zero); c1 = f32x4.max(c1, zero); }
          const count = min(4, outW - xo);
          const q = d0 + <usize>y * outRow + (<usize>xo << 2);
          storeLanes(q, a, count);
          if (y + 1 < outH) storeLanes(q + outRow, c1, count);
        }
      }
    }
  }
}

/** Byte offset in the padded image of tap t (flat over (c, i, j)), or 0 for t past the last tap (a discarded lane). */
@inline function tapOffset(t: i32, taps: i32, kh: i32, kw: i32, ph: i32, pw: i32): usize {
  if (t >= taps) return 0;
  const j = t % kw;
  const i = (t / kw) % kh;
  const c = t / (kw * kh);
  return <usize>((c * ph + i) * pw + j) << 2;
}

@inline function horizontalSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** dw[o * taps + t] += the lanes of acc, for t < taps. */
@inline function addTap(dw: usize, t: i32, taps: i32, acc: v128): void {
  if (t < taps) {
    const p = dw + (<usize>t << 2);
    store<f32>(p, load<f32>(p) + horizontalSum(acc));
  }
}

/**
 * Weight and bias gradients of convDirect for output channels [channelStart, channelEnd): dw (O, C, kh, kw) and
 * db (O) (either 0: skipped) are overwritten with the sums over images and positions of g * x and of g, where
 * g = dy (N, O, outH, outW), zeroed where y (the fused ReLU's output, 0: none) is <= 0. scratch: paddedFloats +
 * outH * roundUp(outW, 4) floats for this chunk alone (the masked plane of g, zero past outW).
 * Taps go 9 or 10 at a time (that many accumulators; one masked g run and one input run per tap and 4 positions):
 * 3 tap rows when kw = 3, 2 when kw = 5 (runs at immediate offsets), else any 9 taps (offsets in locals).
 */
export function convDirectBackwardFilter(x: usize, dy: usize, y: usize, dw: usize, db: usize, geometry: usize,
  outChannels: i32, scratch: usize, channelStart: i32, channelEnd: i32): void {
  const batch = g(geometry, 0), channels = g(geometry, 1), kh = g(geometry, 4), kw = g(geometry, 5);
  const outH = g(geometry, 10), outW = g(geometry, 11);
  const taps = channels * kh * kw;
  const ph = roundUp(outH, 2) + kh - 1, pw = roundUp(outW, 4) + kw - 1;
  const outW4 = roundUp(outW, 4);
  const padded = scratch;
  const masked = scratch + (<usize>paddedFloats(channels, kh, kw, outH, outW) << 2);
  const maskedRow = <usize>outW4 << 2;
  const spatial = outH * outW;
  const zero = f32x4.splat(0);
  const fullW = outW & ~3;
  const tailMask = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(outW - fullW)); // lanes of the last partial run
  const bufferBytes = <usize>batch * <usize>outChannels * <usize>spatial << 2; // of dy and y
  if (dw) memory.fill(dw + (<usize>(channelStart * taps) << 2), 0, <usize>((channelEnd - channelStart) * taps) << 2);
  if (db) memory.fill(db + (<usize>channelStart << 2), 0, <usize>(channelEnd - channelStart) << 2);
  for (let n = 0; n < batch; n++) {
    if (dw) padImage(x, padded, geometry, n);
    for (let o = channelStart; o < channelEnd; o++) {
      // g of (n, o), masked, into rows of outW4 floats; its sum is the bias gradient's share.
      const plane = <usize>(n * outChannels + o) * <usize>spatial << 2;
      let sum = zero;
      for (let r = 0; r < outH; r++) {
        const src = dy + plane + (<usize>(r * outW) << 2);
        const out = y + plane + (<usize>(r * outW) << 2);
        const dst = masked + <usize>r * maskedRow;
        let xo = 0;
        for (; xo < fullW; xo += 4) {
          const at = <usize>xo << 2;
          let v = v128.load(src + at);
          if (y) v = v128.and(v, f32x4.gt(v128.load(out + at), zero));
          v128.store(dst + at, v);
          sum = f32x4.add(sum, v);
        }
        if (xo < outW) {
          // The last 1-3 columns: a vector masked to them, or one by one where a vector would run past the buffer.
          const at = <usize>xo << 2;
          if (<usize>plane + (<usize>(r * outW + xo + 4) << 2) <= bufferBytes) {
            let v = v128.and(v128.load(src + at), tailMask);
            if (y) v = v128.and(v, f32x4.gt(v128.load(out + at), zero));
            v128.store(dst + at, v);
          } else {
            for (let k = 0; k < 4; k++) {
              const lane = <usize>(xo + k) << 2;
              const value = xo + k >= outW || (y != 0 && !(load<f32>(out + lane) > 0)) ? <f32>0 : load<f32>(src + lane);
              store<f32>(dst + lane, value);
            }
          }
          const v = v128.load(dst + (<usize>xo << 2));
          sum = f32x4.add(sum, v);
        }
      }
      if (db) {
        const p = db + (<usize>o << 2);
        store<f32>(p, load<f32>(p) + horizontalSum(sum));
      }
      if (!dw) continue;
      const dwo = dw + (<usize>(o * taps) << 2);
      const tapRows = channels * kh;
      if (kw == 3) {
        for (let r0 = 0; r0 < tapRows; r0 += 3) filterRows3(masked, padded, dwo, r0, tapRows, kh, ph, pw, outH, outW4);
      } else if (kw == 5) {
        for (let r0 = 0; r0 < tapRows; r0 += 2) filterRows5(masked, padded, dwo, r0, tapRows, kh, ph, pw, outH, outW4);
      } else {
        for (let t0 = 0; t0 < taps; t0 += 9) filterTaps9(masked, padded, dwo, t0, taps, kh, kw, ph, pw, outH, outW4);
      }
    }
  }
}

/** Byte offset in the padded image of tap row r (flat over (c, i)), or 0 past the last one (a discarded block). */
@inline function tapRowOffset(r: i32, tapRows: i32, kh: i32, ph: i32, pw: i32): usize {
  return r >= tapRows ? 0 : <usize>(((r / kh) * ph + r % kh) * pw) << 2;
}

/** dw of tap rows [r0, r0 + 3) when kw = 3: 9 accumulators, each input run at an immediate offset. */
function filterRows3(masked: usize, padded: usize, dwo: usize, r0: i32, tapRows: i32, kh: i32, ph: i32, pw: i32,
  outH: i32, outW4: i32): void {
  const q0 = tapRowOffset(r0, tapRows, kh, ph, pw);
  const q1 = tapRowOffset(r0 + 1, tapRows, kh, ph, pw);
  const q2 = tapRowOffset(r0 + 2, tapRows, kh, ph, pw);
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero, a8 = zero;
  const maskedRow = <usize>outW4 << 2;
  const rowBytes = <usize>pw << 2;
  for (let r = 0; r < outH; r++) {
    let d = masked + <usize>r * maskedRow;
    const end = d + maskedRow;
    let p = padded + <usize>r * rowBytes;
    for (; d < end; d += 16) {
      const v = v128.load(d);
      const p0 = p + q0, p1 = p + q1, p2 = p + q2;
      a0 = madd(v, v128.load(p0), a0); a1 = madd(v, v128.load(p0, 4), a1); a2 = madd(v, v128.load(p0, 8), a2);
      a3 = madd(v, v128.load(p1), a3); a4 = madd(v, v128.load(p1, 4), a4); a5 = madd(v, v128.load(p1, 8), a5);
      a6 = madd(v, v128.load(p2), a6); a7 = madd(v, v128.load(p2, 4), a7); a8 = madd(v, v128.load(p2, 8), a8);
      p += 16;
    }
  }
  const taps = tapRows * 3, t0 = r0 * 3;
  addTap(dwo, t0, taps, a0); addTap(dwo, t0 + 1, taps, a1); addTap(dwo, t0 + 2, taps, a2);
  addTap(dwo, t0 + 3, taps, a3); addTap(dwo, t0 + 4, taps, a4); addTap(dwo, t0 + 5, taps, a5);
  addTap(dwo, t0 + 6, taps, a6); addTap(dwo, t0 + 7, taps, a7); addTap(dwo, t0 + 8, taps, a8);
}

/** dw of tap rows [r0, r0 + 2) when kw = 5: 10 accumulators, each input run at an immediate offset. */
function filterRows5(masked: usize, padded: usize, dwo: usize, r0: i32, tapRows: i32, kh: i32, ph: i32, pw: i32,
  outH: i32, outW4: i32): void {
  const q0 = tapRowOffset(r0, tapRows, kh, ph, pw);
  const q1 = tapRowOffset(r0 + 1, tapRows, kh, ph, pw);
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero, a8 = zero, a9 = zero;
  const maskedRow = <usize>outW4 << 2;
  const rowBytes = <usize>pw << 2;
  for (let r = 0; r < outH; r++) {
    let d = masked + <usize>r * maskedRow;
    const end = d + maskedRow;
    let p = padded + <usize>r * rowBytes;
    for (; d < end; d += 16) {
      const v = v128.load(d);
      const p0 = p + q0, p1 = p + q1;
      a0 = madd(v, v128.load(p0), a0); a1 = madd(v, v128.load(p0, 4), a1); a2 = madd(v, v128.load(p0, 8), a2);
      a3 = madd(v, v128.load(p0, 12), a3); a4 = madd(v, v128.load(p0, 16), a4);
      a5 = madd(v, v128.load(p1), a5); a6 = madd(v, v128.load(p1, 4), a6); a7 = madd(v, v128.load(p1, 8), a7);
      a8 = madd(v, v128.load(p1, 12), a8); a9 = madd(v, v128.load(p1, 16), a9);
      p += 16;
    }
  }
  const taps = tapRows * 5, t0 = r0 * 5;
  addTap(dwo, t0, taps, a0); addTap(dwo, t0 + 1, taps, a1); addTap(dwo, t0 + 2, taps, a2);
  addTap(dwo, t0 + 3, taps, a3); addTap(dwo, t0 + 4, taps, a4); addTap(dwo, t0 + 5, taps, a5);
  addTap(dwo, t0 + 6, taps, a6); addTap(dwo, t0 + 7, taps, a7); addTap(dwo, t0 + 8, taps, a8);
  addTap(dwo, t0 + 9, taps, a9);
}

/** dw of taps [t0, t0 + 9) for any kw: 9 accumulators, input runs at offsets held in locals. */
function filterTaps9(masked: usize, padded: usize, dwo: usize, t0: i32, taps: i32, kh: i32, kw: i32, ph: i32, pw: i32,
  outH: i32, outW4: i32): void {
  const f0 = tapOffset(t0, taps, kh, kw, ph, pw), f1 = tapOffset(t0 + 1, taps, kh, kw, ph, pw);
  const f2 = tapOffset(t0 + 2, taps, kh, kw, ph, pw), f3 = tapOffset(t0 + 3, taps, kh, kw, ph, pw);
  const f4 = tapOffset(t0 + 4, taps, kh, kw, ph, pw), f5 = tapOffset(t0 + 5, taps, kh, kw, ph, pw);
  const f6 = tapOffset(t0 + 6, taps, kh, kw, ph, pw), f7 = tapOffset(t0 + 7, taps, kh, kw, ph, pw);
  const f8 = tapOffset(t0 + 8, taps, kh, kw, ph, pw);
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero, a8 = zero;
  const maskedRow = <usize>outW4 << 2;
  const rowBytes = <usize>pw << 2;
  for (let r = 0; r < outH; r++) {
    let d = masked + <usize>r * maskedRow;
    const end = d + maskedRow;
    let p = padded + <usize>r * rowBytes;
    for (; d < end; d += 16) {
      const v = v128.load(d);
      a0 = madd(v, v128.load(p + f0), a0);
      a1 = madd(v, v128.load(p + f1), a1);
      a2 = madd(v, v128.load(p + f2), a2);
      a3 = madd(v, v128.load(p + f3), a3);
      a4 = madd(v, v128.load(p + f4), a4);
      a5 = madd(v, v128.load(p + f5), a5);
      a6 = madd(v, v128.load(p + f6), a6);
      a7 = madd(v, v128.load(p + f7), a7);
      a8 = madd(v, v128.load(p + f8), a8);
      p += 16;
    }
  }
  addTap(dwo, t0, taps, a0); addTap(dwo, t0 + 1, taps, a1); addTap(dwo, t0 + 2, taps, a2);
  addTap(dwo, t0 + 3, taps, a3); addTap(dwo, t0 + 4, taps, a4); addTap(dwo, t0 + 5, taps, a5);
  addTap(dwo, t0 + 6, taps, a6); addTap(dwo, t0 + 7, taps, a7); addTap(dwo, t0 + 8, taps, a8);
}
