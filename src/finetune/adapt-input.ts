// Input adaptation for fine-tuning imported models (torchvision, Hugging Face) on MNIST: the backbone is
// rebuilt for a chosen image side (a ViT's position embeddings interpolated bicubically over the patch
// grid, as torchvision's interpolate_embeddings), and put behind Resize -> RepeatChannels -> ChannelNormalize,
// so the saved model takes (1, 28, 28) 0-1 pixels and normalizes them once, inside itself.
import { UsageError, ZerogradError } from '../errors.js';
import type { ModelConfig, Preprocessing } from '../io/model-config.js';
import { buildModel } from '../models/build.js';
import { Backbone } from '../nn/layers/backbone.js';
import { ChannelNormalize, RepeatChannels, Resize } from '../nn/layers/resize.js';
import { VisionTransformer } from '../nn/layers/vit.js';
import type { Sequential } from '../nn/layers/sequential.js';
import type { LayerConfig } from '../nn/module.js';
import { tensor } from '../ops/create.js';
import type { Tensor } from '../tensor/tensor.js';

/** The input of every fine-tuned MNIST model: one 28x28 channel. */
const MNIST_INPUT = [1, 28, 28];

/** The preprocessing of an adapted model: pixels scaled to 0-1 (the model normalizes them itself). */
export const ADAPTED_PREPROCESSING: Readonly<Preprocessing> = Object.freeze({ normalization: { kind: 'scale' as const, mean: 0, std: 1 }, layout: 'image' as const, rows: 28, cols: 28 });

/** True for the layers adaptImported puts in front of a backbone. */
export function isInputAdapter(layer: unknown): boolean {
  return layer instanceof Resize || layer instanceof RepeatChannels || layer instanceof ChannelNormalize;
}

// ---- bicubic interpolation over a grid --------------------------------------------------------

const CUBIC_A = -0.75; // PyTorch's bicubic coefficient

/**
 * (out, in) weights of 1-D cubic convolution from `inSize` to `outSize` samples with PyTorch's
 * align_corners=True convention (source = i * (in - 1) / (out - 1); the end samples coincide), taps clamped at the borders.
 */
export function cubicMatrix(inSize: number, outSize: number): Float64Array {
  const near = (x: number) => ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1; // |x| <= 1
  const far = (x: number) => ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A; // 1 < |x| < 2
  const m = new Float64Array(outSize * inSize);
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  for (let i = 0; i < outSize; i++) {
    const source = i * scale;
    const x0 = Math.floor(source);
    const t = source - x0;
    const weights = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) m[i * inSize + Math.min(inSize - 1, Math.max(0, x0 - 1 + k))] += weights[k];
  }
  return m;
}

/**
 * Resamples a (grid * grid, dim) row-major field of `dim`-vectors to (newGrid * newGrid, dim) by separable bicubic
 * interpolation (align_corners=True, as torchvision's interpolate_embeddings). The same grid returns a copy.
 */
export function interpolateGrid(values: Float32Array, grid: number, newGrid: number, dim: number): Float32Array {
  if (values.length !== grid * grid * dim) throw new UsageError(`interpolateGrid: ${values.length} values are not a ${grid}x${grid} grid of ${dim}-vectors`);
  if (!Number.isInteger(newGrid) || newGrid < 1) throw new UsageError(`interpolateGrid: the new grid side must be a positive integer, got ${newGrid}`);
  if (newGrid === grid) return Float32Array.from(values);
  const m = cubicMatrix(grid, newGrid);
  const alongCols = new Float64Array(grid * newGrid * dim); // (grid rows, newGrid cols, dim)
  for (let r = 0; r < grid; r++) {
    for (let j = 0; j < newGrid; j++) {
      for (let c = 0; c < grid; c++) {
        const w = m[j * grid + c];
        if (w === 0) continue;
        const from = (r * grid + c) * dim;
        const to = (r * newGrid + j) * dim;
        for (let d = 0; d < dim; d++) alongCols[to + d] += w * values[from + d];
      }
    }
  }
  const out = new Float32Array(newGrid * newGrid * dim);
  for (let i = 0; i < newGrid; i++) {
    for (let r = 0; r < grid; r++) {
      const w = m[i * grid + r];
      if (w === 0) continue;
      for (let j = 0; j < newGrid; j++) {
        const from = (r * newGrid + j) * dim;
        const to = (i * newGrid + j) * dim;
        for (let d = 0; d < dim; d++) out[to + d] += w * alongCols[from + d];
      }
    }
  }
  return out;
}

// ---- rebuilding an imported backbone for MNIST ------------------------------------------------

/** True when `model` is one imported backbone whose input is not MNIST's (1, 28, 28). */
export function isImportedBackbone(model: Sequential, config: ModelConfig): boolean {
  const same = config.inputShape.length === MNIST_INPUT.length && config.inputShape.every((d, i) => d === MNIST_INPUT[i]);
  return !same && model.layers.length === 1 && model.layers[0] instanceof Backbone;
}

/**
 * The default image side for fine-tuning `backbone` on MNIST: its own side when that is at most 32;
 * else 32 for a ResNet (ResNet-18 at 32x32: 1x1 maps after its last stage) and, for a ViT, the smallest
 * multiple of the patch size that is at least 32 and gives at least 2x2 patches (ViT-B/16: 32, 2x2 patches).
 */
