// zerograd pretrain end to end on 64 images with the micro ViT: the folder it writes, exact resume
// after an interruption (objective generator included), and its errors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPretrainCommand, type PretrainFlags } from '../../src/cli/commands/pretrain.js';
import { Interrupted } from '../../src/cli/pipeline.js';
import { loadModel } from '../../src/io/model-folder.js';
import { tempDir } from '../data/helpers.js';
import { atEpochEnd, bytes, killAfterCheckpoint, lastCheckpointMeta, midEpoch, spawnZerograd } from './helpers-spawn.js';
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

  it('reports k-NN and linear-probe accuracies of the frozen features, without changing what it trains', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const evaluated = join(dir, 'evaluated');
    const plain = join(dir, 'plain');
    await runPretrainCommand(flags(evaluated, { evalEvery: '1', limit: '100' }));
    await runPretrainCommand(flags(plain, { evalLimit: '0', limit: '100' }));
    const printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
    log.mockRestore();
    expect(printed).toMatch(/evaluation {3}epoch 1: k-NN \d+\.\d\d% \(all 100 labels\) \/ \d+\.\d\d% \(\d+\) · linear probe \d+\.\d\d% \/ \d+\.\d\d%/);
    const record = JSON.parse(readFileSync(join(evaluated, 'pretrain.json'), 'utf8')) as { evaluation: { epoch: number; train_images: number; test_images: number; knn: { k: number; accuracy_all: number }; probe: { accuracy_few: number } }; evaluations: { epoch: number }[] };
    expect(record.evaluations.map((e) => e.epoch)).toEqual([1, 2]);
    expect(record.evaluation).toMatchObject({ epoch: 2, train_images: 100, test_images: 100, knn: { k: 20 } });
    expect(record.evaluation.knn.accuracy_all).toBeGreaterThan(0.1);
    expect(record.evaluation.probe.accuracy_few).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(readFileSync(join(plain, 'pretrain.json'), 'utf8')).evaluation).toBeNull();
    expect(readFileSync(join(evaluated, 'model.safetensors')).equals(readFileSync(join(plain, 'model.safetensors')))).toBe(true);
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

  it('simsiam on a ResNet: resumes an interrupted run exactly (backbone, projector, predictor, view generator)', async () => {
    const simsiam = (out: string): PretrainFlags => flags(out, { backbone: 'resnet-micro', objective: 'simsiam', evalEvery: '1' });
    const straight = join(dir, 'simsiam-straight');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await runPretrainCommand(simsiam(straight));
    const resumed = join(dir, 'simsiam-resumed');
    const stop = new AbortController();
    stop.abort();
    await expect(runPretrainCommand(simsiam(resumed), stop.signal)).rejects.toBeInstanceOf(Interrupted);
    await runPretrainCommand({ ...simsiam(resumed), resume: true });
    log.mockRestore();
    expect(readFileSync(join(resumed, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors')))).toBe(true);
    const record = (out: string) => JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')) as { objective: { objective: string }; history: { loss: number }[] };
    expect(record(straight).objective.objective).toBe('simsiam');
    expect(record(resumed).history.map((h) => h.loss)).toEqual(record(straight).history.map((h) => h.loss));
    for (const h of record(straight).history) expect(Math.abs(h.loss)).toBeLessThanOrEqual(1);
  });

  it('byol on a ResNet: resumes exactly from a mid-epoch checkpoint (the moving-average target travels in it)', async () => {
    const byol = (out: string): PretrainFlags => flags(out, { backbone: 'resnet-micro', objective: 'byol', evalLimit: '0' });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const straight = join(dir, 'byol-straight');
    await runPretrainCommand(byol(straight));
    const resumed = join(dir, 'byol-resumed');
    const stop = new AbortController();
    stop.abort(); // one step (and its target update), then a checkpoint
    await expect(runPretrainCommand(byol(resumed), stop.signal)).rejects.toBeInstanceOf(Interrupted);
    await runPretrainCommand({ ...byol(resumed), resume: true });
    log.mockRestore();
    expect(readFileSync(join(resumed, 'model.safetensors')).equals(readFileSync(join(straight, 'model.safetensors')))).toBe(true);
    const record = (out: string) => JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')) as { objective: { objective: string; momentum: number }; history: { loss: number }[] };
    expect(record(straight).objective).toMatchObject({ objective: 'byol', momentum: 0.99 });
    expect(record(resumed).history.map((h) => h.loss)).toEqual(record(straight).history.map((h) => h.loss));
  });

  it('rejects bad flags with a message naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--objective', 'jigsaw'], /--objective must be one of mae, contrastive, supervised/],
      [['--backbone', 'vgg'], /unknown backbone 'vgg'; expected one of vit, vit-tiny/],
      [['--backbone', 'resnet-micro', '--objective', 'mae'], /mae objective needs a VisionTransformer/],
      [['--dataset', 'cifar'], /--dataset must be mnist or fashion/],
      [['--resume'], /--resume needs --out/],
      [['--eval-limit', '5'], /--eval-limit must be 0 \(no evaluation\) or at least 20 images, got 5/],
      [['--eval-every', '-1'], /--eval-every/],
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

// ---- spawned: killed after each kind of checkpoint past step 1, resumed, compared byte for byte ----

/** The parts of pretrain.json a resumed run must reproduce exactly (not times, machine or dates). */
function reproducibleRecord(out: string): unknown {
  const record = JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')) as { history: { seconds: number }[]; stop_reason: string; objective: unknown; evaluations: { seconds: number }[] };
  return {
    history: record.history.map(({ seconds: _s, ...rest }) => rest), stop_reason: record.stop_reason, objective: record.objective,
    evaluations: record.evaluations.map(({ seconds: _s, ...rest }) => rest), // epochs 1-3: those before the kill come from the checkpoint
  };
}

/** mae (random masks) on cpu with 64 images, contrastive (augmented views) on wasm with 128; batches of 16, 3 epochs. */
const runs = { cpu: { objective: 'mae', limit: 64 }, wasm: { objective: 'contrastive', limit: 128 } } as const;

describe.each(['wasm', 'cpu'] as const)('zerograd pretrain --resume on %s (spawned, killed after each kind of checkpoint)', (backend) => {
  const dir = tempDir(`zerograd-cli-pretrain-resume-${backend}-`);
  const args = (out: string, extra: string[] = []): string[] => [
    'pretrain', '--backbone', 'vit-micro', '--objective', runs[backend].objective, '--limit', String(runs[backend].limit), '--batch-size', '16', '--epochs', '3',
    '--backend', backend, '--progress', 'lines', '--eval-every', '1', '--out', out, ...extra,
  ];
  let baselineWeights: Buffer;
  let baselineRecord: unknown;
  beforeAll(async () => {
    const result = await spawnZerograd(args(join(dir, 'baseline')));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    baselineWeights = bytes(join(dir, 'baseline', 'model.safetensors'));
    baselineRecord = reproducibleRecord(join(dir, 'baseline'));
    expect((baselineRecord as { evaluations: { epoch: number }[] }).evaluations.map((e) => e.epoch)).toEqual([1, 2, 3]);
  });

  async function resumeAndCompare(out: string): Promise<void> {
    const resumed = await spawnZerograd(['pretrain', '--out', out, '--resume', '--progress', 'lines']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(bytes(join(out, 'model.safetensors')).equals(baselineWeights)).toBe(true);
    expect(reproducibleRecord(out)).toEqual(baselineRecord);
  }

  it('end of epoch (the default kind)', async () => {
    const out = join(dir, 'epoch-end');
    await killAfterCheckpoint(args(out), out, atEpochEnd);
    await resumeAndCompare(out);
  });

  it('every N steps (--checkpoint-every 3), past step 1', async () => {
    const out = join(dir, 'periodic');
    await killAfterCheckpoint(args(out, ['--checkpoint-every', '3']), out, midEpoch);
    expect(lastCheckpointMeta(out)?.globalStep).toBeGreaterThan(1);
    await resumeAndCompare(out);
  });

  it('Ctrl-C after the first epoch: checkpoint, message, exit 130', async () => {
    const out = join(dir, 'interrupted');
    const interrupted = await spawnZerograd(args(out), { signal: 'SIGINT', when: () => lastCheckpointMeta(out) !== null });
    expect(interrupted.code).toBe(130);
    expect(interrupted.err).toMatch(/interrupted; checkpoint saved to .*last\.ckpt\. Continue with: zerograd pretrain --out .* --resume/);
    expect(lastCheckpointMeta(out)?.globalStep).toBeGreaterThan(runs[backend].limit / 16); // in the second epoch or later
    await resumeAndCompare(out);
  });
});
