// Winograd F(2x2, 3x3) convolution for inference (Lavin & Gray, 2015): each 2x2 output tile costs 16 multiplies
// per (input, output) channel pair instead of 36. Weights -> U (16, O, C) once; input tiles -> V (16, C, T); the
// caller multiplies M[k] = V[k]^T U[k]^T for the 16 k (one batched GEMM); M (16, T, O) -> 2x2 output tiles with bias
// and an optional ReLU, 4 output channels per vector. T = batch * tilesH * tilesW, tiles in row-major order per
// image; `tiles` is the padded tile dimension T' >= T of V and M (src/backend/winograd-layout.ts), the tiles past T
// are V's zeros. Geometry block as in geometry.ts.

import { g } from './geometry';

/** U[k, o, c] = (G f G^T)[k] for the 3x3 filters f = w[o, c] of pairs p = o * inC + c in [start, end). */
export function winogradWeights(w: usize, u: usize, pairs: i32, start: i32, end: i32): void {
  const stride = <usize>pairs << 2; // between the 16 matrices of U
  for (let p = start; p < end; p++) {
    const f = w + <usize>(p * 9) * 4;
    const f00 = load<f32>(f), f01 = load<f32>(f, 4), f02 = load<f32>(f, 8);
    const f10 = load<f32>(f, 12), f11 = load<f32>(f, 16), f12 = load<f32>(f, 20);
    const f20 = load<f32>(f, 24), f21 = load<f32>(f, 28), f22 = load<f32>(f, 32);
    // G f: rows [f0, (f0 + f1 + f2) / 2, (f0 - f1 + f2) / 2, f2] of the filter's rows f0, f1, f2.
    const r00 = f00, r01 = f01, r02 = f02;
    const r10 = (f00 + f10 + f20) * 0.5, r11 = (f01 + f11 + f21) * 0.5, r12 = (f02 + f12 + f22) * 0.5;
    const r20 = (f00 - f10 + f20) * 0.5, r21 = (f01 - f11 + f21) * 0.5, r22 = (f02 - f12 + f22) * 0.5;
    const r30 = f20, r31 = f21, r32 = f22;
    // (G f) G^T: the same on each row's columns, written to k = row * 4 + column.
    let q = u + (<usize>p << 2);
    q = putWeights(q, stride, r00, r01, r02);
    q = putWeights(q, stride, r10, r11, r12);
    q = putWeights(q, stride, r20, r21, r22);
    putWeights(q, stride, r30, r31, r32);
  }
}

/** Stores [a, (a + b + c) / 2, (a - b + c) / 2, c] `stride` bytes apart; returns the address after the fourth. */
@inline function putWeights(q: usize, stride: usize, a: f32, b: f32, c: f32): usize {
  store<f32>(q, a);
  store<f32>(q + stride, (a + b + c) * 0.5);
  store<f32>(q + stride * 2, (a - b + c) * 0.5);
  store<f32>(q + stride * 3, c);
  return q + stride * 4;
}

