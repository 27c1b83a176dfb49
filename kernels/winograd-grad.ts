// Backward of the Winograd F(2x2, 3x3) convolution (winograd.ts) for training: the exact adjoints of its three
// transforms. dy 2x2 tiles -> dM (16, O, T') = A dy A^T; the caller's GEMMs give dU[k] = dM[k] V[k]^T and
// dV[k] = U[k]^T dM[k]; dU (16, O, C) -> dw = G^T dU G; dV (16, C, T') -> dx by scatter-adding B dV B^T.
// `tiles` is the padded tile dimension T' (src/backend/winograd-layout.ts); the caller zeroes dM's tiles past T.

import { g } from './geometry';

/**
 * dM[k, o, t] = (A dy A^T)[k] for the 2x2 tiles of dy planes (n * O + o) in [start, end), dy zero where y <= 0 when y
 * (the fused ReLU's output) is given and beyond outH / outW; sums[n * O + o] = the plane's (masked) sum when sums != 0.
 */
export function winogradGradOutput(dy: usize, y: usize, dm: usize, sums: usize, outChannels: i32, tiles: i32,
  tilesH: i32, tilesW: i32, outH: i32, outW: i32, start: i32, end: i32): void {
  const tilesPerImage = tilesH * tilesW;
  const kStride = <usize>(outChannels * tiles) << 2;
  const rowBytes = <usize>outW << 2;
  for (let plane = start; plane < end; plane++) {
    const n = plane / outChannels;
    const o = plane - n * outChannels;
    const offset = <usize>plane * <usize>(outH * outW) << 2;
    const src = dy + offset;
    const mask = y ? y + offset : 0;
    let dst = dm + (<usize>(o * tiles + n * tilesPerImage) << 2);
    let total: f32 = 0;
    let totals = f32x4.splat(0);
    for (let th = 0; th < tilesH; th++) {
      const oy = 2 * th;
      const below = oy + 1 < outH;
      let tw = 0;
      if (below) {
        // Four whole tiles at a time, one tile per lane: rows of 8 outputs split into even and odd columns.
        for (; 2 * tw + 8 <= outW; tw += 4) {
          const p = (<usize>(oy * outW + 2 * tw) << 2);
          const a0 = gradVector(src, mask, p), b0 = gradVector(src, mask, p + 16);
          const a1 = gradVector(src, mask, p + rowBytes), b1 = gradVector(src, mask, p + rowBytes + 16);
          const y00 = v128.shuffle<f32>(a0, b0, 0, 2, 4, 6), y01 = v128.shuffle<f32>(a0, b0, 1, 3, 5, 7);
          const y10 = v128.shuffle<f32>(a1, b1, 0, 2, 4, 6), y11 = v128.shuffle<f32>(a1, b1, 1, 3, 5, 7);
          totals = f32x4.add(totals, f32x4.add(f32x4.add(y00, y01), f32x4.add(y10, y11)));
          let q = dst;
          q = putGradVector(q, kStride, y00, y01);
          q = putGradVector(q, kStride, f32x4.add(y00, y10), f32x4.add(y01, y11));
          q = putGradVector(q, kStride, f32x4.sub(y00, y10), f32x4.sub(y01, y11));
          putGradVector(q, kStride, f32x4.neg(y10), f32x4.neg(y11));
          dst += 16;
        }
      }
      for (; tw < tilesW; tw++) {
        const ox = 2 * tw;
        const right = ox + 1 < outW;
        const p = (<usize>(oy * outW + ox) << 2);
        const y00 = gradAt(src, mask, p);
        const y01 = right ? gradAt(src, mask, p + 4) : <f32>0;
        const y10 = below ? gradAt(src, mask, p + rowBytes) : <f32>0;
        const y11 = right && below ? gradAt(src, mask, p + rowBytes + 4) : <f32>0;
        total += y00 + y01 + y10 + y11;
        // A dy: rows [y0, y0 + y1, y0 - y1, -y1] of dy's rows y0, y1; then the same on columns.
        const r00 = y00, r01 = y01;
        const r10 = y00 + y10, r11 = y01 + y11;
        const r20 = y00 - y10, r21 = y01 - y11;
        const r30 = -y10, r31 = -y11;
        let q = dst;
        q = putGrad(q, kStride, r00, r01);
        q = putGrad(q, kStride, r10, r11);
        q = putGrad(q, kStride, r20, r21);
        putGrad(q, kStride, r30, r31);
        dst += 4;
      }
    }
    total += f32x4.extract_lane(totals, 0) + f32x4.extract_lane(totals, 1) + f32x4.extract_lane(totals, 2) + f32x4.extract_lane(totals, 3);
    if (sums) store<f32>(sums + (<usize>plane << 2), total);
  }
}

