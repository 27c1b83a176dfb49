// Backward of the Winograd F(2x2, 3x3) convolution (winograd.ts) for training: the exact adjoints of its three
// transforms. dy 2x2 tiles -> dM (16, O, T) = A dy A^T; the caller's GEMMs give dU[k] = dM[k] V[k]^T and
// dV[k] = U[k]^T dM[k]; dU (16, O, C) -> dw = G^T dU G; dV (16, C, T) -> dx by scatter-adding B dV B^T.

import { g } from './geometry';

/**
 * dM[k, o, t] = (A dy A^T)[k] for the 2x2 tiles of dy planes (n * O + o) in [start, end), dy zero where y <= 0 when y
 * (the fused ReLU's output) is given and beyond outH / outW; sums[n * O + o] = the plane's (masked) sum when sums != 0.
 */
export function winogradGradOutput(dy: usize, y: usize, dm: usize, sums: usize, outChannels: i32, batch: i32,
  tilesH: i32, tilesW: i32, outH: i32, outW: i32, start: i32, end: i32): void {
  const tilesPerImage = tilesH * tilesW;
  const tiles = batch * tilesPerImage;
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
    for (let th = 0; th < tilesH; th++) {
      const oy = 2 * th;
      const below = oy + 1 < outH;
      for (let tw = 0; tw < tilesW; tw++) {
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
    if (sums) store<f32>(sums + (<usize>plane << 2), total);
  }
}

@inline function gradAt(src: usize, mask: usize, p: usize): f32 {
  const d = load<f32>(src + p);
  return mask && !(load<f32>(mask + p) > 0) ? <f32>0 : d;
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
export function winogradInputBackward(dv: usize, dx: usize, geometry: usize, tilesH: i32, tilesW: i32, start: i32, end: i32): void {
  const batch = g(geometry, 0), channels = g(geometry, 1), height = g(geometry, 2), width = g(geometry, 3);
  const ph = g(geometry, 8), pw = g(geometry, 9);
  const tilesPerImage = tilesH * tilesW;
  const tiles = batch * tilesPerImage;
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
      for (let tw = 0; tw < tilesW; tw++) {
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
