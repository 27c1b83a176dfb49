// Sliding-window kernels over NCHW: im2col / col2im (for convolution as GEMM) and max / average pooling.
// The geometry block holds 12 i32: batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW.
// im2col splits over output rows, col2im over images, pooling over (n, c) planes, so threads never write the same pixel.

import { g } from './geometry';

/** Lanes [0, kw) set: the part of a 4-lane vector that belongs to one window row. */
@inline function runMask(kw: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(kw));
}

/**
 * x (N,C,H,W) -> cols (N*outH*outW, C*kh*kw) for rows [rowStart, rowEnd). Window rows of up to 4 pixels move as one
 * vector; the lanes past kw land on the next run's slots and are overwritten by it, so a row's last run (which would
 * spill into the next row) and runs near the image edge go through the scalar path.
 */
export function im2col(x: usize, cols: usize, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const channels = g(geometry, 1), height = g(geometry, 2), width = g(geometry, 3);
  const kh = g(geometry, 4), kw = g(geometry, 5), sh = g(geometry, 6), sw = g(geometry, 7);
  const ph = g(geometry, 8), pw = g(geometry, 9), outH = g(geometry, 10), outW = g(geometry, 11);
  const patch = channels * kh * kw;
  const runBytes = <usize>kw << 2;
  const rowBytes = <usize>width << 2;
  const planeBytes = rowBytes * <usize>height;
  const zero = f32x4.splat(0);
  // (n, oy, ox) of rowStart, then stepped without division.
  let ox = rowStart % outW;
  let t = rowStart / outW;
  let oy = t % outH;
  let n = t / outH;
  let dst = cols + (<usize>rowStart * <usize>patch << 2);
  for (let row = rowStart; row < rowEnd; row++) {
    const lastVector = dst + (<usize>patch << 2) - 16; // a 16-byte store from here still ends inside this row
    const ix0 = ox * sw - pw;
    const iy0 = oy * sh - ph;
    const image = x + <usize>(n * channels) * planeBytes;
    const inside = ix0 >= 0 && ix0 + kw <= width;
    const wide = kw <= 4 && ix0 >= 0 && ix0 + 4 <= width;
    if (wide && iy0 >= 0 && iy0 + kh <= height) {
      // The whole window is inside the image: one vector per window row, no bounds checks.
      let plane = image + <usize>iy0 * rowBytes + (<usize>ix0 << 2);
      for (let c = 0; c < channels; c++) {
        let s = plane;
        for (let ky = 0; ky < kh; ky++) {
          if (dst <= lastVector) {
            v128.store(dst, v128.load(s));
          } else {
            for (let kx = 0; kx < kw; kx++) store<f32>(dst + (<usize>kx << 2), load<f32>(s + (<usize>kx << 2)));
          }
          s += rowBytes;
          dst += runBytes;
        }
        plane += planeBytes;
      }
    } else {
      for (let c = 0; c < channels; c++) {
        const plane = image + <usize>c * planeBytes;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= height) {
            if (kw <= 4 && dst <= lastVector) v128.store(dst, zero);
            else for (let kx = 0; kx < kw; kx++) store<f32>(dst + (<usize>kx << 2), 0);
          } else {
            const src = plane + <usize>iy * rowBytes;
            if (wide && dst <= lastVector) {
              v128.store(dst, v128.load(src + (<usize>ix0 << 2)));
            } else if (inside) {
              const s = src + (<usize>ix0 << 2);
              for (let kx = 0; kx < kw; kx++) store<f32>(dst + (<usize>kx << 2), load<f32>(s + (<usize>kx << 2)));
            } else {
              for (let kx = 0; kx < kw; kx++) {
                const ix = ix0 + kx;
                store<f32>(dst + (<usize>kx << 2), ix >= 0 && ix < width ? load<f32>(src + (<usize>ix << 2)) : 0);
              }
            }
          }
          dst += runBytes;
        }
      }
    }
    if (++ox == outW) {
      ox = 0;
      if (++oy == outH) { oy = 0; n++; }
    }
  }
}

/**
 * dx (N,C,H,W) = sum of cols back into their pixels, for images [imageStart, imageEnd). Reads cols row by row
 * (sequentially); window rows of up to 4 pixels are added as one masked vector when the 4 lanes stay inside the
 * image row and the cols row.
 */
