// torchvision -> `zerograd import` -> `zerograd export --format pytorch`, as a user runs them. Always: the committed
// torchvision-layout checkpoints (test/golden/torchvision) come back with torchvision's keys, in its order, and the
// same values bit for bit (num_batches_tracked stored as zerograd does: 0); the ViT's tensors are traced to their
// source. Where /usr/bin/python3 has torch (skipped otherwise): a random-weight resnet18 made here at 64x64 and the
// committed ones, torchvision's model against the exported model.py (test/export/torchvision_roundtrip.py), and the
// exported resnet18's torch.save'd state dict imported back to the same zerograd weights.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, type NamedArray } from '../../src/io/safetensors.js';
import { readStateDict } from '../../src/io/state-dict.js';
import type { StateTensor } from '../../src/io/torch-checkpoint.js';
import { tempDir } from '../data/helpers.js';
import { torchPython } from '../helpers/python.js';
import { zerograd } from '../cli/helpers-zerograd.js';

const ROOT = join(import.meta.dirname, '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'torchvision');
const GOLDEN_SCRIPT = join(ROOT, 'scripts', 'make-torchvision-goldens.py');
const ROUND_TRIP = join(import.meta.dirname, 'torchvision_roundtrip.py');
const RELATIVE_TOLERANCE = 1e-4;

/** `zerograd import SOURCE` then `zerograd export --format pytorch`; the export folder, its state dict and model.py. */
async function importThenExport(source: string, arch: string, dir: string, flags: string[]): Promise<{ folder: string; exported: Map<string, NamedArray>; python: string }> {
  const model = join(dir, `${arch}-model`);
  const folder = join(dir, `${arch}-pytorch`);
  const imported = await zerograd(['import', source, '--out', model, '--arch', arch, ...flags]);
  expect(imported.code, imported.err).toBe(0);
  const exported = await zerograd(['export', '--format', 'pytorch', '--model', model, '--out', folder]);
  expect(exported.code, exported.err).toBe(0);
  return {
    folder,
    exported: decodeSafetensors(readFileSync(join(folder, 'model.safetensors'))).tensors,
    python: readFileSync(join(folder, 'model.py'), 'utf8'),
  };
}

/** Keys whose exported tensor differs from the original in dtype, shape or any value (num_batches_tracked: I32 0 expected). */
function unequal(original: ReadonlyMap<string, StateTensor>, exported: ReadonlyMap<string, NamedArray>): string[] {
  return [...original].filter(([key, t]) => {
    const mine = exported.get(key);
    if (mine === undefined) return true;
    if (key.endsWith('num_batches_tracked')) return !(mine.dtype === 'I32' && mine.shape.length === 0 && Number(mine.values[0]) === 0);
    return mine.dtype !== t.dtype || mine.shape.join() !== t.shape.join() || mine.values.some((v, i) => v !== t.values[i]);
  }).map(([key]) => key);
}

describe("zerograd export --format pytorch of imported torchvision models: torchvision's names and values", () => {
  const dir = tempDir('zerograd-export-torchvision-');

  it.each([
    ['tiny-basic', 'state.pth', 'BasicBlock', 'Bottleneck', 'blocks_per_stage=[1, 2, 1, 1], num_classes=5, stem="imagenet")'],
    ['tiny-bottleneck', 'state.safetensors', 'Bottleneck', 'BasicBlock', 'blocks_per_stage=[2, 1, 1, 1], num_classes=6, stem="imagenet", block="bottleneck")'],
  ])('%s (%s): every key in torchvision\'s order, every value bit for bit', async (name, file, used, unused, call) => {
    const source = join(GOLDEN, name, file);
    const original = readStateDict(source).tensors;
    const { exported, python } = await importThenExport(source, 'resnet', join(dir, name), ['--image-size', '40']);
    expect([...exported.keys()]).toEqual([...original.keys()]);
    expect(unequal(original, exported)).toEqual([]);
    expect([...original.keys()].filter((k) => k.endsWith('num_batches_tracked')).length).toBeGreaterThan(10);
    expect(python).toContain(`class ${used}(nn.Module):`);
    expect(python).not.toContain(`class ${unused}(nn.Module):`);
    expect(python).toContain(call);
  });

  it('the imported ViT: patch conv, q/k/v split from in_proj, class token with its position folded in, traced to torchvision\'s tensors', async () => {
    const source = join(GOLDEN, 'tiny-vit', 'state.safetensors');
    const original = readStateDict(source).tensors;
    const { exported, python } = await importThenExport(source, 'vit', join(dir, 'vit'), ['--heads', '2']);
    const values = (t: StateTensor | NamedArray | undefined): number[] => Array.from(t?.values ?? [], Number);
    const at = (key: string) => values(exported.get(key));
    const from = (key: string) => values(original.get(key));
    const [dim, hidden] = [16, 40];
    expect(exported.get('patch_embed.proj.weight')?.shape).toEqual([16, 3, 8, 8]);
    expect(at('patch_embed.proj.weight')).toEqual(from('conv_proj.weight'));
    const position = from('encoder.pos_embedding'); // (1, 1 + 16, D): the class token's row first
    expect(at('pos_embed')).toEqual(position.slice(dim));
    expect(at('cls_token')).toEqual(from('class_token').map((v, i) => Math.fround(v + position[i])));
    for (let layer = 0; layer < 2; layer++) {
      const [to, key] = [`blocks.${layer}`, `encoder.layers.encoder_layer_${layer}`];
      ['q', 'k', 'v'].forEach((part, i) => {
        expect(at(`${to}.attn.${part}.weight`), part).toEqual(from(`${key}.self_attention.in_proj_weight`).slice(i * dim * dim, (i + 1) * dim * dim));
        expect(at(`${to}.attn.${part}.bias`), part).toEqual(from(`${key}.self_attention.in_proj_bias`).slice(i * dim, (i + 1) * dim));
      });
      expect(at(`${to}.attn.proj.weight`)).toEqual(from(`${key}.self_attention.out_proj.weight`));
      expect(at(`${to}.norm2.bias`)).toEqual(from(`${key}.ln_2.bias`));
      expect(exported.get(`${to}.mlp.fc1.weight`)?.shape).toEqual([hidden, dim]);
      expect(at(`${to}.mlp.fc2.weight`)).toEqual(from(`${key}.mlp.3.weight`));
    }
    expect(at('norm.weight')).toEqual(from('encoder.ln.weight'));
    expect(at('head.weight')).toEqual(from('heads.head.weight'));
    expect(exported.size).toBe(original.size + 8); // each layer's in_proj weight and bias become q, k and v's
    expect(python).toContain('VisionTransformer(image_size=32, channels=3, patch_size=8, dim=16, depth=2, heads=2, mlp_ratio=2.5, pool="cls", num_classes=5, dropout=0)');
  });
});

// ---------------------------------------------------------------------------------------------

const python = torchPython();
const torchSuite = python !== null
  ? `torchvision's model against the exported model.py in ${python}`
  : "torchvision's model against the exported model.py: skipped, /usr/bin/python3 has no torch, torchvision and numpy (apt install python3-torch python3-torchvision python3-numpy)";

interface RoundTrip {
  arch: string;
  class: string;
  float32: { max_abs: number; max_rel: number; rel_to_largest: number; largest: number };
  float64: { max_abs: number; max_rel: number; rel_to_largest: number };
  same_keys_in_order?: boolean;
  keys?: number;
  unequal?: string[];
  strict_load?: boolean;
}

describe.runIf(python !== null)(torchSuite, () => {
  const dir = tempDir('zerograd-export-torchvision-torch-');

  it('resnet18 (random weights and batch-norm statistics, 64x64), the committed basic, bottleneck and ViT checkpoints: logits within 1e-4, state dicts equal', async () => {
    const made = join(dir, 'resnet18');
    const script = spawnSync(python as string, [GOLDEN_SCRIPT, made, 'resnet18', '--size', '64', '--batch', '2'], { encoding: 'utf8', timeout: 300_000 });
    expect(script.status, script.stderr).toBe(0);
    const cases: [string, string, string, string, string[]][] = [
      ['resnet18', join(made, 'state.pth'), made, 'resnet18', ['--image-size', '64']],
      ['tiny-basic', join(GOLDEN, 'tiny-basic', 'state.pth'), join(GOLDEN, 'tiny-basic'), 'resnet', ['--image-size', '40']],
      ['tiny-bottleneck', join(GOLDEN, 'tiny-bottleneck', 'state.safetensors'), join(GOLDEN, 'tiny-bottleneck'), 'resnet', ['--image-size', '40']],
      ['tiny-vit', join(GOLDEN, 'tiny-vit', 'state.safetensors'), join(GOLDEN, 'tiny-vit'), 'vit', ['--heads', '2']],
    ];
    const jobs = [];
    for (const [name, state, folder, arch, flags] of cases) {
      const exported = await importThenExport(state, arch, join(dir, name), flags);
      jobs.push({ arch: name, state, folder: exported.folder, input: join(folder, 'x.npy'), keys: arch !== 'vit', back: name === 'resnet18' ? join(dir, 'back.pth') : undefined });
    }
    const run = spawnSync(python as string, [ROUND_TRIP, JSON.stringify(jobs)], { encoding: 'utf8', timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() as string) as RoundTrip[];
    const lines = report.map((r) => `  ${r.arch.padEnd(16)} ${r.class.padEnd(18)} float32 max abs ${r.float32.max_abs.toExponential(2)}, rel ${r.float32.max_rel.toExponential(2)}; float64 max abs ${r.float64.max_abs.toExponential(2)}${r.keys ? `; ${r.keys} keys, ${r.unequal?.length} unequal` : ''}`);
    console.log(`torchvision vs exported model.py (logits; largest |logit| ${report.map((r) => r.float32.largest.toFixed(2)).join(', ')}):\n${lines.join('\n')}`);
    expect(report.map((r) => r.arch)).toEqual(cases.map(([name]) => name));
    for (const r of report) {
      expect(r.float32.max_rel, r.arch).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
      expect(r.float32.rel_to_largest, r.arch).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
      expect(r.float64.rel_to_largest, r.arch).toBeLessThanOrEqual(1e-6); // the ViT's class token is folded in float32
      expect(r.float32.largest, r.arch).toBeGreaterThan(0.1); // non-trivial logits
      if (r.arch === 'tiny-vit') {
        expect(r.class).toBe('VisionTransformer');
        continue;
      }
      expect(r.class).toBe('ResNet');
      expect(r.same_keys_in_order, r.arch).toBe(true);
      expect(r.unequal, r.arch).toEqual([]);
      expect(r.strict_load, r.arch).toBe(true);
    }
    expect(report[0].keys).toBe(122); // resnet18: 20 convs, fc's weight and bias, 20 batch norms x 5

    // The way back: the exported model's torch.save'd state dict imports as the same zerograd folder, bit for bit.
    const back = await zerograd(['import', join(dir, 'back.pth'), '--out', join(dir, 'back-model'), '--arch', 'resnet18', '--image-size', '64']);
    expect(back.code, back.err).toBe(0);
    expect(back.out).toContain('skipped 20 num_batches_tracked');
    const first = decodeSafetensors(readFileSync(join(dir, 'resnet18', 'resnet18-model', 'model.safetensors'))).tensors;
    const again = decodeSafetensors(readFileSync(join(dir, 'back-model', 'model.safetensors'))).tensors;
    expect([...again.keys()]).toEqual([...first.keys()]);
    expect([...first].filter(([key, t]) => (again.get(key)?.values ?? []).some((v, i) => v !== t.values[i]))).toEqual([]);
  }, 600_000);
});
