// On-the-fly augmentation of float image batches: a random affine warp (translation, rotation,
// scale, shear) plus optional elastic distortion, all in one bilinear resampling pass per image.
import { UsageError } from '../errors.js';
import { toRandom, type Random } from './rng.js';

/** Ranges of the random distortions; 0 turns one off. */
export interface AugmentOptions {
  /** Max shift in pixels, uniform in [-t, t] per axis. Default 2. */
  translate?: number;
  /** Max rotation in degrees, uniform in [-r, r]. Default 10. */
  rotate?: number;
  /** Max relative scale change, uniform in [1-s, 1+s]. Default 0.1. */
  scale?: number;
  /** Max shear angle in degrees, uniform in [-h, h]. Default 8. */
  shear?: number;
  /** Elastic displacement: std in pixels at the control points. Default 0 (off); 1-2 is typical. */
  elastic?: number;
  /** Control-grid cells across the image for the elastic field (smoothness). Default 4. */
  elasticGrid?: number;
}

/** The affine-only defaults. */
export const DEFAULT_AUGMENT: Readonly<Required<AugmentOptions>> = Object.freeze({
  translate: 2, rotate: 10, scale: 0.1, shear: 8, elastic: 0, elasticGrid: 4,
});

/**
 * Seeded random distortion of image batches. Parameters are drawn once per batch (6 affine
 * numbers and a coarse displacement grid per image); the elastic field is that grid upsampled
 * bilinearly, a cheap stand-in for a Gaussian-smoothed per-pixel random field.
 */
export class Augmenter {
  readonly options: Readonly<Required<AugmentOptions>>;
  private readonly rng: Random;
  private affine = new Float64Array(0); // (count, 6): a b c d tx ty of the inverse map
  private grid = new Float64Array(0); // (count, 2, G+1, G+1) control displacements
  private axisCache = new Map<number, { cell: Int32Array; frac: Float64Array }>();