export function defaultImageSize(backbone: Backbone): number {
  const { imageSize } = backbone.config() as LayerConfig & { imageSize: number };
  if (imageSize <= 32) return imageSize;
  if (backbone instanceof VisionTransformer) {
    const p = backbone.options.patchSize;
    return Math.max(2 * p, Math.ceil(32 / p) * p);
  }
  return 32;
}

/** Refuses an image side `backbone` cannot take, saying which sides it can. */
function checkImageSize(backbone: Backbone, size: number, where: string): void {
  if (!Number.isInteger(size) || size < 1 || size > 1024) throw new UsageError(`${where}: the image side must be an integer from 1 to 1024, got ${size}`);
  if (backbone instanceof VisionTransformer) {
    const p = backbone.options.patchSize;
    if (size % p !== 0) {
      throw new UsageError(`${where}: ${size} is not a multiple of the ViT's patch size ${p}; sides that work: ${[1, 2, 3, 4].map((k) => k * p).join(', ')}, ... (${p}x${p} patches, grids 1x1, 2x2, ...)`);
    }
  } else if (size < 8) {
    throw new UsageError(`${where}: ${size} is too small for a ResNet; use at least 8 (32 is the default)`);
  }
}

/** An imported backbone behind the input adaptation layers, and what was done. */
export interface AdaptedModel {
  model: Sequential;
  backbone: Backbone;
  imageSize: number;
  /** One line, e.g. "Resize 28->32, RepeatChannels(3), ChannelNormalize(ImageNet...), position embeddings 14x14->2x2 (bicubic)". */
  summary: string;
}

/** The per-channel mean and std the imported model was pretrained with (config.json's channelStats, else its channel averages). */
export function channelStatsOf(config: ModelConfig, channels: number): { mean: number[]; std: number[] } {
  const stats = config.preprocessing.channelStats;
  const { normalization } = config.preprocessing;
  const spread = (list: number[] | undefined, average: number) => (list && list.length === channels ? [...list] : list && list.length === 1 ? Array(channels).fill(list[0]) : Array(channels).fill(average));
  if (normalization.kind === 'scale') return { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  return { mean: spread(stats?.mean, normalization.mean), std: spread(stats?.std, normalization.std) };
}

/**
 * Rebuilds the imported backbone in `model` (config.json `config`) for `imageSize` (default defaultImageSize)
 * and puts it behind Resize(28 -> S), RepeatChannels (when it takes several channels) and ChannelNormalize with
 * its pretraining statistics. A ViT's position embeddings are resampled to the new patch grid; its class token is kept.
 * `model` is used up: its weights are copied into the new model and disposed.
 */
export function adaptImported(model: Sequential, config: ModelConfig, imageSize: number | undefined, where: string): AdaptedModel {
  const old = model.layers[0] as Backbone;
  const size = imageSize ?? defaultImageSize(old);
  checkImageSize(old, size, where);
  const layerConfig = old.config() as LayerConfig & { channels: number; imageSize: number };
  const { channels } = layerConfig;
  const { mean, std } = channelStatsOf(config, channels);
  const adapters: LayerConfig[] = [
    { type: 'Resize', height: size, width: size },
    ...(channels > 1 ? [{ type: 'RepeatChannels', channels }] : []),
    { type: 'ChannelNormalize', mean, std },
  ];
  let adapted: Sequential;
  try {
    adapted = buildModel({ type: 'Sequential', inputShape: [...MNIST_INPUT], layers: [...adapters, { ...layerConfig, imageSize: size }] }, where);
  } catch (err) {
    if (!(err instanceof ZerogradError)) throw err;
    throw new UsageError(`${where}: cannot rebuild the model for ${size}x${size} images: ${err.message}`);
  }
  const backbone = adapted.layers[adapted.layers.length - 1] as Backbone;
  const state = new Map(old.stateDict());
  const steps = [`Resize 28->${size}`, ...(channels > 1 ? [`RepeatChannels(${channels})`] : []), `ChannelNormalize(mean ${fmt(mean)}, std ${fmt(std)})`];
  if (old instanceof VisionTransformer) {
    const p = old.options.patchSize;
    const [grid, newGrid] = [old.options.imageSize / p, size / p];
    const pos = state.get('posEmbed') as Tensor;
    const dim = pos.shape[2];
    state.set('posEmbed', tensor(interpolateGrid(Float32Array.from(pos.data()), grid, newGrid, dim), { shape: [1, newGrid * newGrid, dim] }));
    steps.push(grid === newGrid ? `position embeddings ${grid}x${grid} (unchanged)` : `position embeddings ${grid}x${grid}->${newGrid}x${newGrid} (bicubic, align_corners; class token kept)`);
  }
  backbone.loadStateDict(state);
  for (const t of [...state.values(), ...old.stateDict().values()]) t.dispose(); // copied: `model`'s weights are spent (ViT-B/16: 344 MB each)
  return { model: adapted, backbone, imageSize: size, summary: steps.join(', ') };
}

const fmt = (list: number[]) => `[${list.map((v) => String(Math.round(v * 1000) / 1000)).join(', ')}]`;
