// zerograd pretrain end to end on 64 images with the micro ViT: the folder it writes, exact resume
// after an interruption (objective generator included), and its errors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runPretrainCommand, type PretrainFlags } from '../../src/cli/commands/pretrain.js';
import { Interrupted } from '../../src/cli/pipeline.js';
import { loadModel } from '../../src/io/model-folder.js';
import { tempDir } from '../data/helpers.js';
import { microBackbone, zerograd } from './helpers-zerograd.js';

afterEach(() => vi.restoreAllMocks());

const flags = (out: string, extra: Partial<PretrainFlags> = {}): PretrainFlags => ({
  backbone: 'vit-micro', objective: 'mae', limit: '64', batchSize: '16', epochs: '2', backend: 'cpu', progress: 'none', out, ...extra,
});

describe('zerograd pretrain', () => {
  const dir = tempDir('zerograd-cli-pretrain-');

  it('writes a backbone model folder with pretrain.json and a checkpoint', async () => {
    const out = join(dir, 'contrastive');
    await microBackbone(out);
    for (const file of ['model.safetensors', 'config.json', 'pretrain.json', 'run.json', 'checkpoints/last.ckpt']) expect(existsSync(join(out, file)), file).toBe(true);
    const { model, config } = loadModel(out);
    expect(model.layers).toHaveLength(1);
    expect(config.name).toBe('backbone-vit-micro-contrastive');
    const record = JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')) as { settings: { seed: number }; history: unknown[]; machine: { cpus: number } };
    expect(record.settings.seed).toBe(0);
    expect(record.history).toHaveLength(1);
    expect(record.machine.cpus).toBeGreaterThan(0);
  });

  it('resumes an interrupted run exactly (weights, decoder and mask generator)', async () => {
    const straight = join(dir, 'straight');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await runPretrainCommand(flags(straight));
    const resumed = join(dir, 'resumed');
    const stop = new AbortController();
    stop.abort(); // fit runs one step, then saves a checkpoint and stops
    await expect(runPretrainCommand(flags(resumed), stop.signal)).rejects.toBeInstanceOf(Interrupted);
    await runPretrainCommand({ ...flags(resumed), resume: true });
    log.mockRestore();
    expect(readFileSync(join(resumed, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors')))).toBe(true);
  });

  it('rejects bad flags with a message naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--objective', 'jigsaw'], /--objective must be one of mae, contrastive, supervised/],
      [['--backbone', 'vgg'], /unknown backbone 'vgg'; expected one of vit, vit-tiny/],
      [['--backbone', 'resnet-micro', '--objective', 'mae'], /mae objective needs a VisionTransformer/],
      [['--dataset', 'cifar'], /--dataset must be mnist or fashion/],
      [['--resume'], /--resume needs --out/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = await zerograd(['pretrain', '--limit', '32', '--backend', 'cpu', '--progress', 'none', ...(args.includes('--resume') ? [] : ['--out', join(dir, 'bad')]), ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(message);
    }
    const { code, err } = await zerograd(['pretrain', '--resume', '--out', join(dir, 'nothing-here'), '--backend', 'cpu']);
    expect(code).toBe(2);
    expect(err).toMatch(/has no pretraining run to resume/);
  });
});
