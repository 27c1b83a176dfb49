// Vector (f32x4) transcendental functions for the kernels: exp, log, tanh, sigmoid, normal CDF.
// Cephes-style range reduction + minimax polynomials; about 1e-7..1e-6 relative error in f32.

// ---- exp ---------------------------------------------------------------------------------
// exp(x) = 2^n * exp(r), n = round(x / ln2), |r| <= ln2/2.
@inline export function expV(x: v128): v128 {
  const hi = f32x4.splat(88.72283);
  const lo = f32x4.splat(-87.33654);
  const xc = f32x4.min(f32x4.max(x, lo), hi);
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  // 2^n split in two factors so that n = 128 (x near 88.7) does not overflow the exponent.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const half = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, hi));
  y = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, lo));
  // NaN in, NaN out.
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

// ---- log ---------------------------------------------------------------------------------
// log(x) = e*ln2 + log(m), m in [sqrt(1/2), sqrt(2)).
@inline export function logV(x: v128): v128 {
  const bits = x;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, small); // mask is -1 where small
  m = f32x4.add(m, v128.and(small, m));
  m = f32x4.sub(m, f32x4.splat(1.0));
  const z = f32x4.mul(m, m);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(3.3333331174e-1));
  p = f32x4.mul(f32x4.mul(p, m), z);
  const ef = f32x4.convert_i32x4_s(e);
  p = f32x4.add(p, f32x4.mul(ef, f32x4.splat(-2.12194440e-4)));
  p = f32x4.sub(p, f32x4.mul(z, f32x4.splat(0.5)));
  let y = f32x4.add(f32x4.add(m, p), f32x4.mul(ef, f32x4.splat(0.693359375)));
  y = v128.bitselect(f32x4.splat(-Infinity), y, f32x4.eq(x, f32x4.splat(0)));
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.eq(x, f32x4.splat(Infinity)));
  y = v128.bitselect(f32x4.splat(NaN), y, f32x4.lt(x, f32x4.splat(0)));
  // Subnormals: scale up by 2^23 first would be exact; they are rare enough to go through f64.
  const tiny = f32x4.lt(f32x4.abs(x), f32x4.splat(1.17549435e-38));
  if (v128.any_true(v128.and(tiny, f32x4.gt(x, f32x4.splat(0))))) {
    y = f32x4.replace_lane(y, 0, logScalarExact(f32x4.extract_lane(x, 0), f32x4.extract_lane(y, 0)));
    y = f32x4.replace_lane(y, 1, logScalarExact(f32x4.extract_lane(x, 1), f32x4.extract_lane(y, 1)));
    y = f32x4.replace_lane(y, 2, logScalarExact(f32x4.extract_lane(x, 2), f32x4.extract_lane(y, 2)));
    y = f32x4.replace_lane(y, 3, logScalarExact(f32x4.extract_lane(x, 3), f32x4.extract_lane(y, 3)));
  }
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

function logScalarExact(x: f32, y: f32): f32 {
  return x > 0 && x < 1.17549435e-38 ? <f32>Math.log(<f64>x) : y;
}

// ---- tanh, sigmoid -----------------------------------------------------------------------
@inline export function tanhV(x: v128): v128 {
  const ax = f32x4.abs(x);
  // |x| < 0.625: odd polynomial.
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  // otherwise 1 - 2 / (exp(2|x|) + 1), with the sign of x.
  const e = expV(f32x4.add(ax, ax));
  let big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  big = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}

@inline export function sigmoidV(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), expV(f32x4.neg(x))));
}

// ---- normal distribution (exact GELU) -----------------------------------------------------
// Phi(x) = 0.5 * erfc(-x / sqrt2); erfc from Numerical Recipes' erfcc (fractional error < 1.2e-7).
@inline export function normalCdfV(x: v128): v128 {
  const z = f32x4.mul(x, f32x4.splat(-0.70710678118654752));
  const az = f32x4.abs(z);
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(0.5), az)));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  const erfcAbs = f32x4.mul(t, expV(f32x4.sub(p, f32x4.mul(az, az))));
  // erfc(z) for z < 0 is 2 - erfc(|z|).
  const erfc = v128.bitselect(f32x4.sub(f32x4.splat(2.0), erfcAbs), erfcAbs, f32x4.lt(z, f32x4.splat(0)));
  return f32x4.mul(f32x4.splat(0.5), erfc);
}

@inline export function normalPdfV(x: v128): v128 {
  return f32x4.mul(f32x4.splat(0.3989422804014327), expV(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(x, x))));
}
