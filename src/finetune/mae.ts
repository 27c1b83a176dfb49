// MAE-style pretraining (He et al., 2021) for the vision transformer: a seeded random subset of
// patches is hidden, the encoder sees only the visible ones, and a light transformer decoder
// reconstructs the (per-patch normalised) pixels; the loss is the MSE on the hidden patches.
import { UsageError } from '../errors.js';
import { childNamed, TransformerBlock } from '../nn/layers/attention.js';
import type { Backbone } from '../nn/layers/backbone.js';
import { Dense } from '../nn/layers/dense.js';
import { LayerNorm } from '../nn/layers/norm.js';
import { Sequential } from '../nn/layers/sequential.js';
import { patchify, VisionTransformer } from '../nn/layers/vit.js';
import { Module, type LayerConfig, type Shape } from '../nn/module.js';
import { randn, tensor } from '../ops/create.js';
import { add, addScalar, div, sqrt, sub } from '../ops/elementwise.js';
import { mse } from '../ops/loss.js';
import { concat, expand, gather, reshape, slice } from '../ops/movement.js';
import { mean, variance } from '../ops/reduce.js';
import { noGrad } from '../tensor/engine.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PretrainBatch, PretrainObjective } from './objectives.js';

export interface MaeOptions {
  /** Share of patches hidden from the encoder. Default 0.75. */
  maskRatio?: number;
  /** Decoder token width. Default 64. */
  decoderDim?: number;
  /** Decoder transformer blocks. Default 1. */
  decoderDepth?: number;
  /** Decoder attention heads. Default 4. */
  decoderHeads?: number;
  /** Reconstruct each patch normalised to zero mean and unit variance (MAE's default). Default true. */
  normalizePixels?: boolean;
  /** Seed of the mask generator. Default 0. */
  seed?: number;
}

/** Which patches each example keeps: flat row indices into (B*N) for the visible and hidden patches. */
export interface PatchMask {
  /** (B*keep) indices b*N + n of visible patches, per example in the mask's random order. */
  visible: Int32Array;
  /** (B*(N-keep)) indices of hidden patches. */
  hidden: Int32Array;
  /** For each original position b*N + n, its row in concat(visible rows, hidden rows). */
  restore: Int32Array;
  keep: number;
}

/** A seeded random mask over `patches` patches for each of `batch` examples, keeping `keep`. */
export function randomPatchMask(batch: number, patches: number, keep: number, rng: Random): PatchMask {
  const hiddenCount = patches - keep;
  const visible = new Int32Array(batch * keep);
  const hidden = new Int32Array(batch * hiddenCount);
  const restore = new Int32Array(batch * patches);
  for (let b = 0; b < batch; b++) {
    const order = rng.permutation(patches);
    for (let j = 0; j < patches; j++) {
      const position = b * patches + order[j];
      if (j < keep) {
        visible[b * keep + j] = position;
        restore[position] = b * keep + j;
      } else {
        hidden[b * hiddenCount + j - keep] = position;
        restore[position] = batch * keep + b * hiddenCount + j - keep;
      }
    }
  }
  return { visible, hidden, restore, keep };
}

/** The light decoder: Dense D -> d, mask tokens, position embeddings, blocks, LayerNorm, Dense d -> pixels per patch. */
export class MaeDecoder extends Module {
  readonly maskToken: Tensor;
  readonly posEmbed: Tensor;

  constructor(readonly encoderDim: number, readonly patches: number, readonly patchPixels: number, readonly dim: number, readonly depth: number, readonly heads: number) {
    super();
    this.maskToken = this.addParameter('maskToken', randn([1, 1, dim], 0, 0.02));
    this.posEmbed = this.addParameter('posEmbed', randn([1, patches, dim], 0, 0.02));
    this.addChild('embed', new Dense({ units: dim, inputDim: encoderDim }));
    this.addChild('blocks', new Sequential(Array.from({ length: depth }, () => new TransformerBlock({ dim, heads, mlpRatio: 4 }))));
    this.addChild('norm', new LayerNorm({ features: dim, eps: 1e-6 }));
    this.addChild('pred', new Dense({ units: patchPixels, inputDim: dim }));
  }