/** V[k, c, t] = (B^T d B)[k] for the 4x4 input tiles d of planes (n * C + c) in [start, end); zeros outside x. */
export function winogradInput(x: usize, v: usize, geometry: usize, tilesH: i32, tilesW: i32, tiles: i32, start: i32, end: i32): void {
  const channels = g(geometry, 1), height = g(geometry, 2), width = g(geometry, 3);
  const ph = g(geometry, 8), pw = g(geometry, 9);
  const tilesPerImage = tilesH * tilesW;
  const kStride = <usize>(channels * tiles) << 2;
  for (let plane = start; plane < end; plane++) {
    const n = plane / channels;
    const c = plane - n * channels;
    const src = x + (<usize>plane * <usize>(height * width) << 2);
    let dst = v + (<usize>(c * tiles + n * tilesPerImage) << 2);
    for (let th = 0; th < tilesH; th++) {
      const y0 = 2 * th - ph;
      let tw = 0;
      if (y0 >= 0 && y0 + 4 <= height) {
        // Four tiles at a time (one per lane) whose windows, 10 columns together, lie inside the plane.
        const row = <usize>width << 2;
        for (; tw + 4 <= tilesW && 2 * tw - pw >= 0 && 2 * tw - pw + 10 <= width; tw += 4) {
          const r0 = src + (<usize>(y0 * width + 2 * tw - pw) << 2);
          let q = dst;
          q = inputRowsVector(q, kStride, r0, r0 + row * 2, false); // B^T row 0: d0 - d2
          q = inputRowsVector(q, kStride, r0 + row, r0 + row * 2, true); // row 1: d1 + d2
          q = inputRowsVector(q, kStride, r0 + row * 2, r0 + row, false); // row 2: d2 - d1
          inputRowsVector(q, kStride, r0 + row, r0 + row * 3, false); // row 3: d1 - d3
          dst += 16;
        }
      }
      for (; tw < tilesW; tw++) {
        const x0 = 2 * tw - pw;
        let d00: f32, d01: f32, d02: f32, d03: f32, d10: f32, d11: f32, d12: f32, d13: f32;
        let d20: f32, d21: f32, d22: f32, d23: f32, d30: f32, d31: f32, d32: f32, d33: f32;
        if (y0 >= 0 && x0 >= 0 && y0 + 4 <= height && x0 + 4 <= width) {
          const r0 = src + (<usize>(y0 * width + x0) << 2);
          const row = <usize>width << 2;
          const r1 = r0 + row, r2 = r1 + row, r3 = r2 + row;
          d00 = load<f32>(r0); d01 = load<f32>(r0, 4); d02 = load<f32>(r0, 8); d03 = load<f32>(r0, 12);
          d10 = load<f32>(r1); d11 = load<f32>(r1, 4); d12 = load<f32>(r1, 8); d13 = load<f32>(r1, 12);
          d20 = load<f32>(r2); d21 = load<f32>(r2, 4); d22 = load<f32>(r2, 8); d23 = load<f32>(r2, 12);
          d30 = load<f32>(r3); d31 = load<f32>(r3, 4); d32 = load<f32>(r3, 8); d33 = load<f32>(r3, 12);
        } else {
          d00 = px(src, height, width, y0, x0); d01 = px(src, height, width, y0, x0 + 1); d02 = px(src, height, width, y0, x0 + 2); d03 = px(src, height, width, y0, x0 + 3);
          d10 = px(src, height, width, y0 + 1, x0); d11 = px(src, height, width, y0 + 1, x0 + 1); d12 = px(src, height, width, y0 + 1, x0 + 2); d13 = px(src, height, width, y0 + 1, x0 + 3);
          d20 = px(src, height, width, y0 + 2, x0); d21 = px(src, height, width, y0 + 2, x0 + 1); d22 = px(src, height, width, y0 + 2, x0 + 2); d23 = px(src, height, width, y0 + 2, x0 + 3);
          d30 = px(src, height, width, y0 + 3, x0); d31 = px(src, height, width, y0 + 3, x0 + 1); d32 = px(src, height, width, y0 + 3, x0 + 2); d33 = px(src, height, width, y0 + 3, x0 + 3);
        }
        // B^T d: rows [d0 - d2, d1 + d2, d2 - d1, d1 - d3].
        const a00 = d00 - d20, a01 = d01 - d21, a02 = d02 - d22, a03 = d03 - d23;
        const a10 = d10 + d20, a11 = d11 + d21, a12 = d12 + d22, a13 = d13 + d23;
        const a20 = d20 - d10, a21 = d21 - d11, a22 = d22 - d12, a23 = d23 - d13;
        const a30 = d10 - d30, a31 = d11 - d31, a32 = d12 - d32, a33 = d13 - d33;
        // (B^T d) B: the same on each row's columns.
        let q = dst;
        q = put4(q, kStride, a00 - a02, a01 + a02, a02 - a01, a01 - a03);
        q = put4(q, kStride, a10 - a12, a11 + a12, a12 - a11, a11 - a13);
        q = put4(q, kStride, a20 - a22, a21 + a22, a22 - a21, a21 - a23);
        put4(q, kStride, a30 - a32, a31 + a32, a32 - a31, a31 - a33);
        dst += 4;
      }
    }
  }
}

/**
 * One row of B^T d B for four tiles (lane i: the window 2i columns after the rows' start): the row p +- q of two input
 * rows, then its columns [e0 - e2, e1 + e2, e2 - e1, e1 - e3]; stores the 4 k kStride bytes apart, returns the next k.
 */
