// torchvision 0.14 VisionTransformer state dicts (vit_b_16 and the like) as zerograd's VisionTransformer: the options
// read from the keys and the key plan. torchvision adds its position embedding after prepending the class token;
// zerograd adds posEmbed to the patch tokens only, so the class token's row is folded into clsToken (the same
// function, in eval and in training). The fused in_proj of nn.MultiheadAttention is split into q, k and v.
import { DataError, UsageError } from '../errors.js';
import { VIT_DEFAULTS, type VisionTransformerOptions } from '../nn/layers/vit.js';
import type { StateTensor } from './torch-checkpoint.js';
import { linearWeight, same, transposed, type PlannedTensor } from './torchvision.js';

/** The ViTs `zerograd import --arch` names, with their attention heads (the one thing the weights do not tell). */
export const TORCHVISION_VITS: Record<string, { patchSize: number; heads: number; dim: number; depth: number }> = {
  vit_b_16: { patchSize: 16, heads: 12, dim: 768, depth: 12 },
  vit_b_32: { patchSize: 32, heads: 12, dim: 768, depth: 12 },
  vit_l_16: { patchSize: 16, heads: 16, dim: 1024, depth: 24 },
};

const layerKey = (i: number): string => `encoder.layers.encoder_layer_${i}`;

/**
 * The VisionTransformer options of `arch` for `tensors`: classes from heads.head, the image side from the position
 * embeddings; `vit` reads width, depth, patch and MLP size from the keys and takes `heads` (default width / 64).
 */
export function vitOptions(arch: string, tensors: ReadonlyMap<string, StateTensor>, where: string, heads?: number, imageSize?: number): Required<VisionTransformerOptions> {
  const shape = (key: string): number[] => {
    const t = tensors.get(key);
    if (t === undefined) throw new DataError(`${where}: no ${key}; not a torchvision VisionTransformer state dict (keys: ${[...tensors.keys()].slice(0, 6).join(', ')}${tensors.size > 6 ? ', ...' : ''})`);
    return t.shape;
  };
  const [dim, channels, patchSize] = shape('conv_proj.weight');
  const [classes] = shape('heads.head.weight');
  const tokens = shape('encoder.pos_embedding')[1] - 1;
  const side = Math.round(Math.sqrt(tokens));
  let depth = 0;
  while (tensors.has(`${layerKey(depth)}.ln_1.weight`)) depth++;
  const mlp = shape(`${layerKey(0)}.mlp.0.weight`)[0];
  const known = TORCHVISION_VITS[arch];
  if (known === undefined && arch !== 'vit') throw new UsageError(`--arch ${arch}: not a ViT zerograd imports; expected one of ${[...Object.keys(TORCHVISION_VITS), 'vit'].join(', ')}`);
  const found = known ?? { patchSize, heads: heads ?? Math.max(1, Math.round(dim / 64)), dim, depth };
  if (found.dim % found.heads !== 0) throw new UsageError(`--heads ${found.heads} does not divide the width ${found.dim} read from ${where}`);
  if (imageSize !== undefined && imageSize % found.patchSize !== 0) throw new UsageError(`--image-size ${imageSize} is not a multiple of the ${found.patchSize}-pixel patches`);
  return {
    ...VIT_DEFAULTS, imageSize: imageSize ?? side * (known?.patchSize ?? patchSize), channels: known ? 3 : channels, patchSize: found.patchSize, dim: found.dim,
    depth: found.depth, heads: found.heads, mlpRatio: mlp / found.dim, pool: 'cls', numClasses: classes, dropout: 0,
  };
}

/** The tensors of a VisionTransformer with `options` (a Sequential's layer 0), keyed as torchvision names them. */
export function vitPlan(options: Readonly<Required<VisionTransformerOptions>>): PlannedTensor[] {
  const { dim, channels, patchSize: p, imageSize, depth, numClasses } = options;
  const tokens = (imageSize / p) ** 2;
  const hidden = options.mlpRatio * dim;
  const patchValues = channels * p * p;
  const plan: PlannedTensor[] = [
    // (1, 1, D) + pos_embedding[:, 0]: read before pos_embedding is used up below
    { source: 'class_token', sourceShape: [1, 1, dim], target: '0.clsToken', shape: [1, 1, dim], convert: (v, read) => v.map((x, i) => x + read('encoder.pos_embedding')[i]) },
    { source: 'encoder.pos_embedding', sourceShape: [1, tokens + 1, dim], target: '0.posEmbed', shape: [1, tokens, dim], convert: (v) => v.slice(dim) },
    // conv_proj (D, C, p, p) as a Dense over patches flattened (C, p, p), as patchify orders them
    { source: 'conv_proj.weight', sourceShape: [dim, channels, p, p], target: '0.patchEmbed.proj.weight', shape: [patchValues, dim], convert: (v) => transposed(v, dim, patchValues) },
    same('conv_proj.bias', '0.patchEmbed.proj.bias', [dim]),
  ];
  for (let i = 0; i < depth; i++) {
    const [from, to] = [layerKey(i), `0.blocks.${i}`];
    plan.push(same(`${from}.ln_1.weight`, `${to}.norm1.weight`, [dim]), same(`${from}.ln_1.bias`, `${to}.norm1.bias`, [dim]));
    ['q', 'k', 'v'].forEach((name, part) => { // in_proj: rows [q; k; v], each (D, D) as (out, in)
      const rows = (v: Float32Array) => v.subarray(part * dim * dim, (part + 1) * dim * dim);
      plan.push({ source: `${from}.self_attention.in_proj_weight`, sourceShape: [3 * dim, dim], target: `${to}.attn.${name}.weight`, shape: [dim, dim], convert: (v) => transposed(rows(v), dim, dim) });
      plan.push({ source: `${from}.self_attention.in_proj_bias`, sourceShape: [3 * dim], target: `${to}.attn.${name}.bias`, shape: [dim], convert: (v) => v.slice(part * dim, (part + 1) * dim) });
    });
    plan.push(linearWeight(`${from}.self_attention.out_proj.weight`, `${to}.attn.out.weight`, dim, dim), same(`${from}.self_attention.out_proj.bias`, `${to}.attn.out.bias`, [dim]));
    plan.push(same(`${from}.ln_2.weight`, `${to}.norm2.weight`, [dim]), same(`${from}.ln_2.bias`, `${to}.norm2.bias`, [dim]));
    plan.push(linearWeight(`${from}.mlp.0.weight`, `${to}.mlp.fc1.weight`, hidden, dim), same(`${from}.mlp.0.bias`, `${to}.mlp.fc1.bias`, [hidden]));
    plan.push(linearWeight(`${from}.mlp.3.weight`, `${to}.mlp.fc2.weight`, dim, hidden), same(`${from}.mlp.3.bias`, `${to}.mlp.fc2.bias`, [dim]));
  }
  plan.push(same('encoder.ln.weight', '0.norm.weight', [dim]), same('encoder.ln.bias', '0.norm.bias', [dim]));
  plan.push(linearWeight('heads.head.weight', '0.head.weight', numClasses, dim), same('heads.head.bias', '0.head.bias', [numClasses]));
  return plan;
}
