// Vision transformer backbone: images cut into patches, a Dense patch embedding plus learned
// position embeddings, pre-norm transformer blocks, a final LayerNorm, class-token or mean pooling
// and a linear head. embed() / encode() are exposed separately so MAE can encode visible patches only.
import { ShapeError } from '../../errors.js';
import { randn } from '../../ops/create.js';
import { add } from '../../ops/elementwise.js';
import { concat, expand, permute, reshape, slice } from '../../ops/movement.js';
import { mean } from '../../ops/reduce.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type LayerConfig, type Shape } from '../module.js';
import type { ActivationName } from '../activations.js';
import { childNamed, layerNormEps, TransformerBlock } from './attention.js';
import { Backbone } from './backbone.js';
import { Dense } from './dense.js';
import { LayerNorm } from './norm.js';
import { Sequential } from './sequential.js';

/** Cuts images into non-overlapping square patches: (B, C, H, W) -> (B, N, C*p*p), row-major patch order. */
export function patchify(images: Tensor, patchSize: number): Tensor {
  if (images.rank !== 4) throw new ShapeError(`patchify: expects images (batch, channels, height, width), got ${formatShape(images.shape)}`);
  const [batch, channels, height, width] = images.shape;
  const p = patchSize;
  if (height % p !== 0 || width % p !== 0) throw new ShapeError(`patchify: ${height}x${width} images do not split into ${p}x${p} patches`);
  const [rows, cols] = [height / p, width / p];
  const grid = reshape(images, [batch, channels, rows, p, cols, p]);
  return reshape(permute(grid, [0, 2, 4, 1, 3, 5]), [batch, rows * cols, channels * p * p]); // (B, rows, cols, C, p, p)
}

/** The inverse of patchify: (B, N, C*p*p) -> (B, C, H, W) for `channels` and a square grid. */
export function unpatchify(patches: Tensor, patchSize: number, channels: number): Tensor {
  const [batch, count] = patches.shape;
  const side = Math.round(Math.sqrt(count));
  const p = patchSize;
  if (patches.rank !== 3 || side * side !== count || patches.shape[2] !== channels * p * p) {
    throw new ShapeError(`unpatchify: expects (batch, square number of patches, ${channels * p * p}), got ${formatShape(patches.shape)}`);
  }
  const grid = reshape(patches, [batch, side, side, channels, p, p]);
  return reshape(permute(grid, [0, 3, 1, 4, 2, 5]), [batch, channels, side * p, side * p]);
}

// ---------------------------------------------------------------------------------------------

export interface PatchEmbeddingOptions {
  imageSize: number;
  patchSize: number;
  channels: number;
  dim: number;
}

/** Patchify + Dense projection: (B, C, H, W) -> (B, N, D). Child 'proj' (C*p*p -> D). */
export class PatchEmbedding extends Module {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly dim: number;
  /** Patches per image, N = (imageSize / patchSize)^2. */
  readonly patches: number;

  constructor(options: PatchEmbeddingOptions) {
    super();
    const { imageSize, patchSize, channels, dim } = options;
    for (const [key, value] of Object.entries({ imageSize, patchSize, channels, dim })) {
      if (!Number.isInteger(value) || value < 1) throw new ShapeError(`PatchEmbedding: ${key} must be a positive integer, got ${value}`);
    }
    if (imageSize % patchSize !== 0) {
      const fits = Array.from({ length: imageSize }, (_, p) => p).filter((p) => p > 1 && p < imageSize && imageSize % p === 0);
      throw new ShapeError(`PatchEmbedding: imageSize ${imageSize} is not divisible by patchSize ${patchSize}; patch sizes that fit: ${fits.join(', ')}`);
    }
    this.imageSize = imageSize;
    this.patchSize = patchSize;
    this.channels = channels;
    this.dim = dim;
    this.patches = (imageSize / patchSize) ** 2;
    this.addChild('proj', new Dense({ units: dim, inputDim: channels * patchSize * patchSize }));
  }

  /** Accepts (B, C, H, W) or flat (B, C*H*W) images. */
  toImages(x: Tensor): Tensor {
    const s = this.imageSize;
    if (x.rank === 2 && x.shape[1] === this.channels * s * s) return reshape(x, [x.shape[0], this.channels, s, s]);
    if (x.rank !== 4 || x.shape[1] !== this.channels || x.shape[2] !== s || x.shape[3] !== s) {
      throw new ShapeError(`PatchEmbedding: expects images (batch, ${this.channels}, ${s}, ${s}) or (batch, ${this.channels * s * s}), got ${formatShape(x.shape)}`);
    }
    return x;
  }

  // (B, C, H, W) -> (B, N, D)
  forward(x: Tensor): Tensor {
    return childNamed(this, 'proj').forward(patchify(this.toImages(x), this.patchSize));
  }

  outputShape(_inputShape: Shape): number[] {
    return [this.patches, this.dim];
  }

  config(): LayerConfig {
    return { type: 'PatchEmbedding', imageSize: this.imageSize, patchSize: this.patchSize, channels: this.channels, dim: this.dim };
  }
}

// ---------------------------------------------------------------------------------------------

