// renderStrokes: round pen strokes of the pad's width, dark on white, where the points say.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { renderStrokes } from '../../src/data/strokes.js';
import { thrown } from './helpers.js';

describe('renderStrokes', () => {
  const gray = (image: ReturnType<typeof renderStrokes>, x: number, y: number) => image.data[4 * (y * image.width + x)];

  it('draws a horizontal stroke of the pad width (1/14 of the side) and leaves the rest white', () => {
    const image = renderStrokes([[[0.2, 0.5], [0.8, 0.5]]], { size: 140 });
    expect(image).toMatchObject({ width: 140, height: 140, channels: 4 });
    expect(gray(image, 70, 70)).toBe(0x11);
    expect(gray(image, 70, 70 - 4)).toBe(0x11); // inside the 10-pixel-wide line
    expect(gray(image, 70, 70 - 7)).toBe(255); // outside it
    expect(gray(image, 28 - 4, 70)).toBe(0x11); // round cap past the end point
    expect(gray(image, 10, 10)).toBe(255);
    expect(image.data[3]).toBe(255);
  });

  it('draws a single point as a dot and joins several strokes', () => {
    const image = renderStrokes([[[0.25, 0.25]], [[0.75, 0.75], [0.75, 0.9]]], { size: 100, lineWidth: 8 });
    expect(gray(image, 25, 25)).toBe(0x11);
    expect(gray(image, 75, 85)).toBe(0x11);
    expect(gray(image, 50, 50)).toBe(255);
  });

  it('refuses empty strokes, non-finite points and bad sizes', () => {
    expect(thrown(() => renderStrokes([[]]))).toBeInstanceOf(DataError);
    expect(() => renderStrokes([[[0, Number.NaN]]])).toThrow(/stroke 0 point 0 is not finite/);
    expect(() => renderStrokes([], { size: 0 })).toThrow(/size must be a positive integer/);
  });
});