@inline function gradAt(src: usize, mask: usize, p: usize): f32 {
  const d = load<f32>(src + p);
  return mask && !(load<f32>(mask + p) > 0) ? <f32>0 : d;
}

/** Four dy values at src + p, zero where the mask (when given) is not > 0. */
@inline function gradVector(src: usize, mask: usize, p: usize): v128 {
  const d = v128.load(src + p);
  return mask ? v128.and(d, f32x4.gt(v128.load(mask + p), f32x4.splat(0))) : d;
}

/** putGrad on four tiles at once (one per lane). */
@inline function putGradVector(q: usize, kStride: usize, a: v128, b: v128): usize {
  v128.store(q, a);
  v128.store(q + kStride, f32x4.add(a, b));
  v128.store(q + kStride * 2, f32x4.sub(a, b));
  v128.store(q + kStride * 3, f32x4.neg(b));
  return q + kStride * 4;
}

/** Stores [a, a + b, a - b, -b] kStride bytes apart; returns the address after the fourth. */
@inline function putGrad(q: usize, kStride: usize, a: f32, b: f32): usize {
  store<f32>(q, a);
  store<f32>(q + kStride, a + b);
  store<f32>(q + kStride * 2, a - b);
  store<f32>(q + kStride * 3, -b);
  return q + kStride * 4;
}

/** dw[p] (3x3) = G^T dU[., p] G for pairs p = o * inC + c in [start, end); dU is (16, pairs). */
export function winogradWeightsBackward(du: usize, dw: usize, pairs: i32, start: i32, end: i32): void {
  const stride = <usize>pairs << 2;
  for (let p = start; p < end; p++) {
    const s = du + (<usize>p << 2);
    // G^T X on each column j of the 4x4 X: [x0 + (x1 + x2) / 2, (x1 - x2) / 2, (x1 + x2) / 2 + x3].
    const x0 = stride * 0, x1 = stride * 4, x2 = stride * 8, x3 = stride * 12;
    let r00: f32 = 0, r01: f32 = 0, r02: f32 = 0, r03: f32 = 0, r10: f32 = 0, r11: f32 = 0, r12: f32 = 0, r13: f32 = 0;
    let r20: f32 = 0, r21: f32 = 0, r22: f32 = 0, r23: f32 = 0;
    for (let j = 0; j < 4; j++) {
      const col = s + stride * <usize>j;
      const a = load<f32>(col + x0), b = load<f32>(col + x1), c = load<f32>(col + x2), d = load<f32>(col + x3);
      const sum = (b + c) * 0.5;
      const top = a + sum, middle = (b - c) * 0.5, bottom = sum + d;
      if (j == 0) { r00 = top; r10 = middle; r20 = bottom; }
      else if (j == 1) { r01 = top; r11 = middle; r21 = bottom; }
      else if (j == 2) { r02 = top; r12 = middle; r22 = bottom; }
      else { r03 = top; r13 = middle; r23 = bottom; }
    }
    // (G^T X) G on each row: the same combination of its four columns.
    const f = dw + <usize>(p * 9) * 4;
    putFilterRow(f, r00, r01, r02, r03);
    putFilterRow(f + 12, r10, r11, r12, r13);
    putFilterRow(f + 24, r20, r21, r22, r23);
  }
}