  constructor(options: AugmentOptions = {}, seed: number | Random = 0) {
    const merged = { ...DEFAULT_AUGMENT, ...options };
    for (const [key, value] of Object.entries(merged)) {
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        throw new UsageError(`augmentation ${key} must be a non-negative number, got ${value}`);
      }
    }
    if (merged.scale >= 1) throw new UsageError(`augmentation scale must be below 1 (a relative change), got ${merged.scale}`);
    if (!Number.isInteger(merged.elasticGrid) || merged.elasticGrid < 1) {
      throw new UsageError(`augmentation elasticGrid must be a positive integer, got ${merged.elasticGrid}`);
    }
    this.options = Object.freeze(merged);
    this.rng = toRandom(seed);
  }

  /**
   * Warps `count` images of rows x cols from `src` into `dst` (distinct buffers of at least
   * count*rows*cols floats). Pixels sampled from outside the image get `fill` (the background).
   */
  apply(src: Float32Array, dst: Float32Array, count: number, rows: number, cols: number, fill = 0): void {
    const size = rows * cols;
    if (src.length < count * size || dst.length < count * size) {
      throw new UsageError(`augment: buffers hold ${Math.min(src.length, dst.length)} floats, need ${count}x${rows}x${cols}`);
    }
    if (src === dst) throw new UsageError('augment: src and dst must be different buffers');
    this.drawParameters(count);
    const elastic = this.options.elastic > 0;
    const g1 = this.options.elasticGrid + 1;
    const xAxis = this.axis(cols);
    const yAxis = this.axis(rows);
    const xCell = xAxis.cell, xFrac = xAxis.frac;
    const grid = this.grid, affine = this.affine;
    const rowFieldX = new Float64Array(g1);
    const rowFieldY = new Float64Array(g1);
    const cx = (cols - 1) / 2;
    const cy = (rows - 1) / 2;
    const lastX = cols - 1, lastY = rows - 1;
    for (let n = 0; n < count; n++) {
      const p = n * 6;
      const a = affine[p], b = affine[p + 1], c = affine[p + 2], d = affine[p + 3];
      const tx = affine[p + 4], ty = affine[p + 5];
      const base = n * size;
      const gridBase = n * 2 * g1 * g1;
      for (let y = 0; y < rows; y++) {
        if (elastic) {
          // Interpolate the control grid along y once per row: (G+1) values per component.
          const cell = yAxis.cell[y], f = yAxis.frac[y];
          for (let j = 0; j < g1; j++) {
            const top = gridBase + cell * g1 + j;
            rowFieldX[j] = grid[top] * (1 - f) + grid[top + g1] * f;
            rowFieldY[j] = grid[top + g1 * g1] * (1 - f) + grid[top + g1 * g1 + g1] * f;
          }
        }
        const dy = y - cy - ty;
        let sx = a * (-cx - tx) + b * dy + cx; // source x of output (0, y), then += a per column
        let sy = c * (-cx - tx) + d * dy + cy;
        let out = base + y * cols;
        for (let x = 0; x < cols; x++, sx += a, sy += c, out++) {
          let px = sx, py = sy;
          if (elastic) {
            const cell = xCell[x], f = xFrac[x];
            px += rowFieldX[cell] + (rowFieldX[cell + 1] - rowFieldX[cell]) * f;
            py += rowFieldY[cell] + (rowFieldY[cell + 1] - rowFieldY[cell]) * f;
          }
          // Bilinear sample at (px, py); (v + 1) | 0 - 1 floors for v > -1, anything below is outside.
          if (!(px > -1 && py > -1 && px < cols && py < rows)) { dst[out] = fill; continue; }
          const x0 = ((px + 1) | 0) - 1, y0 = ((py + 1) | 0) - 1;
          const fx = px - x0, fy = py - y0;
          let v00: number, v01: number, v10: number, v11: number;
          if (x0 >= 0 && y0 >= 0 && x0 < lastX && y0 < lastY) {
            const o = base + y0 * cols + x0;
            v00 = src[o]; v01 = src[o + 1]; v10 = src[o + cols]; v11 = src[o + cols + 1];
          } else {
            const o = base + y0 * cols + x0;
            const inX0 = x0 >= 0, inX1 = x0 < lastX, inY0 = y0 >= 0, inY1 = y0 < lastY;
            v00 = inX0 && inY0 ? src[o] : fill;
            v01 = inX1 && inY0 ? src[o + 1] : fill;
            v10 = inX0 && inY1 ? src[o + cols] : fill;
            v11 = inX1 && inY1 ? src[o + cols + 1] : fill;
          }
          const top = v00 + (v01 - v00) * fx;
          const bottom = v10 + (v11 - v10) * fx;
          dst[out] = top + (bottom - top) * fy;
        }
      }
    }
  }

  /** Draws this batch's parameters: inverse affine maps and elastic control grids. */
  private drawParameters(count: number): void {
    const { translate, rotate, scale, shear, elastic, elasticGrid } = this.options;
    const rng = this.rng;
    if (this.affine.length < count * 6) this.affine = new Float64Array(count * 6);
    const uniform = (max: number): number => (max === 0 ? 0 : (2 * rng.uniform() - 1) * max);
    const toRad = Math.PI / 180;
    for (let n = 0; n < count; n++) {
      const theta = uniform(rotate) * toRad;
      const phi = uniform(shear) * toRad;
      const s = 1 + uniform(scale);
      // Forward map M = R(theta) * Shear(phi) * s; the warp samples with its inverse.
      const cos = Math.cos(theta), sin = Math.sin(theta), tan = Math.tan(phi);
      const m00 = s * cos, m01 = s * (cos * tan - sin), m10 = s * sin, m11 = s * (sin * tan + cos);
      const det = m00 * m11 - m01 * m10;
      const p = n * 6;
      this.affine[p] = m11 / det;
      this.affine[p + 1] = -m01 / det;
      this.affine[p + 2] = -m10 / det;
      this.affine[p + 3] = m00 / det;
      this.affine[p + 4] = uniform(translate);
      this.affine[p + 5] = uniform(translate);
    }
    if (elastic > 0) {
      const g1 = elasticGrid + 1;
      const length = count * 2 * g1 * g1;
      if (this.grid.length < length) this.grid = new Float64Array(length);
      for (let k = 0; k < length; k++) this.grid[k] = rng.normal() * elastic;
    }
  }

  /** For each pixel along an axis of `length`: its elastic-grid cell and position inside it. */
  private axis(length: number): { cell: Int32Array; frac: Float64Array } {
    let cached = this.axisCache.get(length);
    if (!cached) {
      const cells = this.options.elasticGrid;
      const cell = new Int32Array(length);
      const frac = new Float64Array(length);
      for (let i = 0; i < length; i++) {
        const g = length > 1 ? (i * cells) / (length - 1) : 0;
        cell[i] = Math.min(cells - 1, Math.floor(g));
        frac[i] = g - cell[i];
      }
      cached = { cell, frac };
      this.axisCache.set(length, cached);
    }
    return cached;
  }
}
