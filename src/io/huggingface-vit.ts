// Hugging Face ViTModel and ViTForImageClassification (transformers' models/vit/modeling_vit.py) as zerograd's
// VisionTransformer: the options read from config.json (transformers' ViTConfig defaults: layer_norm_eps 1e-12,
// qkv_bias true, hidden_act 'gelu' = erf GELU) and the key plan. As with torchvision, the class token's row of the
// position embeddings is folded into clsToken. What the model outputs: the classifier on the class token of the
// final layer norm (ViTForImageClassification), ViTModel's pooler (dense + tanh on that token), or, for a ViTModel
// saved without a pooler, that token itself (an identity head).
import { DataError } from '../errors.js';
import type { ActivationName } from '../nn/activations.js';
import { VIT_DEFAULTS, type VisionTransformerOptions } from '../nn/layers/vit.js';
import type { HfFields } from './huggingface-config.js';
import { linearWeight, same, transposed, type PlannedTensor } from './torchvision.js';

/** What becomes zerograd's head: HF's classifier, ViTModel's pooler, or nothing (an identity head). */
export type HfHead = 'classifier' | 'pooler' | 'identity';

/** transformers' pooler_act names zerograd's Dense can apply. */
const POOLER_ACTIVATIONS: Readonly<Record<string, ActivationName>> = { tanh: 'tanh', relu: 'relu', sigmoid: 'sigmoid', gelu: 'gelu', linear: 'linear' };

/**
 * The VisionTransformer options of a HF ViT config.json and what its head is. `classifier` is true for
 * ViTForImageClassification (`numLabels` outputs); a ViTModel gets its pooler as head when `hasPooler`.
 */
export function hfVitOptions(fields: HfFields, classifier: boolean, hasPooler: boolean, numLabels: number): { options: Required<VisionTransformerOptions>; head: HfHead } {
  const dim = fields.int('hidden_size', 768);
  const heads = fields.int('num_attention_heads', 12);
  if (dim % heads !== 0) throw new DataError(`${fields.where}: hidden_size ${dim} is not a multiple of num_attention_heads ${heads}`);
  const imageSize = fields.side('image_size', 224);
  const patchSize = fields.side('patch_size', 16);
  if (imageSize % patchSize !== 0) throw new DataError(`${fields.where}: image_size ${imageSize} is not a multiple of patch_size ${patchSize}`);
  const act = fields.string('hidden_act', 'gelu');
  if (act !== 'gelu') throw new DataError(`${fields.where}: hidden_act is ${JSON.stringify(act)}; zerograd's ViT MLP is GELU with erf, transformers' "gelu" (a tanh or sigmoid approximation would give other outputs)`);
  const head: HfHead = classifier ? 'classifier' : hasPooler ? 'pooler' : 'identity';
  let numClasses = dim;
  let headActivation: ActivationName = 'linear';
  if (head === 'classifier') numClasses = numLabels;
  if (head === 'pooler') {
    numClasses = fields.int('pooler_output_size', dim);
    const poolerAct = fields.string('pooler_act', 'tanh');
    const mapped = POOLER_ACTIVATIONS[poolerAct];
    if (mapped === undefined) throw new DataError(`${fields.where}: pooler_act ${JSON.stringify(poolerAct)} is not one zerograd applies; expected one of ${Object.keys(POOLER_ACTIVATIONS).join(', ')}`);
    headActivation = mapped;
  }
  const options: Required<VisionTransformerOptions> = {
    ...VIT_DEFAULTS, imageSize, channels: fields.int('num_channels', 3), patchSize, dim, depth: fields.int('num_hidden_layers', 12), heads,
    mlpRatio: fields.int('intermediate_size', 3072) / dim, pool: 'cls', numClasses, dropout: 0,
    layerNormEps: fields.positive('layer_norm_eps', 1e-12), qkvBias: fields.bool('qkv_bias', true), headActivation,
  };
  return { options, head };
}

/** HF's Linear `source` (out, in) + bias as zerograd's Dense `target` (in, out). */
function linear(plan: PlannedTensor[], source: string, target: string, out: number, inputs: number, bias = true): void {
  plan.push(linearWeight(`${source}.weight`, `${target}.weight`, out, inputs));
  if (bias) plan.push(same(`${source}.bias`, `${target}.bias`, [out]));
}

/**
 * The tensors of a VisionTransformer with `options` (a Sequential's layer 0), keyed as transformers names them:
 * `prefix` is 'vit.' for ViTForImageClassification, '' for ViTModel. An identity head is not in the file.
 */
export function hfVitPlan(options: Readonly<Required<VisionTransformerOptions>>, prefix: string, head: HfHead): PlannedTensor[] {
  const { dim, channels, patchSize: p, imageSize, depth, numClasses, qkvBias } = options;
  const tokens = (imageSize / p) ** 2;
  const hidden = options.mlpRatio * dim;
  const patchValues = channels * p * p;
  const e = `${prefix}embeddings`;
  const plan: PlannedTensor[] = [
    // cls_token (1, 1, D) + position_embeddings[:, 0]: read before position_embeddings is used up below
    { source: `${e}.cls_token`, sourceShape: [1, 1, dim], target: '0.clsToken', shape: [1, 1, dim], convert: (v, read) => v.map((x, i) => x + read(`${e}.position_embeddings`)[i]) },
    { source: `${e}.position_embeddings`, sourceShape: [1, tokens + 1, dim], target: '0.posEmbed', shape: [1, tokens, dim], convert: (v) => v.slice(dim) },
    // the patch projection conv (D, C, p, p) as a Dense over patches flattened (C, p, p), as patchify orders them
    { source: `${e}.patch_embeddings.projection.weight`, sourceShape: [dim, channels, p, p], target: '0.patchEmbed.proj.weight', shape: [patchValues, dim], convert: (v) => transposed(v, dim, patchValues) },
    same(`${e}.patch_embeddings.projection.bias`, '0.patchEmbed.proj.bias', [dim]),
  ];
  for (let i = 0; i < depth; i++) {
    const [from, to] = [`${prefix}encoder.layer.${i}`, `0.blocks.${i}`];
    plan.push(same(`${from}.layernorm_before.weight`, `${to}.norm1.weight`, [dim]), same(`${from}.layernorm_before.bias`, `${to}.norm1.bias`, [dim]));
    linear(plan, `${from}.attention.attention.query`, `${to}.attn.q`, dim, dim, qkvBias);
    linear(plan, `${from}.attention.attention.key`, `${to}.attn.k`, dim, dim, qkvBias);
    linear(plan, `${from}.attention.attention.value`, `${to}.attn.v`, dim, dim, qkvBias);
    linear(plan, `${from}.attention.output.dense`, `${to}.attn.out`, dim, dim);
    plan.push(same(`${from}.layernorm_after.weight`, `${to}.norm2.weight`, [dim]), same(`${from}.layernorm_after.bias`, `${to}.norm2.bias`, [dim]));
    linear(plan, `${from}.intermediate.dense`, `${to}.mlp.fc1`, hidden, dim);
    linear(plan, `${from}.output.dense`, `${to}.mlp.fc2`, dim, hidden);
  }
  plan.push(same(`${prefix}layernorm.weight`, '0.norm.weight', [dim]), same(`${prefix}layernorm.bias`, '0.norm.bias', [dim]));
  if (head === 'classifier') linear(plan, 'classifier', '0.head', numClasses, dim);
  if (head === 'pooler') linear(plan, `${prefix}pooler.dense`, '0.head', numClasses, dim);
  return plan;
}
