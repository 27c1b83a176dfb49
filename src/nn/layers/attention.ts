// Transformer pieces on token sequences (B, T, D): multi-head self-attention built from batched
// matmul + softmax (the formulation test/golden/ops.test.ts checks against PyTorch), the GELU MLP
// and the pre-norm block x + attn(LN(x)); x + mlp(LN(x)).
import { ShapeError } from '../../errors.js';
import { dropout } from '../../ops/dropout.js';
import { add, mulScalar } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { permute, reshape, transpose } from '../../ops/movement.js';
import { softmax } from '../../ops/softmax.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, type LayerConfig, type Shape } from '../module.js';
import { Dense } from './dense.js';
import { LayerNorm } from './norm.js';

function positiveInteger(value: number, what: string, where: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${where}: ${what} must be a positive integer, got ${value}`);
  return value;
}

function dropoutRate(value: number, where: string): number {
  if (!(value >= 0 && value < 1)) throw new ShapeError(`${where}: dropout must be in [0, 1), got ${value}`);
  return value;
}

/** A layer norm epsilon: a positive finite number. */
export function layerNormEps(value: number, where: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new ShapeError(`${where}: layer norm eps must be a positive number, got ${value}`);
  return value;
}

/** The child registered as `name` (read at call time, so replacements such as LoRA are seen). */
export function childNamed<M extends Module = Module>(module: Module, name: string): M {
  const found = module.children().find(([n]) => n === name);
  if (!found) throw new ShapeError(`${module.constructor.name}: no child named '${name}'`);
  return found[1] as M;
}

function checkTokens(x: Tensor, dim: number, where: string): void {
  if (x.rank !== 3 || x.shape[2] !== dim) throw new ShapeError(`${where}: expects tokens (batch, tokens, ${dim}), got ${formatShape(x.shape)}`);
}

// ---------------------------------------------------------------------------------------------

export interface AttentionOptions {
  /** Token width D (split evenly between the heads). */
  dim: number;
  heads: number;
  /** Dropout on the attention weights in training. Default 0. */
  dropout?: number;
  /** Biases on the q, k and v projections (Hugging Face ViT's `qkv_bias`). Default true. */
  qkvBias?: boolean;
}

/** Multi-head self-attention with Dense projections q, k, v and out (each D -> D). */
export class MultiHeadSelfAttention extends Module {
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly qkvBias: boolean;

  constructor(options: AttentionOptions) {
    super();
    this.dim = positiveInteger(options.dim, 'dim', 'MultiHeadSelfAttention');
    this.heads = positiveInteger(options.heads, 'heads', 'MultiHeadSelfAttention');
    if (this.dim % this.heads !== 0) throw new ShapeError(`MultiHeadSelfAttention: dim ${this.dim} is not divisible by heads ${this.heads}`);
    this.headDim = this.dim / this.heads;
    this.dropout = dropoutRate(options.dropout ?? 0, 'MultiHeadSelfAttention');
    this.qkvBias = options.qkvBias ?? true;
    for (const name of ['q', 'k', 'v', 'out']) this.addChild(name, new Dense({ units: this.dim, inputDim: this.dim, useBias: name === 'out' || this.qkvBias }));
  }

  // Projections are read from the child table each time: LoRA may have replaced them.
  get q(): Dense { return childNamed<Dense>(this, 'q'); }
  get k(): Dense { return childNamed<Dense>(this, 'k'); }
  get v(): Dense { return childNamed<Dense>(this, 'v'); }
  get out(): Dense { return childNamed<Dense>(this, 'out'); }

  // (B, T, D) -> (B, T, D)
  forward(x: Tensor): Tensor {
    checkTokens(x, this.dim, 'MultiHeadSelfAttention');
    const [batch, tokens] = x.shape;
    const split = (t: Tensor) => permute(reshape(t, [batch, tokens, this.heads, this.headDim]), [0, 2, 1, 3]); // (B, H, T, dh)
    const q = split(mulScalar(this.q.forward(x), 1 / Math.sqrt(this.headDim)));
    const k = split(this.k.forward(x));
    const v = split(this.v.forward(x));
    let weights = softmax(matmul(q, transpose(k)), -1); // (B, H, T, T)
    if (this.dropout > 0) weights = dropout(weights, this.dropout, this.training);
    const context = reshape(permute(matmul(weights, v), [0, 2, 1, 3]), [batch, tokens, this.dim]); // (B, T, D)
    return this.out.forward(context);
  }

  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  config(): LayerConfig {
    return { type: 'MultiHeadSelfAttention', dim: this.dim, heads: this.heads, dropout: this.dropout, ...(this.qkvBias ? {} : { qkvBias: false }) };
  }
}

// ---------------------------------------------------------------------------------------------

/** The transformer MLP: Dense D -> hidden (GELU), dropout, Dense hidden -> D. */
export class FeedForward extends Module {
  readonly dim: number;
  readonly hidden: number;
  readonly dropout: number;

  constructor(options: { dim: number; hidden: number; dropout?: number }) {
    super();
    this.dim = positiveInteger(options.dim, 'dim', 'FeedForward');
    this.hidden = positiveInteger(options.hidden, 'hidden', 'FeedForward');
    this.dropout = dropoutRate(options.dropout ?? 0, 'FeedForward');
    this.addChild('fc1', new Dense({ units: this.hidden, activation: 'gelu', inputDim: this.dim }));
    this.addChild('fc2', new Dense({ units: this.dim, inputDim: this.hidden }));
  }

  // (B, T, D) -> (B, T, D)
  forward(x: Tensor): Tensor {
    let h = childNamed(this, 'fc1').forward(x); // (B, T, hidden)
    if (this.dropout > 0) h = dropout(h, this.dropout, this.training);
    return childNamed(this, 'fc2').forward(h);
  }

  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  config(): LayerConfig {
    return { type: 'FeedForward', dim: this.dim, hidden: this.hidden, dropout: this.dropout };
  }
}

// ---------------------------------------------------------------------------------------------

export interface TransformerBlockOptions {
  dim: number;
  heads: number;
  /** MLP hidden width as a multiple of dim. Default 4. */
  mlpRatio?: number;
  /** Dropout on attention weights and in the MLP. Default 0. */
  dropout?: number;
  /** Epsilon of both layer norms. Default 1e-6 (torchvision's; Hugging Face ViT's default is 1e-12). */
  eps?: number;
  /** Biases on q, k and v. Default true. */
  qkvBias?: boolean;
}

/** Pre-norm transformer block: x + attn(norm1(x)), then + mlp(norm2(x)). Children norm1, attn, norm2, mlp. */
export class TransformerBlock extends Module {
  readonly dim: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly dropout: number;
  readonly eps: number;
  readonly qkvBias: boolean;

  constructor(options: TransformerBlockOptions) {
    super();
    this.dim = positiveInteger(options.dim, 'dim', 'TransformerBlock');
    this.heads = positiveInteger(options.heads, 'heads', 'TransformerBlock');
    this.mlpRatio = options.mlpRatio ?? 4;
    if (!(this.mlpRatio > 0) || !Number.isInteger(this.mlpRatio * this.dim)) {
      throw new ShapeError(`TransformerBlock: mlpRatio * dim must be a positive integer, got ${this.mlpRatio} * ${this.dim}`);
    }
    this.dropout = dropoutRate(options.dropout ?? 0, 'TransformerBlock');
    this.eps = layerNormEps(options.eps ?? 1e-6, 'TransformerBlock');
    this.qkvBias = options.qkvBias ?? true;
    this.addChild('norm1', new LayerNorm({ features: this.dim, eps: this.eps }));
    this.addChild('attn', new MultiHeadSelfAttention({ dim: this.dim, heads: this.heads, dropout: this.dropout, qkvBias: this.qkvBias }));
    this.addChild('norm2', new LayerNorm({ features: this.dim, eps: this.eps }));
    this.addChild('mlp', new FeedForward({ dim: this.dim, hidden: this.mlpRatio * this.dim, dropout: this.dropout }));
  }

  // (B, T, D) -> (B, T, D)
  forward(x: Tensor): Tensor {
    checkTokens(x, this.dim, 'TransformerBlock');
    const h = add(x, childNamed(this, 'attn').forward(childNamed(this, 'norm1').forward(x)));
    return add(h, childNamed(this, 'mlp').forward(childNamed(this, 'norm2').forward(h)));
  }

  outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }

  config(): LayerConfig {
    return {
      type: 'TransformerBlock', dim: this.dim, heads: this.heads, mlpRatio: this.mlpRatio, dropout: this.dropout,
      ...(this.eps !== 1e-6 ? { eps: this.eps } : {}), ...(this.qkvBias ? {} : { qkvBias: false }), // older configs stay as they were
    };
  }
}
