import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { loadMnist } from '../../src/data/mnist.js';
import { preprocessDigit, resize, toGray } from '../../src/data/preprocess.js';
import type { PixelImage } from '../../src/data/image.js';
import { blankImage, drawRing, fillRect, inkStats, thrown } from './helpers.js';

describe('toGray', () => {
  it('handles gray, gray+alpha, RGB and RGBA, compositing transparency over white', () => {
    expect(Array.from(toGray({ data: Uint8Array.from([0, 255]), width: 2, height: 1, channels: 1 }))).toEqual([0, 1]);
    expect(toGray({ data: Uint8Array.from([0, 0]), width: 1, height: 1, channels: 2 })[0]).toBe(1); // transparent -> white
    expect(toGray({ data: Uint8Array.from([255, 0, 0]), width: 1, height: 1, channels: 3 })[0]).toBeCloseTo(0.299, 3);
    expect(toGray({ data: Uint8Array.from([0, 0, 0, 255]), width: 1, height: 1, channels: 4 })[0]).toBe(0);
    expect(() => toGray({ data: new Uint8Array(3), width: 2, height: 2, channels: 1 })).toThrow(/expected 2x2x1/);
  });
});

describe('preprocessDigit', () => {
  it('turns a dark, tall, off-centre stroke on light paper into a bright, centred 20-pixel-high digit', () => {
    // A '1'-like bar, 12 wide and 90 tall, near the top-left corner of a 300x200 light photo.
    const image = blankImage(300, 200, 230);
    fillRect(image, 30, 15, 42, 105, 20);
    const out = preprocessDigit(image);
    expect(out.length).toBe(784);
    const s = inkStats(out);
    expect(s.max).toBeCloseTo(1, 5); // ink is bright
    expect(out[0]).toBe(0); // background is black
    expect(s.bottom - s.top + 1).toBe(20); // long side fills the 20x20 box
    expect(s.right - s.left + 1).toBeLessThanOrEqual(4); // aspect kept: 12/90 * 20 ~ 2.7
    expect(Math.abs(s.comX - 14)).toBeLessThanOrEqual(1); // centred by centre of mass
    expect(Math.abs(s.comY - 14)).toBeLessThanOrEqual(1);
  });

  it('keeps white-on-black images as they are (no inversion) and fits wide shapes by width', () => {
    const image = blankImage(120, 90, 0);
    drawRing(image, 85, 60, 30, 18, 6, 255); // a wide '0' off to the bottom right
    const out = preprocessDigit(image);
    const s = inkStats(out);
    expect(s.right - s.left + 1).toBe(20);
    expect(s.bottom - s.top + 1).toBeGreaterThanOrEqual(11);
    expect(s.bottom - s.top + 1).toBeLessThanOrEqual(13); // 36/60 * 20 = 12
    expect(Math.abs(s.comX - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs(s.comY - 14)).toBeLessThanOrEqual(1);
    expect(out[14 * 28 + 14]).toBe(0); // the hole of the ring stays empty
  });

  it('reads canvas drawings: black strokes on a transparent background', () => {
    const image: PixelImage = { data: new Uint8Array(280 * 280 * 4), width: 280, height: 280, channels: 4 };
    fillRect(image, 100, 40, 118, 240, 0, 255);
    fillRect(image, 60, 40, 118, 58, 0, 255); // a '7'-ish top bar
    const s = inkStats(preprocessDigit(image));
    expect(s.bottom - s.top + 1).toBe(20);
    expect(s.max).toBeCloseTo(1, 5);
    expect(Math.abs(s.comX - 14)).toBeLessThanOrEqual(1);
  });

  it('ignores faint background noise and can be told to invert or not', () => {
    const image = blankImage(100, 100, 240);
    for (let i = 0; i < 100 * 100; i += 7) image.data[i * 4] = 225; // speckle
    fillRect(image, 40, 20, 55, 80, 30);
    const s = inkStats(preprocessDigit(image));
    expect(s.bottom - s.top + 1).toBe(20);
    expect(s.left).toBeGreaterThan(4);
    const dark = blankImage(60, 60, 20);
    fillRect(dark, 20, 10, 30, 50, 200);
    const kept = inkStats(preprocessDigit(dark, { invert: false }));
    expect(kept.bottom - kept.top + 1).toBe(20);
    // Forcing the wrong polarity leaves nothing brighter than the background: the option is obeyed.
    expect(() => preprocessDigit(dark, { invert: true })).toThrow(/no visible ink/);
    expect(() => preprocessDigit(image, { invert: false })).toThrow(/no visible ink/);
  });

  it('reproduces real MNIST digits drawn big, dark on white and off-centre', () => {
    const { test } = loadMnist();
    let cosine = 0;
    for (let k = 0; k < 10; k++) {
      const digit = test!.pixels.subarray(k * 784, (k + 1) * 784);
      const image = blankImage(200, 150, 255);
      for (let y = 0; y < 112; y++) {
        for (let x = 0; x < 112; x++) {
          const v = 255 - digit[Math.floor(y / 4) * 28 + Math.floor(x / 4)];
          image.data.set([v, v, v], ((y + 20) * 200 + x + 70) * 4);
        }
      }
      const out = preprocessDigit(image);
      let dot = 0, a = 0, b = 0;
      for (let i = 0; i < 784; i++) { const d = digit[i] / 255; dot += d * out[i]; a += d * d; b += out[i] * out[i]; }
      cosine += dot / Math.sqrt(a * b) / 10;
    }
    expect(cosine).toBeGreaterThan(0.95);
  });

  it('rejects images without visible ink', () => {
    const err = thrown(() => preprocessDigit(blankImage(50, 40, 255)));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe('image (50x40) has no visible ink: it is almost uniform');
  });
});

describe('resize', () => {
  it('keeps a constant image constant, up and down', () => {
    const src = new Float32Array(40 * 30).fill(0.5);
    for (const [w, h] of [[7, 5], [80, 61]]) {
      const out = resize(src, 40, 0, 0, 40, 30, w, h);
      expect(out.length).toBe(w * h);
      for (const v of out) expect(v).toBeCloseTo(0.5, 5);
    }
  });

  it('averages when shrinking (antialiased)', () => {
    const stripes = Float32Array.from({ length: 8 * 8 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const out = resize(stripes, 8, 0, 0, 8, 8, 2, 2);
    for (const v of out) expect(v).toBeCloseTo(0.5, 1);
  });
});
