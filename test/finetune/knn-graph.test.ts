// The k-nearest-neighbour graph of pseudo-label refinement (against a brute-force float64 search on small
// images) and label smoothing over it (rows stay distributions; a lone disagreeing image is outvoted).
import { describe, expect, it } from 'vitest';
import * as zg from '../../src/index.js';
import { knnGraph, smoothOverGraph } from '../../src/finetune/knn-graph.js';

function bruteForce(images: Float32Array, count: number, side: number, k: number): number[][] {
  const h = side / 2;
  const pooled = Array.from({ length: count }, (_, n) => {
    const v: number[] = [];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < h; x++) {
        const p = n * side * side + 2 * y * side + 2 * x;
        v.push((images[p] + images[p + 1] + images[p + side] + images[p + side + 1]) / 4);
      }
    }
    const norm = Math.hypot(...v);
    return v.map((e) => e / norm);
  });
  return pooled.map((a, i) => pooled
    .map((b, j) => ({ j, s: a.reduce((sum, e, q) => sum + e * b[q], 0) }))
    .filter(({ j }) => j !== i)
    .sort((p, q) => q.s - p.s || p.j - q.j)
    .slice(0, k)
    .map(({ j }) => j));
}

describe('knnGraph', () => {
  it('finds the same nearest neighbours as a brute-force search, nearest first', async () => {
    zg.setBackend(await zg.init('wasm', { threads: 1 }));
    zg.manualSeed(9);
    const count = 300;
    const images = zg.rand([count * 64]).values();
    const expected = bruteForce(images, count, 8, 5);
    // one block, and blocks that do not divide the count (rows 64, columns 70)
    for (const graph of [knnGraph(images, count, [1, 8, 8], 5), knnGraph(images, count, [1, 8, 8], 5, { rows: 64, columns: 70 })]) {
      for (let i = 0; i < count; i++) expect(Array.from(graph.subarray(i * 5, i * 5 + 5))).toEqual(expected[i]);
    }
  });

  it('rejects impossible neighbour counts and shapes', () => {
    const images = new Float32Array(4 * 16).fill(1);
    expect(() => knnGraph(images, 4, [1, 4, 4], 4)).toThrow(/neighbours must be an integer from 1 to 3, got 4/);
    expect(() => knnGraph(images, 4, [16], 2)).toThrow(/expected images of shape \(channels, height, width\)/);
  });
});

describe('smoothOverGraph', () => {
  it('keeps rows summing to 1 and lets a cluster outvote one member', () => {
    // 4 images all neighbours of each other; image 3 leans to class 1, the rest say class 0.
    const p = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.9, 0.1, 0.45, 0.55]);
    const neighbors = Int32Array.from([1, 2, 3, 0, 2, 3, 0, 1, 3, 0, 1, 2]);
    const out = smoothOverGraph(p, 2, neighbors, 3, 0.5);
    for (let i = 0; i < 4; i++) expect(out[2 * i] + out[2 * i + 1]).toBeCloseTo(1, 6);
    expect(out[6]).toBeGreaterThan(out[7]); // image 3 now says class 0
    expect(smoothOverGraph(p, 2, neighbors, 3, 0)).toEqual(p); // weight 0: unchanged
    expect(() => smoothOverGraph(p, 2, neighbors, 3, 1.5)).toThrow(/weight must be in \[0, 1\], got 1.5/);
  });
});
