import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { Augmenter, DEFAULT_AUGMENT } from '../../src/data/augment.js';
import { inkStats, thrown } from './helpers.js';

const NONE = { translate: 0, rotate: 0, scale: 0, shear: 0, elastic: 0 };

/** `count` copies of a 28x28 image with a bright 8x12 block in the middle. */
function blocks(count: number, background = 0): Float32Array {
  const images = new Float32Array(count * 784).fill(background);
  for (let n = 0; n < count; n++) {
    for (let y = 8; y < 20; y++) for (let x = 10; x < 18; x++) images[n * 784 + y * 28 + x] = 1;
  }
  return images;
}

describe('Augmenter', () => {
  it('is the identity when every range is 0', () => {
    const src = blocks(3);
    const dst = new Float32Array(src.length);
    new Augmenter(NONE, 1).apply(src, dst, 3, 28, 28);
    expect(Array.from(dst)).toEqual(Array.from(src));
  });

  it('shifts by at most `translate` pixels, keeping the ink', () => {
    const src = blocks(20);
    const dst = new Float32Array(src.length);
    new Augmenter({ ...NONE, translate: 3 }, 2).apply(src, dst, 20, 28, 28);
    const moved = new Set<string>();
    for (let n = 0; n < 20; n++) {
      const s = inkStats(dst.subarray(n * 784, (n + 1) * 784));
      expect(Math.abs(s.comX - 13.5)).toBeLessThanOrEqual(3 + 1e-9);
      expect(Math.abs(s.comY - 13.5)).toBeLessThanOrEqual(3 + 1e-9);
      expect(s.mass).toBeCloseTo(96, 3);
      moved.add(`${s.comX.toFixed(2)},${s.comY.toFixed(2)}`);
    }
    expect(moved.size).toBeGreaterThan(15); // a different shift per image
  });

  it('rotates, scales and shears about the centre', () => {
    const src = blocks(20);
    const dst = new Float32Array(src.length);
    new Augmenter({ ...NONE, rotate: 15, scale: 0.15, shear: 10 }, 3).apply(src, dst, 20, 28, 28);
    for (let n = 0; n < 20; n++) {
      const s = inkStats(dst.subarray(n * 784, (n + 1) * 784));
      expect(Math.abs(s.comX - 13.5)).toBeLessThan(0.5);
      expect(Math.abs(s.comY - 13.5)).toBeLessThan(0.5);
      expect(s.mass / 96).toBeGreaterThan(0.7); // area changes by the scale squared at most
      expect(s.mass / 96).toBeLessThan(1.35);
    }
    expect(Array.from(dst.subarray(0, 784))).not.toEqual(Array.from(src.subarray(0, 784)));
  });

  it('distorts elastically: local, smooth, mass roughly kept', () => {
    const src = blocks(10);
    const affineOnly = new Float32Array(src.length);
    const elastic = new Float32Array(src.length);
    new Augmenter(NONE, 4).apply(src, affineOnly, 10, 28, 28);
    new Augmenter({ ...NONE, elastic: 1.5 }, 4).apply(src, elastic, 10, 28, 28);
    expect(Array.from(elastic)).not.toEqual(Array.from(affineOnly));
    for (let n = 0; n < 10; n++) {
      const s = inkStats(elastic.subarray(n * 784, (n + 1) * 784));
      expect(s.mass / 96).toBeGreaterThan(0.6);
      expect(s.mass / 96).toBeLessThan(1.5);
      expect(Math.abs(s.comX - 13.5)).toBeLessThan(3);
    }
  });

  it('fills pixels from outside the image with the background value', () => {
    const src = blocks(1, -0.42);
    const dst = new Float32Array(784);
    new Augmenter({ ...NONE, rotate: 45 }, 5).apply(src, dst, 1, 28, 28, -0.42);
    expect(dst[0]).toBeCloseTo(-0.42, 6);
    expect(Math.min(...dst)).toBeGreaterThanOrEqual(-0.42 - 1e-6);
  });

  it('is seeded: same seed, same batch; next batch differs', () => {
    const src = blocks(4);
    const a = new Float32Array(src.length), b = new Float32Array(src.length), c = new Float32Array(src.length);
    const first = new Augmenter({ elastic: 1 }, 9);
    first.apply(src, a, 4, 28, 28);
    new Augmenter({ elastic: 1 }, 9).apply(src, b, 4, 28, 28);
    first.apply(src, c, 4, 28, 28);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(DEFAULT_AUGMENT.elastic).toBe(0); // elastic is opt-in
  });

  it('handles non-square images', () => {
    const src = new Float32Array(2 * 10 * 6).fill(1);
    const dst = new Float32Array(src.length);
    new Augmenter({ ...NONE, elastic: 0.5 }, 1).apply(src, dst, 2, 10, 6);
    expect(dst.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('rejects bad options and buffers', () => {
    const err = thrown(() => new Augmenter({ rotate: -1 }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('augmentation rotate must be a non-negative number, got -1');
    expect(thrown(() => new Augmenter({ scale: 1 })).message).toMatch(/scale must be below 1/);
    expect(thrown(() => new Augmenter({ elasticGrid: 0 })).message).toMatch(/elasticGrid must be a positive integer/);
    const buffer = new Float32Array(784);
    expect(thrown(() => new Augmenter().apply(buffer, buffer, 1, 28, 28)).message).toMatch(/must be different buffers/);
    expect(thrown(() => new Augmenter().apply(buffer, new Float32Array(10), 1, 28, 28)).message).toMatch(/need 1x28x28/);
  });
});
