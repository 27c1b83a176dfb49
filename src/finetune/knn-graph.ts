// Pseudo-label refinement over a k-nearest-neighbour graph of the unlabeled images (`finetune --pseudo-graph K`):
// neighbours by cosine similarity of 2x2-average-pooled pixels (96% of MNIST images' 10 nearest share their class),
// then label smoothing: each image's probabilities are pulled towards its neighbours' predicted classes, so a
// mistake the model makes on a few images of a cluster is outvoted by the rest of the cluster.
import { UsageError } from '../errors.js';
import { argmaxRows } from '../metrics/index.js';
import { matmul, tensor, transpose } from '../ops/index.js';
import { noGrad, scope } from '../tensor/engine.js';

/** Rows of the similarity matrix computed at once, and columns. */
const ROW_BLOCK = 1024;
const COLUMN_BLOCK = 4096;

/** Images (count, channels, height, width) -> (count, channels, height/2, width/2) means of 2x2 pixels, rows scaled to unit length. */
function pooledUnitRows(images: Float32Array, count: number, shape: readonly number[]): { rows: Float32Array; dim: number } {
  const [channels, height, width] = shape;
  const h = height >> 1, w = width >> 1;
  const dim = channels * h * w;
  const rows = new Float32Array(count * dim);
  for (let n = 0; n < count; n++) {
    const src = n * channels * height * width;
    const dst = n * dim;
    let norm = 0;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const p = src + (c * height + 2 * y) * width + 2 * x;
          const v = 0.25 * (images[p] + images[p + 1] + images[p + width] + images[p + width + 1]);
          rows[dst + (c * h + y) * w + x] = v;
          norm += v * v;
        }
      }
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < dim; i++) rows[dst + i] *= scale;
  }
  return { rows, dim };
}

/**
 * The k nearest neighbours of every image (itself excluded) by cosine similarity of 2x2-pooled pixels:
 * (count * k) indices, row by row, nearest first. `shape` is one image's (channels, height, width). The
 * similarities are computed in (blocks.rows x blocks.columns) pieces (defaults 1024 x 4096, 16 MB).
 */
export function knnGraph(images: Float32Array, count: number, shape: readonly number[], k: number,
  blocks: { rows: number; columns: number } = { rows: ROW_BLOCK, columns: COLUMN_BLOCK }): Int32Array {
  if (shape.length !== 3 || shape[1] < 2 || shape[2] < 2) throw new UsageError(`knn graph: expected images of shape (channels, height, width), got (${shape.join(', ')})`);
  if (!Number.isInteger(k) || k < 1 || k >= count) throw new UsageError(`knn graph: neighbours must be an integer from 1 to ${count - 1}, got ${k}`);
  const { rows, dim } = pooledUnitRows(images, count, shape);
  const bestIndex = new Int32Array(count * k).fill(-1);
  const bestValue = new Float32Array(count * k).fill(-Infinity);
  const floor = new Float32Array(count).fill(-Infinity); // the k-th best similarity so far, per row
  noGrad(() => {
    for (let j0 = 0; j0 < count; j0 += blocks.columns) {
      const cols = Math.min(blocks.columns, count - j0);
      scope(() => {
        const right = transpose(tensor(rows.subarray(j0 * dim, (j0 + cols) * dim), { shape: [cols, dim] }));
        for (let i0 = 0; i0 < count; i0 += blocks.rows) {
          const m = Math.min(blocks.rows, count - i0);
          const similarity = scope(() => matmul(tensor(rows.subarray(i0 * dim, (i0 + m) * dim), { shape: [m, dim] }), right).values());
          for (let r = 0; r < m; r++) {
            const i = i0 + r;
            const base = i * k;
            let low = floor[i];
            for (let c = 0; c < cols; c++) {
              const v = similarity[r * cols + c];
              if (v <= low || j0 + c === i) continue;
              // replace the current worst of the k, then find the new worst
              let worst = 0;
              for (let q = 1; q < k; q++) if (bestValue[base + q] < bestValue[base + worst]) worst = q;
              bestValue[base + worst] = v;
              bestIndex[base + worst] = j0 + c;
              low = Infinity;
              for (let q = 0; q < k; q++) if (bestValue[base + q] < low) low = bestValue[base + q];
            }
            floor[i] = low;
          }
        }
      });
    }
  });
  // nearest first
  for (let i = 0; i < count; i++) {
    const order = Array.from({ length: k }, (_, q) => q).sort((a, b) => bestValue[i * k + b] - bestValue[i * k + a] || bestIndex[i * k + a] - bestIndex[i * k + b]);
    const indices = order.map((q) => bestIndex[i * k + q]);
    bestIndex.set(indices, i * k);
  }
  return bestIndex;
}

/**
 * Label smoothing over the graph: `iterations` times, P <- (1 - weight) P0 + weight * (share of each class among
 * the neighbours' current top classes), starting from P0 = `probabilities` ((count, classes), rows summing to 1).
 * Rows of the result still sum to 1.
 */
export function smoothOverGraph(probabilities: Float32Array, classes: number, neighbors: Int32Array, k: number, weight: number, iterations = 3): Float32Array {
  if (!(weight >= 0 && weight <= 1)) throw new UsageError(`graph smoothing weight must be in [0, 1], got ${weight}`);
  const count = probabilities.length / classes;
  if (neighbors.length !== count * k) throw new UsageError(`graph smoothing: ${neighbors.length / k} graph rows for ${count} examples`);
  let current = probabilities;
  for (let step = 0; step < iterations; step++) {
    const top = argmaxRows(current, classes);
    const next = new Float32Array(probabilities.length);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < classes; c++) next[i * classes + c] = (1 - weight) * probabilities[i * classes + c];
      for (let q = 0; q < k; q++) next[i * classes + top[neighbors[i * k + q]]] += weight / k;
    }
    current = next;
  }
  return current;
}