@inline function inputRowsVector(dst: usize, kStride: usize, p: usize, q: usize, add: bool): usize {
  const pa = v128.load(p), pb = v128.load(p, 16), pc = v128.load(p, 8), pd = v128.load(p, 24);
  const qa = v128.load(q), qb = v128.load(q, 16), qc = v128.load(q, 8), qd = v128.load(q, 24);
  const a = add ? f32x4.add(pa, qa) : f32x4.sub(pa, qa), b = add ? f32x4.add(pb, qb) : f32x4.sub(pb, qb);
  const c = add ? f32x4.add(pc, qc) : f32x4.sub(pc, qc), d = add ? f32x4.add(pd, qd) : f32x4.sub(pd, qd);
  const e0 = v128.shuffle<f32>(a, b, 0, 2, 4, 6), e1 = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
  const e2 = v128.shuffle<f32>(c, d, 0, 2, 4, 6), e3 = v128.shuffle<f32>(c, d, 1, 3, 5, 7);
  v128.store(dst, f32x4.sub(e0, e2));
  v128.store(dst + kStride, f32x4.add(e1, e2));
  v128.store(dst + kStride * 2, f32x4.sub(e2, e1));
  v128.store(dst + kStride * 3, f32x4.sub(e1, e3));
  return dst + kStride * 4;
}

@inline function px(src: usize, height: i32, width: i32, y: i32, x: i32): f32 {
  return y >= 0 && y < height && x >= 0 && x < width ? load<f32>(src + (<usize>(y * width + x) << 2)) : 0;
}

/** Stores 4 values kStride bytes apart (4 consecutive k); returns the address of the next k. */
@inline function put4(q: usize, kStride: usize, a: f32, b: f32, c: f32, d: f32): usize {
  store<f32>(q, a);
  store<f32>(q + kStride, b);
  store<f32>(q + kStride * 2, c);
  store<f32>(q + kStride * 3, d);
  return q + kStride * 4;
}

/**
 * out 2x2 tiles = A^T M A (+ bias[o], then ReLU when relu != 0) from M (16, T, O), for tiles [start, end); the last tile
 * row / column is cut at outH / outW. Four output channels per vector; bias 0 = none.
 */
