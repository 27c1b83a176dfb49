// Grid of misclassified images: each digit as an embedded PNG, labelled "true → predicted" (and confidence).
import { PNG } from 'pngjs';
import { ReportError } from './errors.js';
import type { MisclassifiedExample } from './types.js';

/** Options of `misclassifiedGridSvg`. */
export interface DigitGridOptions {
  /** Images per row; default 8. */
  columns?: number;
  /** Most images drawn; default 48. The title says how many there were in all. */
  limit?: number;
  /** How many test examples were misclassified in all (default: `examples.length`); `examples` may be the first few of them. */
  total?: number;
  /** Screen pixels per image pixel; default 3 (28 x 28 -> 84 x 84). */
  zoom?: number;
  title?: string;
}

/** Side of a square image stored as `length` row-major values; throws if it is not square. */
export function imageSide(length: number, where: string): number {
  const side = Math.round(Math.sqrt(length));
  if (length === 0 || side * side !== length) {
    throw new ReportError(`${where}: ${length} pixel values do not form a square image (expected e.g. 784 = 28 x 28)`);
  }
  return side;
}

/** Encodes a square 0-1 gray image, white ink on black, upscaled by `zoom` (nearest neighbour), as PNG. */
export function digitPng(pixels: ArrayLike<number>, zoom = 3): Buffer {
  const side = imageSide(pixels.length, 'digitPng');
  const size = side * zoom;
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = pixels[Math.floor(y / zoom) * side + Math.floor(x / zoom)];
      const gray = Math.round(255 * (v < 0 ? 0 : v > 1 ? 1 : v));
      const i = 4 * (y * size + x);
      png.data[i] = png.data[i + 1] = png.data[i + 2] = gray;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** The number of wrong predictions a confusion matrix counts: everything off its diagonal. */
export function misclassifiedCount(confusion: readonly (readonly number[])[]): number {
  let wrong = 0;
  confusion.forEach((row, t) => row.forEach((count, p) => { if (t !== p) wrong += count; }));
  return wrong;
}

/** Escapes text for SVG and HTML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * An SVG document tiling the misclassified images with a "true → predicted" caption under each
 * (plus the model's confidence when given). Images are embedded as PNG data URLs, so the SVG stands
 * alone and renders with resvg.
 */
export function misclassifiedGridSvg(
  examples: readonly MisclassifiedExample[],
  classNames: readonly string[],
  options: DigitGridOptions = {},
): string {
  const zoom = options.zoom ?? 3;
  const limit = options.limit ?? 48;
  const shown = examples.slice(0, limit);
  const total = options.total ?? examples.length;
  if (!Number.isInteger(total) || total < examples.length) {
    throw new ReportError(`misclassifiedGridSvg: total is ${total} but ${examples.length} misclassified examples were given; expected an integer >= ${examples.length}`);
  }
  const title =
    options.title ??
    (total === 0
      ? 'Misclassified test images: none'
      : shown.length === 0
        ? `Misclassified test images: ${total} (none drawn)`
        : `Misclassified test images (true → predicted): ${shown.length} of ${total}`);
  const side = shown.length === 0 ? 28 : imageSide(shown[0].pixels.length, 'misclassifiedGridSvg');
  const captions = shown.map((e) => {
    const main = `${classNames[e.label] ?? e.label} → ${classNames[e.predicted] ?? e.predicted}`;
    return { main, confidence: e.confidence === undefined ? '' : `${(100 * e.confidence).toFixed(0)}% sure` };
  });
  const longest = Math.max(0, ...captions.map((c) => Math.max(c.main.length, c.confidence.length)));
  const image = side * zoom;
  const cellWidth = Math.max(image, Math.ceil(longest * 7.6)) + 12; // ~7.6 px per 13-px character
  const captionHeight = captions.some((c) => c.confidence !== '') ? 36 : 22;
  const cellHeight = image + captionHeight + 8;
  const columns = Math.max(1, Math.min(options.columns ?? 8, Math.max(1, shown.length)));
  const rows = Math.ceil(shown.length / columns);
  const top = 36;
  const width = Math.max(columns * cellWidth + 16, title.length * 8.5 + 24);
  const height = top + Math.max(rows * cellHeight, shown.length === 0 ? 20 : 0) + 8;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${Math.ceil(width)}" height="${height}" viewBox="0 0 ${Math.ceil(width)} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold" fill="#000">${escapeXml(title)}</text>`,
  ];
  shown.forEach((example, n) => {
    if (example.pixels.length !== side * side) {
      throw new ReportError(
        `misclassifiedGridSvg: example ${n} has ${example.pixels.length} pixels; expected ${side * side} like example 0`,
      );
    }
    const x = 8 + (n % columns) * cellWidth;
    const y = top + Math.floor(n / columns) * cellHeight;
    const centre = x + cellWidth / 2;
    const href = `data:image/png;base64,${digitPng(example.pixels, zoom).toString('base64')}`;
    parts.push(
      `<g class="digit" data-label="${example.label}" data-predicted="${example.predicted}">`,
      `<image x="${centre - image / 2}" y="${y}" width="${image}" height="${image}" href="${href}" xlink:href="${href}"/>`,
      `<text x="${centre}" y="${y + image + 17}" font-size="13" text-anchor="middle" fill="#111">${escapeXml(captions[n].main)}</text>`,
    );
    if (captions[n].confidence !== '') {
      parts.push(`<text x="${centre}" y="${y + image + 31}" font-size="11" text-anchor="middle" fill="#c0392b">${escapeXml(captions[n].confidence)}</text>`);
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}
