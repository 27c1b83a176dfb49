// The convolution's output epilogue: the GEMM's (batch * spatial, channels) rows become NCHW with the bias added and
// an optional ReLU in one pass, and its backward (ReLU mask, then back to rows); 4 x 4 register transposes of
// (spatial, channel) tiles, split over whole images.

import { storeTransposed4 } from './simd';

/** out[n, c, s] = act(flat[(n * spatial + s) * channels + c] + bias[c]) for images [imageStart, imageEnd); bias 0 = none. */
export function convEpilogue(flat: usize, bias: usize, out: usize, spatial: i32, channels: i32, relu: i32,
  imageStart: i32, imageEnd: i32): void {
  const zero = f32x4.splat(0);
  const rowBytes = <usize>channels << 2; // one spatial position of flat
  const planeBytes = <usize>spatial << 2; // one channel of out
  const fullChannels = channels & ~3;
  const fullSpatial = spatial & ~3;
  for (let n = imageStart; n < imageEnd; n++) {
    const src = flat + <usize>n * <usize>spatial * rowBytes;
    const dst = out + <usize>n * <usize>channels * planeBytes;
    for (let c = 0; c < fullChannels; c += 4) {
      const b = bias ? v128.load(bias + (<usize>c << 2)) : zero; // lanes = channels c..c+3, as in each flat row
      const d = dst + <usize>c * planeBytes;
      for (let s = 0; s < fullSpatial; s += 4) {
        const p = src + <usize>s * rowBytes + (<usize>c << 2);
        let r0 = f32x4.add(v128.load(p), b);
        let r1 = f32x4.add(v128.load(p + rowBytes), b);
        let r2 = f32x4.add(v128.load(p + rowBytes * 2), b);
        let r3 = f32x4.add(v128.load(p + rowBytes * 3), b);
        if (relu) {
          r0 = f32x4.max(r0, zero); r1 = f32x4.max(r1, zero); r2 = f32x4.max(r2, zero); r3 = f32x4.max(r3, zero);
        }
        storeTransposed4(d + (<usize>s << 2), planeBytes, r0, r1, r2, r3);
      }
      for (let s = fullSpatial; s < spatial; s++) {
        for (let i = 0; i < 4; i++) {
          let v = load<f32>(src + <usize>s * rowBytes + (<usize>(c + i) << 2)) + (bias ? load<f32>(bias + (<usize>(c + i) << 2)) : 0);
          if (relu) v = max(v, 0);
          store<f32>(d + <usize>i * planeBytes + (<usize>s << 2), v);
        }
      }
    }
    for (let c = fullChannels; c < channels; c++) {
      const b: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
      const d = dst + <usize>c * planeBytes;
      for (let s = 0; s < spatial; s++) {
        let v = load<f32>(src + <usize>s * rowBytes + (<usize>c << 2)) + b;
        if (relu) v = max(v, 0);
        store<f32>(d + (<usize>s << 2), v);
      }
    }
  }
}

/**
 * dflat[(n * spatial + s) * channels + c] = dy[n, c, s], times (y[n, c, s] > 0) when y != 0 (the fused ReLU's output).
 * When partial != 0 it also gets each image's bias gradient, partial[n * channels + c] = sum over s of that value,
 * summed in a fixed order per image so the result does not depend on how images are split over threads.
 */
export function convEpilogueBackward(dy: usize, y: usize, dflat: usize, partial: usize, spatial: i32, channels: i32,
  imageStart: i32, imageEnd: i32): void {
  const zero = f32x4.splat(0);
  const rowBytes = <usize>channels << 2;
  const planeBytes = <usize>spatial << 2;
  const fullChannels = channels & ~3;
  const fullSpatial = spatial & ~3;
  for (let n = imageStart; n < imageEnd; n++) {
    const image = <usize>n * <usize>channels * planeBytes;
    const dst = dflat + <usize>n * <usize>spatial * rowBytes;
    const sums = partial + (<usize>n * <usize>channels << 2);
    for (let c = 0; c < fullChannels; c += 4) {
      const g = dy + image + <usize>c * planeBytes;
      const o = y + image + <usize>c * planeBytes;
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      for (let s = 0; s < fullSpatial; s += 4) {
        const at = <usize>s << 2;
        let r0 = v128.load(g + at);
        let r1 = v128.load(g + planeBytes + at);
        let r2 = v128.load(g + planeBytes * 2 + at);
        let r3 = v128.load(g + planeBytes * 3 + at);
        if (y) {
          r0 = v128.and(r0, f32x4.gt(v128.load(o + at), zero));
          r1 = v128.and(r1, f32x4.gt(v128.load(o + planeBytes + at), zero));
          r2 = v128.and(r2, f32x4.gt(v128.load(o + planeBytes * 2 + at), zero));
          r3 = v128.and(r3, f32x4.gt(v128.load(o + planeBytes * 3 + at), zero));
        }
        storeTransposed4(dst + <usize>s * rowBytes + (<usize>c << 2), rowBytes, r0, r1, r2, r3);
        s0 = f32x4.add(s0, r0); s1 = f32x4.add(s1, r1); s2 = f32x4.add(s2, r2); s3 = f32x4.add(s3, r3);
      }
      let t0 = horizontalSum(s0), t1 = horizontalSum(s1), t2 = horizontalSum(s2), t3 = horizontalSum(s3);
      for (let s = fullSpatial; s < spatial; s++) {
        for (let i = 0; i < 4; i++) {
          const at = <usize>i * planeBytes + (<usize>s << 2);
          const v = y && !(load<f32>(o + at) > 0) ? <f32>0 : load<f32>(g + at);
          store<f32>(dst + <usize>s * rowBytes + (<usize>(c + i) << 2), v);
          if (i == 0) t0 += v; else if (i == 1) t1 += v; else if (i == 2) t2 += v; else t3 += v;
        }
      }
      if (partial) v128.store(sums + (<usize>c << 2), f32x4(t0, t1, t2, t3));
    }
    for (let c = fullChannels; c < channels; c++) {
      const g = dy + image + <usize>c * planeBytes;
      const o = y + image + <usize>c * planeBytes;
      let total: f32 = 0;
      for (let s = 0; s < spatial; s++) {
        const at = <usize>s << 2;
        const v = y && !(load<f32>(o + at) > 0) ? <f32>0 : load<f32>(g + at);
        store<f32>(dst + <usize>s * rowBytes + (<usize>c << 2), v);
        total += v;
      }
      if (partial) store<f32>(sums + (<usize>c << 2), total);
    }
  }
}

@inline function horizontalSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
