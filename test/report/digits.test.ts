// Misclassified grid: digit PNGs decode at the zoomed size, captions read "true → predicted", PNG is readable.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { digitPng, misclassifiedGridSvg, svgToPng } from '../../src/report/index.js';
import { pngSize, squareImage, svgSize } from './helpers.js';

describe('digitPng', () => {
  it('upscales a 28 x 28 image by nearest neighbour, white ink on black', () => {
    const png = PNG.sync.read(digitPng(squareImage(), 3));
    expect([png.width, png.height]).toEqual([84, 84]);
    expect(png.data[0]).toBe(0); // corner is background
    const centre = 4 * (42 * 84 + 42);
    expect([png.data[centre], png.data[centre + 3]]).toEqual([255, 255]);
  });

  it('rejects images that are not square', () => {
    expect(() => digitPng(new Float32Array(10))).toThrow(/10 pixel values do not form a square image/);
  });
});

describe('misclassifiedGridSvg', () => {
  const names = ['zero', 'one', 'two'];
  const examples = Array.from({ length: 10 }, (_, i) => ({ pixels: squareImage(), label: i % 3, predicted: (i + 1) % 3, confidence: 0.75 }));

  it('embeds one image and one caption per example, up to the limit', () => {
    const svg = misclassifiedGridSvg(examples, names, { limit: 6, columns: 3 });
    expect(svg.match(/<image /g)).toHaveLength(6);
    expect(svg.match(/data:image\/png;base64,/g)?.length).toBe(12); // href and xlink:href
    expect(svg).toContain('zero → one');
    expect(svg).toContain('75% sure');
    expect(svg).toContain('6 of 10');
  });

  it('escapes class names and renders to a PNG of twice the SVG size', () => {
    const svg = misclassifiedGridSvg(examples.slice(0, 2), ['<a>', 'b&c', 'd'], { columns: 2 });
    expect(svg).toContain('&lt;a&gt; → b&amp;c');
    const size = svgSize(svg);
    expect(pngSize(svgToPng(svg))).toEqual({ width: 2 * size.width, height: 2 * size.height });
  });

  it('counts the total it is told, beyond the examples given', () => {
    expect(misclassifiedGridSvg(examples, names, { limit: 4, total: 219 })).toContain('4 of 219');
    expect(misclassifiedGridSvg([], names, { total: 5 })).toContain('Misclassified test images: 5 (none drawn)');
    expect(() => misclassifiedGridSvg(examples, names, { total: 3 })).toThrow(/total is 3 but 10 misclassified examples were given/);
  });

  it('says so when nothing was misclassified', () => {
    const svg = misclassifiedGridSvg([], names);
    expect(svg).toContain('none');
    expect(svg).not.toContain('<image');
    expect(pngSize(svgToPng(svg)).width).toBeGreaterThan(100);
  });

  it('rejects examples of different sizes', () => {
    const mixed = [examples[0], { pixels: new Float32Array(16), label: 0, predicted: 1 }];
    expect(() => misclassifiedGridSvg(mixed, names)).toThrow(/example 1 has 16 pixels; expected 784/);
  });
});
