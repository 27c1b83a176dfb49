// zerograd finetune end to end on small slices with the micro ViT: deployable folder (LoRA merged),
// metrics, pseudo-label rounds, and every error the issue names.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel } from '../../src/io/model-folder.js';
import { LoraDense } from '../../src/nn/lora.js';
import { LoraConv2D } from '../../src/nn/lora-conv.js';
import { tempDir } from '../data/helpers.js';
import { atEpochEnd, killAfterCheckpoint, lastCheckpointMeta, midEpoch, spawnZerograd } from './helpers-spawn.js';
import { microBackbone, zerograd } from './helpers-zerograd.js';

const repo = resolve(import.meta.dirname, '../..');
afterEach(() => vi.restoreAllMocks());

interface FinetuneMetrics {
  strategy: string;
  labeled_count: number;
  trainable: number;
  total: number;
  lora: { rank: number; merged: string[] } | null;
  test: { accuracy: number; count: number };
  pseudo_labels: { rounds: { round: number; used: number; confident: number; accuracy: number; perClass: number[] }[] } | null;
}

const readMetrics = (dir: string): FinetuneMetrics => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as FinetuneMetrics;

describe('zerograd finetune', () => {
  const dir = tempDir('zerograd-cli-finetune-');
  const backbone = join(dir, 'backbone');
  const quick = ['--limit', '200', '--steps', '4', '--backend', 'cpu', '--no-report'];

  beforeAll(async () => { await microBackbone(backbone); });

  it('lora: trains adapters + head only, merges them for deployment', async () => {
    const out = join(dir, 'lora');
    const { code, err, out: printed } = await zerograd(['finetune', '--from', backbone, '--strategy', 'lora', '--labels-per-class', '2', '--lora-rank', '2', '--out', out, ...quick]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(printed).toMatch(/lora: [\d,]+ of [\d,]+ parameters trainable/);
    const metrics = readMetrics(out);
    expect(metrics.labeled_count).toBe(20);
    expect(metrics.trainable).toBeLessThan(metrics.total);
    expect(metrics.lora?.merged.length).toBeGreaterThan(0);
    expect(metrics.test.count).toBe(200);
    const { model } = loadModel(out);
    expect([...model.namedModules()].some(([, m]) => m instanceof LoraDense)).toBe(false);
  });

  it('lora on a ResNet backbone: adapts the residual blocks\' 3x3 convs by default, merges them into plain Conv2D layers', async () => {
    const resnet = join(dir, 'resnet-backbone');
    const pretrained = await zerograd(['pretrain', '--backbone', 'resnet-micro', '--objective', 'contrastive', '--limit', '64', '--batch-size', '16', '--epochs', '1', '--backend', 'cpu', '--out', resnet, '--progress', 'none']);
    expect(pretrained.code, pretrained.err).toBe(0);
    const out = join(dir, 'lora-resnet');
    const { code, err, out: printed } = await zerograd(['finetune', '--from', resnet, '--strategy', 'lora', '--labels-per-class', '2', '--lora-rank', '2', '--out', out, ...quick]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(printed).toMatch(/lora: [\d,]+ of [\d,]+ parameters trainable/);
    const metrics = readMetrics(out) as FinetuneMetrics & { lora: { targets: string } };
    expect(metrics.lora.targets).toBe('stages.*.conv1|stages.*.conv2');
    expect(metrics.lora.merged).toEqual(['0.stages.0.0.conv1', '0.stages.0.0.conv2', '0.stages.1.0.conv1', '0.stages.1.0.conv2']); // inside the saved Sequential
    expect(metrics.trainable).toBeLessThan(metrics.total);
    const { model } = loadModel(out);
    expect(model.namedModules().some(([, m]) => m instanceof LoraConv2D)).toBe(false);
    expect(model.config()).toEqual(loadModel(resnet).model.config()); // the backbone's architecture again
  });

  it('--pseudo-label: records each round (count, per class, accuracy against the true labels)', async () => {
    const out = join(dir, 'pseudo');
    const { code, err } = await zerograd(['finetune', '--from', backbone, '--strategy', 'full', '--labels-per-class', '3', '--pseudo-label', '--pseudo-rounds', '2', '--pseudo-threshold', '0.1', '--out', out, ...quick]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const rounds = readMetrics(out).pseudo_labels?.rounds ?? [];
    expect(rounds.map((r) => r.round)).toEqual([1, 2]);
    for (const r of rounds) {
      expect(r.used).toBe(r.perClass.reduce((p, c) => p + c, 0));
      expect(r.used).toBeLessThanOrEqual(r.confident);
      expect(r.used).toBeLessThanOrEqual(200 - 30); // never the labeled ones
      // The share of right pseudo-labels among the used ones: a whole number of them, not of another count.
      if (r.used > 0) expect(r.accuracy * r.used).toBeCloseTo(Math.round(r.accuracy * r.used), 9);
      if (r.used > 0) expect(Math.round(r.accuracy * r.used)).toBeLessThanOrEqual(r.used);
    }
    expect(rounds[1].used).toBeGreaterThanOrEqual(rounds[0].used > 0 ? 1 : 0);
  });

  it('--student cnn: the rounds train the cnn preset, which is the saved model', async () => {
    const out = join(dir, 'pseudo-cnn');
    const { code, err } = await zerograd(['finetune', '--from', backbone, '--labels-per-class', '2', '--pseudo-label', '--pseudo-rounds', '1', '--pseudo-threshold', '0.1', '--student', 'cnn', '--out', out, ...quick]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const { model, config } = loadModel(out);
    expect(config.name).toBe('mnist-full-k2-pseudo-cnn');
    expect(model.layers[0].constructor.name).toBe('Conv2D');
    expect(readMetrics(out).pseudo_labels?.rounds).toHaveLength(1);
  });

  it('--final-student cnn-fast after a cnn round, with a temporal ensemble and the graph refinement: two rounds label with averaged, then smoothed probabilities', async () => {
    const out = join(dir, 'pseudo-ensemble');
    const { code, err } = await zerograd(['finetune', '--from', backbone, '--labels-per-class', '2', '--pseudo-label', '--pseudo-rounds', '2', '--pseudo-threshold', '0.1',
      '--student', 'cnn', '--final-student', 'cnn-fast', '--student-epochs', '1', '--pseudo-ensemble', '0.5', '--pseudo-graph', '3', '--out', out, ...quick]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const { model, config } = loadModel(out);
    expect(config.name).toBe('mnist-full-k2-pseudo-cnn-fast');
    expect(model.layers.map((l) => l.constructor.name)).toContain('BatchNorm');
    const rounds = readMetrics(out).pseudo_labels?.rounds as { student: string; poolAccuracy?: { model: number; graph: number } }[];
    expect(rounds.map((r) => r.student)).toEqual(['cnn', 'cnn-fast']);
    // Shares of the 180 unlabeled images (200 - 2 labels x 10 classes) whose top class is right: whole counts of them.
    for (const round of rounds) {
      for (const share of [round.poolAccuracy?.model, round.poolAccuracy?.graph]) {
        expect(share).toBeTypeOf('number');
        const right = (share as number) * 180;
        expect(right).toBeCloseTo(Math.round(right), 9);
        expect(Math.round(right)).toBeLessThanOrEqual(180);
      }
    }
  });

  it('names what is wrong', async () => {
    const notBackbone = join(repo, 'models', 'mnist-cnn');
    const otherArchitecture = join(dir, 'other');
    mkdirSync(otherArchitecture, { recursive: true });
    copyFileSync(join(backbone, 'model.safetensors'), join(otherArchitecture, 'model.safetensors'));
    const config = JSON.parse(readFileSync(join(backbone, 'config.json'), 'utf8')) as { architecture: { layers: { dim: number }[] } };
    config.architecture.layers[0].dim = 32;
    writeFileSync(join(otherArchitecture, 'config.json'), JSON.stringify(config));
    const cases: [string[], RegExp][] = [
      [['--strategy', 'lora', '--lora-targets', '*.nothing'], /LoRA targets .*nothing.* match no Dense or Conv2D layer.*Dense and Conv2D layers in this model/],
      [['--strategy', 'lora', '--lora-rank', '64'], /rank 64 is larger than layer/],
      [['--strategy', 'full', '--lora-rank', '2'], /apply to --strategy lora only/],
      [['--strategy', 'adapters'], /--strategy must be full, head, lora or scratch/],
      [['--pseudo-label', '--student', 'mlp'], /--student must be backbone, cnn, cnn-fast or cnn-best, got 'mlp'/],
      [['--pseudo-label', '--pseudo-rounds', '2', '--pseudo-ramp', '3'], /--pseudo-ramp must be a whole number of rounds from 0 \(= --pseudo-rounds\) to --pseudo-rounds \(2\), got 3/],
      [['--pseudo-label', '--final-student', 'mlp'], /--final-student must be backbone, cnn, cnn-fast or cnn-best, got 'mlp'/],
      [['--pseudo-label', '--pseudo-graph', '-1'], /--pseudo-graph must be an integer >= 0, got '-1'/],
      [['--pseudo-label', '--pseudo-ensemble', '1'], /--pseudo-ensemble must be 0 \(off\) or a weight between 0 and 1, got '1'/],
      [['--from', notBackbone], /not a pretrained backbone .* holds \[Conv2D/],
      [['--from', otherArchitecture], /--from .*other.*posEmbed.*another architecture/],
      [['--from', join(dir, 'missing')], /model folder not found/],
    ];
    for (const [args, message] of cases) {
      const from = args.includes('--from') ? [] : ['--from', backbone];
      const { code, err } = await zerograd(['finetune', ...from, '--out', join(dir, 'bad'), ...quick, ...args]);
      expect(code, args.join(' ')).not.toBe(0);
      expect(err, args.join(' ')).toMatch(message);
    }
  });
});

// ---- spawned: killed after each kind of checkpoint past step 1, resumed, compared byte for byte ----

/** The parts of metrics.json a resumed run must reproduce exactly (not times). */
function reproducibleMetrics(out: string): unknown {
  const { seconds: _s, ...rest } = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { seconds: number };
  return rest;
}

describe.each(['wasm', 'cpu'] as const)('zerograd finetune --resume on %s (spawned, killed after each kind of checkpoint)', (backend) => {
  const dir = tempDir(`zerograd-cli-finetune-resume-${backend}-`);
  const backbone = join(dir, 'backbone');
  // 60 labels in batches of 8: 8 steps an epoch, 3 epochs; augmentation (--augment: full's default is none), the head fitted first and shuffling on.
  const args = (out: string, extra: string[] = []): string[] => [
    'finetune', '--from', backbone, '--strategy', 'full', '--labels-per-class', '6', '--batch-size', '8', '--steps', '24', '--limit', '200', '--augment',
    '--backend', backend, '--no-report', '--out', out, ...extra,
  ];
  let baselineWeights: Buffer;
  let baseline: unknown;
  beforeAll(async () => {
    await microBackbone(backbone);
    const result = await spawnZerograd(args(join(dir, 'baseline')));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    baselineWeights = readFileSync(join(dir, 'baseline', 'model.safetensors'));
    baseline = reproducibleMetrics(join(dir, 'baseline'));
  });

  async function resumeAndCompare(out: string): Promise<void> {
    const resumed = await spawnZerograd(['finetune', '--out', out, '--resume', '--no-report']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/resumed\s+at epoch \d, step \d/);
    expect(readFileSync(join(out, 'model.safetensors')).equals(baselineWeights)).toBe(true);
    expect(reproducibleMetrics(out)).toEqual(baseline);
  }

  it('end of epoch (the default kind)', async () => {
    const out = join(dir, 'epoch-end');
    await killAfterCheckpoint(args(out), out, atEpochEnd);
    await resumeAndCompare(out);
  });

  it('every N steps (--checkpoint-every 3), past step 1', async () => {
    const out = join(dir, 'periodic');
    await killAfterCheckpoint(args(out, ['--checkpoint-every', '3']), out, midEpoch);
    await resumeAndCompare(out);
  });

  it('Ctrl-C after the first epoch: checkpoint, message, exit 130', async () => {
    const out = join(dir, 'interrupted');
    const interrupted = await spawnZerograd(args(out), { signal: 'SIGINT', when: () => lastCheckpointMeta(out) !== null });
    expect(interrupted.code).toBe(130);
    expect(interrupted.err).toMatch(/interrupted; checkpoint saved to .*last\.ckpt\. Continue with: zerograd finetune --out .* --resume/);
    expect(lastCheckpointMeta(out)?.globalStep).toBeGreaterThan(8);
    await resumeAndCompare(out);
  });

  it.runIf(backend === 'cpu')('--resume refuses a flag that differs from the run, and a folder with no run', async () => {
    const out = join(dir, 'epoch-end');
    const differs = await zerograd(['finetune', '--out', out, '--resume', '--seed', '3']);
    expect(differs.code).toBe(2);
    expect(differs.err).toMatch(/--resume: --seed differs from the run being resumed \("0"\)/);
    const none = await zerograd(['finetune', '--out', join(dir, 'nothing'), '--resume']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/has no fine-tuning run to resume/);
  });
});