export function col2im(cols: usize, dx: usize, geometry: usize, imageStart: i32, imageEnd: i32): void {
  const channels = g(geometry, 1), height = g(geometry, 2), width = g(geometry, 3);
  const kh = g(geometry, 4), kw = g(geometry, 5), sh = g(geometry, 6), sw = g(geometry, 7);
  const ph = g(geometry, 8), pw = g(geometry, 9), outH = g(geometry, 10), outW = g(geometry, 11);
  const patch = channels * kh * kw;
  const planeBytes = <usize>(height * width) << 2;
  const runBytes = <usize>kw << 2;
  const mask = runMask(kw);
  for (let n = imageStart; n < imageEnd; n++) {
    const image = dx + <usize>(n * channels) * planeBytes;
    memory.fill(image, 0, <usize>channels * planeBytes);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const row = (n * outH + oy) * outW + ox;
        let src = cols + (<usize>row * <usize>patch << 2);
        const lastVector = src + (<usize>patch << 2) - 16; // a 16-byte load from here still ends inside this row
        const ix0 = ox * sw - pw;
        const inside = ix0 >= 0 && ix0 + kw <= width;
        const wide = kw <= 4 && ix0 >= 0 && ix0 + 4 <= width;
        const iy0 = oy * sh - ph;
        if (wide && iy0 >= 0 && iy0 + kh <= height) {
          // The whole window is inside the image: one masked vector per window row, no bounds checks.
          const rowBytes = <usize>width << 2;
          let plane = image + <usize>iy0 * rowBytes + (<usize>ix0 << 2);
          for (let c = 0; c < channels; c++) {
            let p = plane;
            for (let ky = 0; ky < kh; ky++) {
              if (src <= lastVector) {
                v128.store(p, f32x4.add(v128.load(p), v128.and(v128.load(src), mask)));
              } else {
                for (let kx = 0; kx < kw; kx++) {
                  const q = p + (<usize>kx << 2);
                  store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>kx << 2)));
                }
              }
              p += rowBytes;
              src += runBytes;
            }
            plane += planeBytes;
          }
          continue;
        }
        for (let c = 0; c < channels; c++) {
          const plane = image + <usize>c * planeBytes;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky;
            if (iy >= 0 && iy < height) {
              const d = plane + (<usize>(iy * width) << 2);
              if (wide && src <= lastVector) {
                const p = d + (<usize>ix0 << 2);
                v128.store(p, f32x4.add(v128.load(p), v128.and(v128.load(src), mask)));
              } else if (inside) {
                const dd = d + (<usize>ix0 << 2);
                for (let kx = 0; kx < kw; kx++) {
                  const p = dd + (<usize>kx << 2);
                  store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>kx << 2)));
                }
              } else {
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ix0 + kx;
                  if (ix >= 0 && ix < width) {
                    const p = d + (<usize>ix << 2);
                    store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>kx << 2)));
                  }
                }
              }
            }
            src += runBytes;
          }
        }
      }
    }
  }
}

/** Max pooling of planes [planeStart, planeEnd); argmax is the flat index within the input plane. */
export function maxPool(x: usize, out: usize, argmax: usize, geometry: usize, planeStart: i32, planeEnd: i32): void {
  const height = g(geometry, 2), width = g(geometry, 3);
  const kh = g(geometry, 4), kw = g(geometry, 5), sh = g(geometry, 6), sw = g(geometry, 7);
  const ph = g(geometry, 8), pw = g(geometry, 9), outH = g(geometry, 10), outW = g(geometry, 11);
  const planeIn = height * width;
  const planeOut = outH * outW;
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && outW >= 4) {
    maxPool2x2(x, out, argmax, height, width, outH, outW, planeStart, planeEnd);
    return;
  }
  for (let plane = planeStart; plane < planeEnd; plane++) {
    const src = x + (<usize>plane * <usize>planeIn << 2);
    let o = <usize>plane * <usize>planeOut;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = max(oy * sh - ph, 0);
      const y1 = min(oy * sh - ph + kh, height);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = max(ox * sw - pw, 0);
        const x1 = min(ox * sw - pw + kw, width);
        let best = y0 * width + x0;
        let bestValue = load<f32>(src + (<usize>best << 2));
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const idx = iy * width + ix;
            const v = load<f32>(src + (<usize>idx << 2));
            const better = v > bestValue; // select, not a branch: on real data the winner is a coin toss
            bestValue = select<f32>(v, bestValue, better);
            best = select<i32>(idx, best, better);
          }
        }
        store<f32>(out + (o << 2), bestValue);
        store<i32>(argmax + (o << 2), best);
        o++;
      }
    }
  }
}

/**
 * 2x2 stride-2 windows without padding (outW >= 4), 4 outputs per vector: 8 input columns of two rows, split into
 * even and odd lanes. A row's last vector is moved back to end at outW and rewrites a few outputs with the same
 * values, so no output takes a scalar path (2 * outW <= width keeps its loads inside the row). The candidates are
 * compared in the general loop's order with the same strict `>` (pmax(a, b) is `a < b ? b : a`), so ties and NaN
 * pick the same element.
 */
