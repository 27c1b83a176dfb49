// Drawing a saliency map over its digit: the digit in gray, pixels that raise the class score
// in red and pixels that lower it in blue, opacity by strength. RGBA bytes out (for PNG or canvas).

/** Gray digit (rows*cols, 0-1 ink) with a signed heat map on top, scaled `scale` times: RGBA bytes. */
export function saliencyOverlay(pixels: Float32Array, scores: Float32Array, rows: number, cols: number, scale = 10): Uint8ClampedArray<ArrayBuffer> {
  const width = cols * scale;
  const height = rows * scale;
  const out = new Uint8ClampedArray(width * height * 4);
  let peak = 0;
  for (const s of scores) peak = Math.max(peak, Math.abs(s));
  const norm = peak > 0 ? 1 / peak : 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = Math.floor(y / scale) * cols + Math.floor(x / scale);
      const ink = 255 - Math.round(255 * Math.min(1, Math.max(0, pixels[i]))); // dark ink on white
      const strength = Math.min(1, Math.sqrt(Math.abs(scores[i]) * norm)); // sqrt: faint evidence stays visible
      const [r, g, b] = scores[i] >= 0 ? [220, 30, 30] : [30, 80, 230];
      const o = (y * width + x) * 4;
      out[o] = ink + (r - ink) * strength;
      out[o + 1] = ink + (g - ink) * strength;
      out[o + 2] = ink + (b - ink) * strength;
      out[o + 3] = 255;
    }
  }
  return out;
}

/** The gray digit alone, scaled: RGBA bytes (dark ink on white). */
export function digitImage(pixels: Float32Array, rows: number, cols: number, scale = 10): Uint8ClampedArray<ArrayBuffer> {
  return saliencyOverlay(pixels, new Float32Array(rows * cols), rows, cols, scale);
}

/** Places RGBA images side by side with a `gap`-pixel white margin around each. */
export function sideBySide(images: readonly Uint8ClampedArray[], width: number, height: number, gap = 8): { data: Uint8ClampedArray; width: number; height: number } {
  const totalWidth = images.length * (width + gap) + gap;
  const totalHeight = height + 2 * gap;
  const data = new Uint8ClampedArray(totalWidth * totalHeight * 4).fill(255);
  images.forEach((image, k) => {
    const left = gap + k * (width + gap);
    for (let y = 0; y < height; y++) {
      data.set(image.subarray(y * width * 4, (y + 1) * width * 4), ((gap + y) * totalWidth + left) * 4);
    }
  });
  return { data, width: totalWidth, height: totalHeight };
}