@inline function putFilterRow(f: usize, a: f32, b: f32, c: f32, d: f32): void {
  const sum = (b + c) * 0.5;
  store<f32>(f, a + sum);
  store<f32>(f, (b - c) * 0.5, 4);
  store<f32>(f, sum + d, 8);
}

/**
 * dx planes (n * C + c) in [start, end) = the sum over tiles of B dV[., c, t] B^T, each 4x4 block added at the tile's
 * input window (rows 2 * th - padH ...); positions in the padding are dropped. Overwrites dx.
 */
export function winogradInputBackward(dv: usize, dx: usize, geometry: usize, tilesH: i32, tilesW: i32, tiles: i32, start: i32, end: i32): void {
  const channels = g(geometry, 1), height = g(geometry, 2), width = g(geometry, 3);
  const ph = g(geometry, 8), pw = g(geometry, 9);
  const tilesPerImage = tilesH * tilesW;
  const kStride = <usize>(channels * tiles) << 2;
  const planeBytes = <usize>(height * width) << 2;
  const rowBytes = <usize>width << 2;
  for (let plane = start; plane < end; plane++) {
    const n = plane / channels;
    const c = plane - n * channels;
    const out = dx + <usize>plane * planeBytes;
    memory.fill(out, 0, planeBytes);
    let src = dv + (<usize>(c * tiles + n * tilesPerImage) << 2);
    for (let th = 0; th < tilesH; th++) {
      const y0 = 2 * th - ph;
      let tw = 0;
      if (y0 >= 0 && y0 + 4 <= height) {
        // Four tiles at a time (one per lane) whose windows, 10 columns together, lie inside the plane.
        for (; tw + 4 <= tilesW && 2 * tw - pw >= 0 && 2 * tw - pw + 10 <= width; tw += 4) {
          const r0 = out + (<usize>(y0 * width + 2 * tw - pw) << 2);
          const v00 = v128.load(src), v01 = v128.load(src + kStride), v02 = v128.load(src + kStride * 2), v03 = v128.load(src + kStride * 3);
          const v10 = v128.load(src + kStride * 4), v11 = v128.load(src + kStride * 5), v12 = v128.load(src + kStride * 6), v13 = v128.load(src + kStride * 7);
          const v20 = v128.load(src + kStride * 8), v21 = v128.load(src + kStride * 9), v22 = v128.load(src + kStride * 10), v23 = v128.load(src + kStride * 11);
          const v30 = v128.load(src + kStride * 12), v31 = v128.load(src + kStride * 13), v32 = v128.load(src + kStride * 14), v33 = v128.load(src + kStride * 15);
          addRowVector(r0, v00, v01, v02, v03);
          addRowVector(r0 + rowBytes, adjointMiddle(v10, v20, v30), adjointMiddle(v11, v21, v31), adjointMiddle(v12, v22, v32), adjointMiddle(v13, v23, v33));
          addRowVector(r0 + rowBytes * 2, adjointThird(v00, v10, v20), adjointThird(v01, v11, v21), adjointThird(v02, v12, v22), adjointThird(v03, v13, v23));
          addRowVector(r0 + rowBytes * 3, f32x4.neg(v30), f32x4.neg(v31), f32x4.neg(v32), f32x4.neg(v33));
          src += 16;
        }
      }
      for (; tw < tilesW; tw++) {
        const x0 = 2 * tw - pw;
        const v00 = load<f32>(src), v01 = load<f32>(src + kStride), v02 = load<f32>(src + kStride * 2), v03 = load<f32>(src + kStride * 3);
        const v10 = load<f32>(src + kStride * 4), v11 = load<f32>(src + kStride * 5), v12 = load<f32>(src + kStride * 6), v13 = load<f32>(src + kStride * 7);
        const v20 = load<f32>(src + kStride * 8), v21 = load<f32>(src + kStride * 9), v22 = load<f32>(src + kStride * 10), v23 = load<f32>(src + kStride * 11);
        const v30 = load<f32>(src + kStride * 12), v31 = load<f32>(src + kStride * 13), v32 = load<f32>(src + kStride * 14), v33 = load<f32>(src + kStride * 15);
        // B X, the adjoint of B^T d's rows: [x0, x1 - x2 + x3, x1 + x2 - x0, -x3].
        const a00 = v00, a01 = v01, a02 = v02, a03 = v03;
        const a10 = v10 - v20 + v30, a11 = v11 - v21 + v31, a12 = v12 - v22 + v32, a13 = v13 - v23 + v33;
        const a20 = v10 + v20 - v00, a21 = v11 + v21 - v01, a22 = v12 + v22 - v02, a23 = v13 + v23 - v03;
        const a30 = -v30, a31 = -v31, a32 = -v32, a33 = -v33;
        // Then on each row's columns, added into the 4x4 window.
        if (y0 >= 0 && x0 >= 0 && y0 + 4 <= height && x0 + 4 <= width) {
          const r0 = out + (<usize>(y0 * width + x0) << 2);
          addRow(r0, a00, a01, a02, a03);
          addRow(r0 + rowBytes, a10, a11, a12, a13);
          addRow(r0 + rowBytes * 2, a20, a21, a22, a23);
          addRow(r0 + rowBytes * 3, a30, a31, a32, a33);
        } else {
          addRowClipped(out, height, width, y0, x0, a00, a01, a02, a03);
          addRowClipped(out, height, width, y0 + 1, x0, a10, a11, a12, a13);
          addRowClipped(out, height, width, y0 + 2, x0, a20, a21, a22, a23);
          addRowClipped(out, height, width, y0 + 3, x0, a30, a31, a32, a33);
        }
        src += 4;
      }
    }
  }
}

