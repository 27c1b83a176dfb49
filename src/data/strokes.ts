// Pen strokes as an image: polylines drawn like the draw-a-digit pad draws them (round caps and
// joins, dark ink on white, a line width of 1/14 of the side), for synthetic handwriting in tests,
// benchmarks and the page's measurements. Points are fractions (0-1) of the width and height.
import { DataError } from '../errors.js';
import type { PixelImage } from './image.js';

/** One stroke: the pen's path, [x, y] in 0-1 of the canvas. */
export type Stroke = readonly (readonly [number, number])[];

/** Options of `renderStrokes`. */
export interface RenderOptions {
  /** Canvas side in pixels. Default 280 (the page's pad). */
  size?: number;
  /** Pen width in pixels. Default size / 14 (the page's pad). */
  lineWidth?: number;
}

/** Distance from (px, py) to the segment a-b. */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return Math.sqrt(ex * ex + ey * ey);
}

/** Renders strokes as RGBA bytes (white background, #111 ink, anti-aliased edges). */
export function renderStrokes(strokes: readonly Stroke[], options: RenderOptions = {}): PixelImage {
  const size = options.size ?? 280;
  const lineWidth = options.lineWidth ?? size / 14;
  if (!Number.isInteger(size) || size < 1) throw new DataError(`renderStrokes: size must be a positive integer, got ${size}`);
  if (!(lineWidth > 0)) throw new DataError(`renderStrokes: lineWidth must be positive, got ${lineWidth}`);
  const coverage = new Float32Array(size * size);
  const radius = lineWidth / 2;
  for (const [s, stroke] of strokes.entries()) {
    if (stroke.length === 0) throw new DataError(`renderStrokes: stroke ${s} has no points`);
    for (let i = 0; i < stroke.length; i++) {
      const [ax, ay] = stroke[i].map((v) => v * size);
      const [bx, by] = stroke[Math.min(i + 1, stroke.length - 1)].map((v) => v * size);
      if (![ax, ay, bx, by].every(Number.isFinite)) throw new DataError(`renderStrokes: stroke ${s} point ${i} is not finite`);
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - radius - 1));
      const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + radius + 1));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - radius - 1));
      const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + radius + 1));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const c = Math.min(1, Math.max(0, radius + 0.5 - segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by)));
          if (c > coverage[y * size + x]) coverage[y * size + x] = c;
        }
      }
    }
  }
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < coverage.length; i++) {
    const v = Math.round(255 - coverage[i] * (255 - 0x11));
    data[4 * i] = v;
    data[4 * i + 1] = v;
    data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  return { data, width: size, height: size, channels: 4 };
}
