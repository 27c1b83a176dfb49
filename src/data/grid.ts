// Sample grids: many small images tiled into one PNG, to look at a data set or its augmentation.
import { encodePng } from './image.js';

/** Options of `renderGrid`. */
export interface GridOptions {
  count: number;
  rows: number;
  cols: number;
  /** Images per grid row; default ceil(sqrt(count)). */
  columns?: number;
  /** Integer upscaling of each pixel; default 2. */
  zoom?: number;
  /** Gap between images in output pixels; default 2. */
  gap?: number;
  /** Value shown as black and as white; default [0, 1] (floats) or [0, 255] (bytes). */
  range?: [number, number];
}

/** Tiles (count, rows*cols) images into a grid, white ink on black, and encodes it as PNG. */
export function renderGrid(images: Float32Array | Uint8Array, options: GridOptions): Buffer {
  const { count, rows, cols } = options;
  const columns = options.columns ?? Math.max(1, Math.ceil(Math.sqrt(count)));
  const gridRows = Math.max(1, Math.ceil(count / columns));
  const zoom = options.zoom ?? 2;
  const gap = options.gap ?? 2;
  const [lo, hi] = options.range ?? (images instanceof Uint8Array ? [0, 255] : [0, 1]);
  const tileWidth = cols * zoom;
  const tileHeight = rows * zoom;
  const width = columns * tileWidth + (columns + 1) * gap;
  const height = gridRows * tileHeight + (gridRows + 1) * gap;
  const out = new Uint8Array(width * height).fill(64); // gray gaps
  const size = rows * cols;
  for (let n = 0; n < count; n++) {
    const left = gap + (n % columns) * (tileWidth + gap);
    const top = gap + Math.floor(n / columns) * (tileHeight + gap);
    for (let y = 0; y < tileHeight; y++) {
      for (let x = 0; x < tileWidth; x++) {
        const v = images[n * size + Math.floor(y / zoom) * cols + Math.floor(x / zoom)];
        const t = (v - lo) / (hi - lo);
        out[(top + y) * width + left + x] = Math.round(255 * (t < 0 ? 0 : t > 1 ? 1 : t));
      }
    }
  }
  return encodePng(out, width, height, 1);
}