export function winogradOutput(m: usize, bias: usize, out: usize, outChannels: i32, tiles: i32, tilesH: i32, tilesW: i32,
  outH: i32, outW: i32, relu: i32, start: i32, end: i32): void {
  const tilesPerImage = tilesH * tilesW;
  const kStride = <usize>(outChannels * tiles) << 2;
  const planeBytes = <usize>(outH * outW) << 2;
  const zero = f32x4.splat(0);
  const vectorChannels = outChannels & ~3;
  for (let t = start; t < end; t++) {
    const n = t / tilesPerImage;
    const within = t - n * tilesPerImage;
    const th = within / tilesW;
    const tw = within - th * tilesW;
    const oy = 2 * th, ox = 2 * tw;
    const right = ox + 1 < outW;
    const below = oy + 1 < outH;
    const image = out + <usize>(n * outChannels) * planeBytes + (<usize>(oy * outW + ox) << 2);
    const rowBytes = <usize>outW << 2;
    let src = m + (<usize>(t * outChannels) << 2);
    let o = 0;
    for (; o < vectorChannels; o += 4) {
      const m00 = v128.load(src), m01 = v128.load(src + kStride), m02 = v128.load(src + kStride * 2), m03 = v128.load(src + kStride * 3);
      const m10 = v128.load(src + kStride * 4), m11 = v128.load(src + kStride * 5), m12 = v128.load(src + kStride * 6), m13 = v128.load(src + kStride * 7);
      const m20 = v128.load(src + kStride * 8), m21 = v128.load(src + kStride * 9), m22 = v128.load(src + kStride * 10), m23 = v128.load(src + kStride * 11);
      const m30 = v128.load(src + kStride * 12), m31 = v128.load(src + kStride * 13), m32 = v128.load(src + kStride * 14), m33 = v128.load(src + kStride * 15);
      // A^T M: rows [m0 + m1 + m2, m1 - m2 - m3]; then the same on columns.
      const s0 = f32x4.add(f32x4.add(m00, m10), m20), s1 = f32x4.add(f32x4.add(m01, m11), m21);
      const s2 = f32x4.add(f32x4.add(m02, m12), m22), s3 = f32x4.add(f32x4.add(m03, m13), m23);
      const t0 = f32x4.sub(f32x4.sub(m10, m20), m30), t1 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const t2 = f32x4.sub(f32x4.sub(m12, m22), m32), t3 = f32x4.sub(f32x4.sub(m13, m23), m33);
      const b = bias ? v128.load(bias + (<usize>o << 2)) : zero;
      let y00 = f32x4.add(f32x4.add(f32x4.add(s0, s1), s2), b);
      let y01 = f32x4.add(f32x4.sub(f32x4.sub(s1, s2), s3), b);
      let y10 = f32x4.add(f32x4.add(f32x4.add(t0, t1), t2), b);
      let y11 = f32x4.add(f32x4.sub(f32x4.sub(t1, t2), t3), b);
      if (relu) { y00 = f32x4.max(y00, zero); y01 = f32x4.max(y01, zero); y10 = f32x4.max(y10, zero); y11 = f32x4.max(y11, zero); }
      const p = image + <usize>o * planeBytes;
      storeTile(p, rowBytes, f32x4.extract_lane(y00, 0), f32x4.extract_lane(y01, 0), f32x4.extract_lane(y10, 0), f32x4.extract_lane(y11, 0), right, below);
      storeTile(p + planeBytes, rowBytes, f32x4.extract_lane(y00, 1), f32x4.extract_lane(y01, 1), f32x4.extract_lane(y10, 1), f32x4.extract_lane(y11, 1), right, below);
      storeTile(p + planeBytes * 2, rowBytes, f32x4.extract_lane(y00, 2), f32x4.extract_lane(y01, 2), f32x4.extract_lane(y10, 2), f32x4.extract_lane(y11, 2), right, below);
      storeTile(p + planeBytes * 3, rowBytes, f32x4.extract_lane(y00, 3), f32x4.extract_lane(y01, 3), f32x4.extract_lane(y10, 3), f32x4.extract_lane(y11, 3), right, below);
      src += 16;
    }
    for (; o < outChannels; o++) {
      const m00 = load<f32>(src), m01 = load<f32>(src + kStride), m02 = load<f32>(src + kStride * 2), m03 = load<f32>(src + kStride * 3);
      const m10 = load<f32>(src + kStride * 4), m11 = load<f32>(src + kStride * 5), m12 = load<f32>(src + kStride * 6), m13 = load<f32>(src + kStride * 7);
      const m20 = load<f32>(src + kStride * 8), m21 = load<f32>(src + kStride * 9), m22 = load<f32>(src + kStride * 10), m23 = load<f32>(src + kStride * 11);
      const m30 = load<f32>(src + kStride * 12), m31 = load<f32>(src + kStride * 13), m32 = load<f32>(src + kStride * 14), m33 = load<f32>(src + kStride * 15);
      const s0 = m00 + m10 + m20, s1 = m01 + m11 + m21, s2 = m02 + m12 + m22, s3 = m03 + m13 + m23;
      const t0 = m10 - m20 - m30, t1 = m11 - m21 - m31, t2 = m12 - m22 - m32, t3 = m13 - m23 - m33;
      const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
      let y00 = s0 + s1 + s2 + b, y01 = s1 - s2 - s3 + b;
      let y10 = t0 + t1 + t2 + b, y11 = t1 - t2 - t3 + b;
      if (relu) { y00 = max(y00, 0); y01 = max(y01, 0); y10 = max(y10, 0); y11 = max(y11, 0); }
      storeTile(image + <usize>o * planeBytes, rowBytes, y00, y01, y10, y11, right, below);
      src += 4;
    }
  }
}

/** Writes a 2x2 output tile at p, cut at the right edge and the bottom. */
@inline function storeTile(p: usize, rowBytes: usize, y00: f32, y01: f32, y10: f32, y11: f32, right: bool, below: bool): void {
  store<f32>(p, y00);
  if (right) store<f32>(p, y01, 4);
  if (below) {
    store<f32>(p + rowBytes, y10);
    if (right) store<f32>(p + rowBytes, y11, 4);
  }
}
