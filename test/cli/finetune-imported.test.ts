// `zerograd import` of the committed tiny torchvision and Hugging Face models, then `zerograd finetune --from`
// with each strategy: the saved folder holds the input adaptation and takes (1, 28, 28) MNIST input directly.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/io/model-folder.js';
import { tensor } from '../../src/ops/create.js';
import { tempDir } from '../data/helpers.js';
import { zerograd } from './helpers-zerograd.js';

const GOLDEN = resolve(import.meta.dirname, '../golden');
const quick = ['--labels-per-class', '2', '--limit', '100', '--steps', '3', '--batch-size', '16', '--backend', 'cpu', '--no-report'];

interface Metrics { strategy: string; trainable: number; total: number; input_adaptation: { imageSize: number; summary: string } | null; lora: { targets: string; merged: string[] } | null; test: { count: number } }

describe('zerograd finetune --from an imported model', () => {
  const dir = tempDir('zerograd-cli-finetune-imported-');

  async function importModel(name: string, args: string[]): Promise<string> {
    const out = join(dir, name);
    const { code, err } = await zerograd(['import', ...args, '--out', out]);
    expect(code, err).toBe(0);
    return out;
  }

  async function finetune(from: string, name: string, args: string[]): Promise<{ out: string; printed: string; metrics: Metrics }> {
    const out = join(dir, name);
    const { code, err, out: printed } = await zerograd(['finetune', '--from', from, '--out', out, ...quick, ...args]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const loaded = loadModel(out);
    expect(loaded.config.inputShape).toEqual([1, 28, 28]);
    expect(loaded.config.preprocessing.normalization).toEqual({ kind: 'scale', mean: 0, std: 1 });
    const logits = loaded.model.eval().forward(tensor(new Float32Array(3 * 28 * 28).fill(0.3), { shape: [3, 1, 28, 28] }));
    expect(logits.shape).toEqual([3, 10]);
    const { default: metrics } = await import(join(out, 'metrics.json'), { with: { type: 'json' } }) as { default: Metrics };
    expect(metrics.test.count).toBe(100);
    return { out, printed, metrics };
  }

  it('torchvision ViT: lora on q and v at 16x16 (position embeddings 4x4 -> 2x2); head at its own 32x32', async () => {
    const vit = await importModel('tv-vit', [join(GOLDEN, 'torchvision', 'tiny-vit', 'state.safetensors'), '--arch', 'vit', '--heads', '2']);
    const lora = await finetune(vit, 'tv-vit-lora', ['--strategy', 'lora', '--image-size', '16', '--lora-rank', '2']);
    expect(lora.printed).toMatch(/input {8}\(1, 28, 28\) 0-1 pixels -> Resize 28->16, RepeatChannels\(3\), ChannelNormalize\(mean \[0.485, 0.456, 0.406\], std \[0.229, 0.224, 0.225\]\), position embeddings 4x4->2x2/);
    expect(lora.metrics.lora?.targets).toBe('*.attn.q|*.attn.v');
    expect(lora.metrics.lora?.merged.length).toBeGreaterThan(0);
    expect(loadModel(lora.out).model.layers.map((l) => l.constructor.name)).toEqual(['Resize', 'RepeatChannels', 'ChannelNormalize', 'VisionTransformer']);
    const head = await finetune(vit, 'tv-vit-head', ['--strategy', 'head']);
    expect(head.metrics.input_adaptation?.imageSize).toBe(32);
    expect(head.metrics.trainable).toBe(10 * 16 + 10); // a new 10-class head on 16 features
  });

  it('torchvision ResNets (basic .pth, bottleneck): full and lora on the 3x3 convs, bottleneck conv2 included', async () => {
    const basic = await importModel('tv-basic', [join(GOLDEN, 'torchvision', 'tiny-basic', 'state.pth'), '--arch', 'resnet', '--image-size', '40']);
    const full = await finetune(basic, 'tv-basic-full', ['--strategy', 'full']);
    expect(full.metrics.trainable).toBe(full.metrics.total);
    expect(full.metrics.input_adaptation?.imageSize).toBe(32);
    const bottleneck = await importModel('tv-bottleneck', [join(GOLDEN, 'torchvision', 'tiny-bottleneck', 'state.safetensors'), '--arch', 'resnet', '--image-size', '40']);
    const lora = await finetune(bottleneck, 'tv-bottleneck-lora', ['--strategy', 'lora', '--lora-rank', '1', '--image-size', '24']);
    expect(lora.metrics.lora?.targets).toBe('stages.*.conv2');
  });

  it('Hugging Face ViT and ResNet folders: their preprocessor statistics go into the model', async () => {
    const vit = await importModel('hf-vit', [join(GOLDEN, 'hf', 'tiny-vit-classifier')]);
    const head = await finetune(vit, 'hf-vit-head', ['--strategy', 'head', '--image-size', '24']);
    expect(head.printed).toMatch(/ChannelNormalize\(mean \[0.5, 0.5, 0.5\], std \[0.5, 0.5, 0.5\]\), position embeddings 4x4->3x3/);
    const resnet = await importModel('hf-resnet', [join(GOLDEN, 'hf', 'tiny-resnet-bottleneck')]);
    const lora = await finetune(resnet, 'hf-resnet-lora', ['--strategy', 'lora', '--lora-rank', '1']);
    expect(lora.metrics.strategy).toBe('lora');
  });

  it('refuses impossible image sides and --image-size on a 28x28 backbone', async () => {
    const vit = join(dir, 'tv-vit');
    const bad = await zerograd(['finetune', '--from', vit, '--image-size', '20', '--out', join(dir, 'bad'), ...quick]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--image-size 20: 20 is not a multiple of the ViT's patch size 8; sides that work: 8, 16, 24, 32/);
    const zero = await zerograd(['finetune', '--from', vit, '--image-size', '0', '--out', join(dir, 'bad'), ...quick]);
    expect(zero.code).toBe(2);
    const backbone = join(dir, 'micro');
    const pretrained = await zerograd(['pretrain', '--backbone', 'vit-micro', '--objective', 'contrastive', '--limit', '32', '--batch-size', '16', '--epochs', '1', '--backend', 'cpu', '--out', backbone, '--progress', 'none']);
    expect(pretrained.code, pretrained.err).toBe(0);
    const native = await zerograd(['finetune', '--from', backbone, '--image-size', '32', '--out', join(dir, 'bad'), ...quick]);
    expect(native.code).toBe(2);
    expect(native.err).toMatch(/--image-size applies to imported models \(zerograd import\); .* takes \(1, 28, 28\) input as it is/);
  });
});
