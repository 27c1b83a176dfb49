// Small SIMD helpers shared by several kernels, and the one place where the two builds differ: `madd` is a fused
// multiply-add in the relaxed-SIMD build (scripts/build-kernels.mjs compiles with --enable relaxed-simd) and
// mul + add in the plain build, so each kernel is written once.

/**
 * a * b + c on 4 f32 lanes. Relaxed build: f32x4.relaxed_madd (one FMA instruction, rounded once, where the CPU
 * has FMA; V8 falls back to mul + add where it has not). Plain build: mul then add (rounded twice).
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * 4x4 transpose: r0..r3 each hold 4 consecutive elements of one line; stores 4 vectors, dStep bytes apart, where
 * vector j holds element j of r0..r3.
 */
@inline export function storeTransposed4(d: usize, dStep: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(d + dStep, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(d + dStep * 2, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(d + dStep * 3, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}
