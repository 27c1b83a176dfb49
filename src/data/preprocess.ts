// MNIST-style preprocessing of user images (photos, canvas drawings), as the original set was
// made: grayscale, invert a light background, crop to the ink, fit a 20x20 box keeping the
// aspect ratio, and center by center of mass in a 28x28 field. Output: 784 floats, 0 = background, 1 = ink.
import { DataError } from '../errors.js';
import type { PixelImage } from './image.js';

const FIELD = 28;
const BOX = 20;

/** Options of `preprocessDigit`. */
export interface PreprocessOptions {
  /** Invert gray levels: 'auto' (default) inverts when the border is light (dark ink on paper). */
  invert?: 'auto' | boolean;
  /** Ink below this fraction of the contrast is treated as background noise. Default 0.1. */
  noise?: number;
}

/** Grayscale 0-1 (0 = black) of any channel layout; transparent pixels are composited over white. */
export function toGray(image: PixelImage): Float32Array {
  const { data, width, height, channels } = image;
  const n = width * height;
  if (!(width > 0 && height > 0)) throw new DataError(`image is empty (${width}x${height})`);
  if (data.length < n * channels) throw new DataError(`image data has ${data.length} bytes, expected ${width}x${height}x${channels}`);
  const gray = new Float32Array(n);
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    let lum: number;
    let alpha = 255;
    if (channels >= 3) {
      lum = 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
      if (channels === 4) alpha = data[o + 3];
    } else {
      lum = data[o];
      if (channels === 2) alpha = data[o + 1];
    }
    gray[i] = (lum * alpha + 255 * (255 - alpha)) / (255 * 255);
  }
  return gray;
}

/** Median of the border pixels: the background level. */
function borderMedian(values: Float32Array, width: number, height: number): number {
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(values[x], values[(height - 1) * width + x]);
  for (let y = 1; y < height - 1; y++) border.push(values[y * width], values[y * width + width - 1]);
  border.sort((p, q) => p - q);
  return border[border.length >> 1];
}

/**
 * Turns a decoded image of any size into a 28x28 MNIST-like digit: (H, W, C) bytes -> (784) floats 0-1.
 * Throws DataError when the image has no visible ink (e.g. a blank canvas).
 */
export function preprocessDigit(image: PixelImage, options: PreprocessOptions = {}): Float32Array {
  const { width, height } = image;
  const gray = toGray(image);
  const invert = options.invert ?? 'auto';
  const shouldInvert = invert === 'auto' ? borderMedian(gray, width, height) > 0.5 : invert;
  const ink = shouldInvert ? gray.map((v) => 1 - v) : gray;

  // Stretch contrast between the background level and the darkest ink, soft-threshold the noise.
  const background = borderMedian(ink, width, height);
  let peak = 0;
  for (let i = 0; i < ink.length; i++) if (ink[i] > peak) peak = ink[i];
  if (peak - background < 0.05) throw new DataError(`image (${width}x${height}) has no visible ink: it is almost uniform`);
  const noise = options.noise ?? 0.1;
  const range = peak - background;
  let left = width, right = -1, top = height, bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = ((ink[i] - background) / range - noise) / (1 - noise);
      ink[i] = v > 0 ? v : 0;
      if (v > 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }

  // Crop to the ink and resize so the longer side is 20 pixels.
  const cropWidth = right - left + 1;
  const cropHeight = bottom - top + 1;
  const scale = BOX / Math.max(cropWidth, cropHeight);
  const boxWidth = Math.max(1, Math.min(BOX, Math.round(cropWidth * scale)));
  const boxHeight = Math.max(1, Math.min(BOX, Math.round(cropHeight * scale)));
  const box = resize(ink, width, left, top, cropWidth, cropHeight, boxWidth, boxHeight);

  // Center of mass of the box, moved to the center of the 28x28 field (kept fully inside).
  let mass = 0, sumX = 0, sumY = 0, boxPeak = 0;
  for (let y = 0; y < boxHeight; y++) {
    for (let x = 0; x < boxWidth; x++) {
      const v = box[y * boxWidth + x];
      mass += v; sumX += v * x; sumY += v * y;
      if (v > boxPeak) boxPeak = v;
    }
  }
  const center = FIELD / 2; // MNIST digits have their center of mass at pixel (14, 14) on average
  const offsetX = clamp(Math.round(center - sumX / mass), 0, FIELD - boxWidth);
  const offsetY = clamp(Math.round(center - sumY / mass), 0, FIELD - boxHeight);
  const out = new Float32Array(FIELD * FIELD);
  const gain = boxPeak > 0 ? 1 / boxPeak : 1; // thin strokes fade when shrunk: restore full ink
  for (let y = 0; y < boxHeight; y++) {
    for (let x = 0; x < boxWidth; x++) {
      out[(offsetY + y) * FIELD + offsetX + x] = Math.min(1, box[y * boxWidth + x] * gain);
    }
  }
  return out;
}

/**
 * Resizes a crop of a one-channel image with a separable triangle filter whose support grows
 * with the shrink factor (antialiased downscaling, bilinear upscaling).
 */
export function resize(
  src: Float32Array, srcWidth: number, left: number, top: number,
  width: number, height: number, outWidth: number, outHeight: number,
): Float32Array {
  const horizontal = filterWeights(width, outWidth);
  const vertical = filterWeights(height, outHeight);
  const temp = new Float32Array(height * outWidth); // (height, outWidth)
  for (let y = 0; y < height; y++) {
    const row = (top + y) * srcWidth + left;
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      const { start, weights } = horizontal[x];
      for (let k = 0; k < weights.length; k++) sum += weights[k] * src[row + start + k];
      temp[y * outWidth + x] = sum;
    }
  }
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const { start, weights } = vertical[y];
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * temp[(start + k) * outWidth + x];
      out[y * outWidth + x] = sum;
    }
  }
  return out;
}

/** Per output sample: first input index and normalized triangle-filter weights. */
function filterWeights(inSize: number, outSize: number): { start: number; weights: Float64Array }[] {
  const ratio = inSize / outSize;
  const support = Math.max(1, ratio); // filter half-width in input pixels
  const result: { start: number; weights: Float64Array }[] = [];
  for (let o = 0; o < outSize; o++) {
    const centerIn = (o + 0.5) * ratio - 0.5;
    const start = Math.max(0, Math.ceil(centerIn - support));
    const end = Math.min(inSize - 1, Math.floor(centerIn + support));
    const weights = new Float64Array(Math.max(1, end - start + 1));
    let total = 0;
    for (let i = start; i <= end; i++) {
      const w = Math.max(0, 1 - Math.abs(i - centerIn) / support);
      weights[i - start] = w;
      total += w;
    }
    if (total > 0) for (let k = 0; k < weights.length; k++) weights[k] /= total;
    else weights[Math.min(weights.length - 1, Math.max(0, Math.round(centerIn) - start))] = 1;
    result.push({ start, weights });
  }
  return result;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