export interface VisionTransformerOptions {
  /** Square input side in pixels. Default 28. */
  imageSize?: number;
  /** Input channels. Default 1. */
  channels?: number;
  /** Patch side; must divide imageSize. Default 7 (16 patches). */
  patchSize?: number;
  /** Token width. Default 128. */
  dim?: number;
  /** Transformer blocks. Default 6. */
  depth?: number;
  /** Attention heads; must divide dim. Default 4. */
  heads?: number;
  /** MLP width as a multiple of dim. Default 4. */
  mlpRatio?: number;
  /** 'cls' (a learned class token) or 'mean' (average of the patch tokens). Default 'cls'. */
  pool?: 'cls' | 'mean';
  /** Outputs of the classification head. Default 10. */
  numClasses?: number;
  /** Dropout on attention weights and in the MLPs. Default 0. */
  dropout?: number;
  /** Epsilon of every layer norm (the blocks' and the final one). Default 1e-6 (torchvision's; Hugging Face ViT: 1e-12). */
  layerNormEps?: number;
  /** Biases on the attention's q, k and v projections. Default true. */
  qkvBias?: boolean;
  /** Activation after the head: 'linear' (logits), or e.g. 'tanh' for Hugging Face ViTModel's pooler. Default 'linear'. */
  headActivation?: ActivationName;
}

export const VIT_DEFAULTS: Readonly<Required<VisionTransformerOptions>> = Object.freeze({
  imageSize: 28, channels: 1, patchSize: 7, dim: 128, depth: 6, heads: 4, mlpRatio: 4, pool: 'cls', numClasses: 10, dropout: 0,
  layerNormEps: 1e-6, qkvBias: true, headActivation: 'linear',
});

/**
 * A small ViT. Children: patchEmbed, blocks (blocks.0 … blocks.{depth-1}, each with attn.q/k/v/out
 * and mlp.fc1/fc2), norm, head (a Dense, with headActivation after it); parameters posEmbed (1, N, D) and, with class-token pooling, clsToken (1, 1, D).
 */
export class VisionTransformer extends Backbone {
  readonly options: Readonly<Required<VisionTransformerOptions>>;
  readonly featureDim: number;
  head: Dense;
  readonly patchEmbed: PatchEmbedding;
  readonly posEmbed: Tensor;
  readonly clsToken: Tensor | null;

  constructor(options: VisionTransformerOptions = {}) {
    super();
    const o = { ...VIT_DEFAULTS, ...options };
    if (o.pool !== 'cls' && o.pool !== 'mean') throw new ShapeError(`VisionTransformer: pool must be 'cls' or 'mean', got ${JSON.stringify(o.pool)}`);
    if (!Number.isInteger(o.depth) || o.depth < 1) throw new ShapeError(`VisionTransformer: depth must be a positive integer, got ${o.depth}`);
    if (!Number.isInteger(o.numClasses) || o.numClasses < 1) throw new ShapeError(`VisionTransformer: numClasses must be a positive integer, got ${o.numClasses}`);
    this.options = Object.freeze(o);
    this.featureDim = o.dim;
    this.patchEmbed = new PatchEmbedding({ imageSize: o.imageSize, patchSize: o.patchSize, channels: o.channels, dim: o.dim });
    this.posEmbed = this.addParameter('posEmbed', randn([1, this.patchEmbed.patches, o.dim], 0, 0.02));
    this.clsToken = o.pool === 'cls' ? this.addParameter('clsToken', randn([1, 1, o.dim], 0, 0.02)) : null;
    this.addChild('patchEmbed', this.patchEmbed);
    const eps = layerNormEps(o.layerNormEps, 'VisionTransformer');
    const blocks = Array.from({ length: o.depth }, () => new TransformerBlock({ dim: o.dim, heads: o.heads, mlpRatio: o.mlpRatio, dropout: o.dropout, eps, qkvBias: o.qkvBias }));
    this.addChild('blocks', new Sequential(blocks));
    this.addChild('norm', new LayerNorm({ features: o.dim, eps }));
    this.head = this.addChild('head', new Dense({ units: o.numClasses, inputDim: o.dim, activation: o.headActivation }));
  }

  /** Patch tokens with their position embeddings: (B, C, H, W) -> (B, N, D). */
  embed(x: Tensor): Tensor {
    return add(this.patchEmbed.forward(x), this.posEmbed);
  }

  /**
   * Runs the blocks over any subset of embedded patch tokens (the class token is prepended here):
   * (B, T, D) -> (B, T + 1, D) with the class token, else (B, T, D); final norm applied.
   */
  encode(tokens: Tensor): Tensor {
    const [batch, , dim] = tokens.shape;
    let h = tokens;
    if (this.clsToken) h = concat([expand(this.clsToken, [batch, 1, dim]), tokens], 1); // (B, 1 + T, D)
    return childNamed(this, 'norm').forward(childNamed(this, 'blocks').forward(h));
  }

  /** Encoded tokens -> pooled embedding (B, D): the class token, or the mean of the patch tokens. */
  pool(encoded: Tensor): Tensor {
    const [batch, , dim] = encoded.shape;
    if (this.clsToken) return reshape(slice(encoded, [0, 0, 0], [batch, 1, dim]), [batch, dim]);
    return mean(encoded, 1);
  }

  // (B, C, H, W) -> (B, D)
  features(x: Tensor): Tensor {
    return this.pool(this.encode(this.embed(x)));
  }

  config(): LayerConfig {
    const { layerNormEps: eps, qkvBias, headActivation: _, ...rest } = this.options;
    const headActivation = this.head.activation; // a replaced head is linear
    return {
      type: 'VisionTransformer', ...rest, numClasses: this.numClasses, // older configs stay as they were:
      ...(eps !== 1e-6 ? { layerNormEps: eps } : {}), ...(qkvBias ? {} : { qkvBias }), ...(headActivation !== 'linear' ? { headActivation } : {}),
    };
  }
}