/** b - c + d and b + c - a: the middle rows (and columns) of B^T's adjoint. */
@inline function adjointMiddle(b: v128, c: v128, d: v128): v128 {
  return f32x4.add(f32x4.sub(b, c), d);
}

@inline function adjointThird(a: v128, b: v128, c: v128): v128 {
  return f32x4.sub(f32x4.add(b, c), a);
}

/**
 * addRow for four tiles (lane i: the tile whose window starts 2i columns after r): lane i's columns 0, 1 go to
 * r + 8i, r + 8i + 4 and its columns 2, 3 to r + 8i + 8, r + 8i + 12.
 */
@inline function addRowVector(r: usize, a: v128, b: v128, c: v128, d: v128): void {
  const c0 = a, c1 = adjointMiddle(b, c, d), c2 = adjointThird(a, b, c), c3 = f32x4.neg(d);
  v128.store(r, f32x4.add(v128.load(r), v128.shuffle<f32>(c0, c1, 0, 4, 1, 5)));
  v128.store(r, f32x4.add(v128.load(r, 16), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7)), 16);
  v128.store(r, f32x4.add(v128.load(r, 8), v128.shuffle<f32>(c2, c3, 0, 4, 1, 5)), 8);
  v128.store(r, f32x4.add(v128.load(r, 24), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7)), 24);
}

/** Adds B^T's adjoint of one row [a, b, c, d] -> [a, b - c + d, b + c - a, -d] at r (4 floats). */
@inline function addRow(r: usize, a: f32, b: f32, c: f32, d: f32): void {
  store<f32>(r, load<f32>(r) + a);
  store<f32>(r, load<f32>(r, 4) + (b - c + d), 4);
  store<f32>(r, load<f32>(r, 8) + (b + c - a), 8);
  store<f32>(r, load<f32>(r, 12) - d, 12);
}

@inline function addRowClipped(out: usize, height: i32, width: i32, y: i32, x0: i32, a: f32, b: f32, c: f32, d: f32): void {
  if (y < 0 || y >= height) return;
  const r = out + (<usize>(y * width) << 2);
  addAt(r, width, x0, a);
  addAt(r, width, x0 + 1, b - c + d);
  addAt(r, width, x0 + 2, b + c - a);
  addAt(r, width, x0 + 3, -d);
}

@inline function addAt(r: usize, width: i32, x: i32, value: f32): void {
  if (x >= 0 && x < width) store<f32>(r + (<usize>x << 2), load<f32>(r + (<usize>x << 2)) + value);
}