  /** Encoded visible patch tokens (B, keep, D) -> predicted pixels of every patch (B, N, P). */
  reconstruct(encoded: Tensor, mask: PatchMask): Tensor {
    const [batch, keep] = encoded.shape;
    const n = this.patches;
    const visible = reshape(childNamed(this, 'embed').forward(encoded), [batch * keep, this.dim]); // (B*keep, d)
    const masked = expand(reshape(this.maskToken, [1, this.dim]), [batch * (n - keep), this.dim]); // (B*(N-keep), d)
    const ordered = gather(concat([visible, masked], 0), tensor(mask.restore, { dtype: 'int32' }), 0); // (B*N, d)
    const tokens = add(reshape(ordered, [batch, n, this.dim]), this.posEmbed);
    const h = childNamed(this, 'norm').forward(childNamed(this, 'blocks').forward(tokens));
    return childNamed(this, 'pred').forward(h); // (B, N, P)
  }

  forward(_x: Tensor): Tensor {
    throw new UsageError('MaeDecoder: call reconstruct(encoded, mask), or use MaeObjective.loss');
  }

  outputShape(_inputShape: Shape): number[] {
    return [this.patches, this.patchPixels];
  }

  config(): LayerConfig {
    return { type: 'MaeDecoder', encoderDim: this.encoderDim, patches: this.patches, patchPixels: this.patchPixels, dim: this.dim, depth: this.depth, heads: this.heads };
  }
}

/** Masked-patch reconstruction; needs a VisionTransformer backbone. */
export class MaeObjective implements PretrainObjective {
  readonly name = 'mae';
  readonly head: MaeDecoder;
  readonly options: Readonly<Required<MaeOptions>>;
  readonly rng: Random;
  /** The mask of the latest loss() call (for pictures of reconstructions). */
  lastMask: PatchMask | null = null;

  constructor(backbone: Backbone, options: MaeOptions = {}) {
    if (!(backbone instanceof VisionTransformer)) {
      throw new UsageError(`the mae objective needs a VisionTransformer backbone (got ${backbone.constructor.name}); use contrastive or supervised instead`);
    }
    const o = { maskRatio: 0.75, decoderDim: 64, decoderDepth: 1, decoderHeads: 4, normalizePixels: true, seed: 0, ...options };
    if (!(o.maskRatio > 0 && o.maskRatio < 1)) throw new UsageError(`mae: maskRatio must be between 0 and 1 (exclusive), got ${o.maskRatio}`);
    this.options = Object.freeze(o);
    this.rng = new Random(o.seed);
    const { patchEmbed } = backbone;
    const patchPixels = patchEmbed.channels * patchEmbed.patchSize ** 2;
    this.head = new MaeDecoder(backbone.featureDim, patchEmbed.patches, patchPixels, o.decoderDim, o.decoderDepth, o.decoderHeads);
  }

  config(): Record<string, unknown> {
    return { objective: 'mae', ...this.options };
  }

  /** Patches kept visible per image: round(N * (1 - maskRatio)), at least 1 and at most N - 1. */
  visibleCount(patches: number): number {
    return Math.min(patches - 1, Math.max(1, Math.round(patches * (1 - this.options.maskRatio))));
  }

  // images (B, C, H, W) -> scalar MSE over the hidden patches
  loss(backbone: Backbone, batch: PretrainBatch): Tensor {
    const vit = backbone as VisionTransformer;
    const images = vit.patchEmbed.toImages(batch.images);
    const [b] = images.shape;
    const n = vit.patchEmbed.patches;
    const dim = vit.featureDim;
    const mask = randomPatchMask(b, n, this.visibleCount(n), this.rng);
    this.lastMask = mask;
    const tokens = reshape(vit.embed(images), [b * n, dim]); // (B*N, D)
    const visible = reshape(gather(tokens, tensor(mask.visible, { dtype: 'int32' }), 0), [b, mask.keep, dim]); // (B, keep, D)
    let encoded = vit.encode(visible); // (B, [1 +] keep, D)
    if (vit.clsToken) encoded = slice(encoded, [0, 1, 0]); // the decoder sees patch tokens only
    const predicted = this.head.reconstruct(encoded, mask); // (B, N, P)
    const pixels = this.head.patchPixels;
    const hidden = tensor(mask.hidden, { dtype: 'int32' });
    const target = noGrad(() => {
      const patches = gather(reshape(patchify(images, vit.patchEmbed.patchSize), [b * n, pixels]), hidden, 0); // (B*M, P)
      if (!this.options.normalizePixels) return patches;
      return div(sub(patches, mean(patches, -1, { keepDims: true })), sqrt(addScalar(variance(patches, -1, { keepDims: true, unbiased: true }), 1e-6)));
    });
    return mse(gather(reshape(predicted, [b * n, pixels]), hidden, 0), target);
  }
}