function maxPool2x2(x: usize, out: usize, argmax: usize, height: i32, width: i32, outH: i32, outW: i32, planeStart: i32, planeEnd: i32): void {
  const planeIn = <usize>height * <usize>width;
  const planeOut = <usize>(outH * outW);
  const rowBytes = <usize>width << 2;
  const evenColumns = i32x4(0, 2, 4, 6);
  const right = i32x4.splat(1), below = i32x4.splat(width), belowRight = i32x4.splat(width + 1);
  for (let plane = planeStart; plane < planeEnd; plane++) {
    const src = x + (<usize>plane * planeIn << 2);
    let o = <usize>plane * planeOut << 2;
    for (let oy = 0; oy < outH; oy++) {
      const top = 2 * oy * width;
      const r0 = src + (<usize>top << 2);
      const r1 = r0 + rowBytes;
      for (let ox = 0; ox < outW; ox += 4) {
        const at = min(ox, outW - 4);
        const offset = <usize>(2 * at) << 2;
        const a0 = v128.load(r0 + offset), a1 = v128.load(r0 + offset, 16);
        const b0 = v128.load(r1 + offset), b1 = v128.load(r1 + offset, 16);
        const topLeft = i32x4.add(i32x4.splat(top + 2 * at), evenColumns);
        let best = i32x4.shuffle(a0, a1, 0, 2, 4, 6);
        let index = topLeft;
        let v = i32x4.shuffle(a0, a1, 1, 3, 5, 7);
        let m = f32x4.lt(best, v);
        best = f32x4.pmax(best, v);
        index = v128.bitselect(i32x4.add(topLeft, right), index, m);
        v = i32x4.shuffle(b0, b1, 0, 2, 4, 6);
        m = f32x4.lt(best, v);
        best = f32x4.pmax(best, v);
        index = v128.bitselect(i32x4.add(topLeft, below), index, m);
        v = i32x4.shuffle(b0, b1, 1, 3, 5, 7);
        m = f32x4.lt(best, v);
        best = f32x4.pmax(best, v);
        index = v128.bitselect(i32x4.add(topLeft, belowRight), index, m);
        const dst = o + (<usize>at << 2);
        v128.store(out + dst, best);
        v128.store(argmax + dst, index);
      }
      o += <usize>outW << 2;
    }
  }
}

export function maxPoolBackward(dy: usize, argmax: usize, dx: usize, geometry: usize, planeStart: i32, planeEnd: i32): void {
  const planeIn = g(geometry, 2) * g(geometry, 3);
  const planeOut = g(geometry, 10) * g(geometry, 11);
  for (let plane = planeStart; plane < planeEnd; plane++) {
    const dst = dx + (<usize>plane * <usize>planeIn << 2);
    memory.fill(dst, 0, <usize>planeIn << 2);
    const base = <usize>plane * <usize>planeOut << 2;
    for (let o = 0; o < planeOut; o++) {
      const off = base + (<usize>o << 2);
      const p = dst + (<usize>load<i32>(argmax + off) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(dy + off));
    }
  }
}

export function avgPool(x: usize, out: usize, geometry: usize, planeStart: i32, planeEnd: i32): void {
  const height = g(geometry, 2), width = g(geometry, 3);
  const kh = g(geometry, 4), kw = g(geometry, 5), sh = g(geometry, 6), sw = g(geometry, 7);
  const ph = g(geometry, 8), pw = g(geometry, 9), outH = g(geometry, 10), outW = g(geometry, 11);
  const planeIn = height * width;
  const inverseArea: f32 = 1.0 / <f32>(kh * kw);
  let o = <usize>planeStart * <usize>(outH * outW);
  for (let plane = planeStart; plane < planeEnd; plane++) {
    const src = x + (<usize>plane * <usize>planeIn << 2);
    for (let oy = 0; oy < outH; oy++) {
      const y0 = max(oy * sh - ph, 0);
      const y1 = min(oy * sh - ph + kh, height);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = max(ox * sw - pw, 0);
        const x1 = min(ox * sw - pw + kw, width);
        let sum: f32 = 0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) sum += load<f32>(src + (<usize>(iy * width + ix) << 2));
        }
        store<f32>(out + (o << 2), sum * inverseArea);
        o++;
      }
    }
  }
}

export function avgPoolBackward(dy: usize, dx: usize, geometry: usize, planeStart: i32, planeEnd: i32): void {
  const height = g(geometry, 2), width = g(geometry, 3);
  const kh = g(geometry, 4), kw = g(geometry, 5), sh = g(geometry, 6), sw = g(geometry, 7);
  const ph = g(geometry, 8), pw = g(geometry, 9), outH = g(geometry, 10), outW = g(geometry, 11);
  const planeIn = height * width;
  const inverseArea: f32 = 1.0 / <f32>(kh * kw);
  let o = <usize>planeStart * <usize>(outH * outW);
  for (let plane = planeStart; plane < planeEnd; plane++) {
    const dst = dx + (<usize>plane * <usize>planeIn << 2);
    memory.fill(dst, 0, <usize>planeIn << 2);
    for (let oy = 0; oy < outH; oy++) {
      const y0 = max(oy * sh - ph, 0);
      const y1 = min(oy * sh - ph + kh, height);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = max(ox * sw - pw, 0);
        const x1 = min(ox * sw - pw + kw, width);
        const share = load<f32>(dy + (o << 2)) * inverseArea;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const p = dst + (<usize>(iy * width + ix) << 2);
            store<f32>(p, load<f32>(p) + share);
          }
        }
        o++;
      }
    }
  }
}
