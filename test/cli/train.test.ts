import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveKernelBuild } from '../../src/backend/wasm/kernel-build.js';
import { tempDir } from '../data/helpers.js';
import { atEpochEnd, bytes, killAfterCheckpoint, lastCheckpointMeta, midEpoch, spawnZerograd } from './helpers-spawn.js';
import { zerograd } from './helpers-zerograd.js';

interface Metrics {
  test: { accuracy: number; loss: number; precision: number[]; recall: number[]; f1: number[]; confusion: number[][] };
  history: { epoch: number; loss: number; accuracy: number; val_loss?: number; val_accuracy?: number; seconds: number }[];
  train_samples_per_second: number;
}

function readMetrics(dir: string): Metrics {
  return JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Metrics;
}

/** The parts of metrics.json a resumed run must reproduce exactly (not times). */
function reproducible(metrics: Metrics): unknown {
  return { test: metrics.test, history: metrics.history.map(({ seconds: _s, ...rest }) => rest) };
}

afterEach(() => vi.restoreAllMocks());

describe('zerograd train and eval', () => {
  const dir = tempDir('zerograd-cli-train-');
  const run = join(dir, 'mlp');

  beforeAll(async () => {
    const { code, err } = await zerograd(['train', '--model', 'mlp', '--limit', '500', '--epochs', '1', '--backend', 'cpu', '--val-split', '0.1', '--out', run, '--progress', 'lines']);
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('writes the model folder, metrics.json with per-class scores and the report', () => {
    for (const file of ['model.safetensors', 'config.json', 'metrics.json', 'run.json', 'checkpoints/last.ckpt', 'report/report.html', 'report/curves.png', 'report/confusion.svg']) {
      expect(existsSync(join(run, file)), file).toBe(true);
    }
    const metrics = readMetrics(run);
    expect(metrics.test.accuracy).toBeGreaterThan(0.5);
    expect(metrics.test.loss).toBeGreaterThan(0);
    for (const key of ['precision', 'recall', 'f1'] as const) expect(metrics.test[key]).toHaveLength(10);
    expect(metrics.test.confusion).toHaveLength(10);
    expect(metrics.test.confusion.every((row) => row.length === 10)).toBe(true);
    expect(metrics.test.confusion.flat().reduce((a, b) => a + b, 0)).toBe(500);
    expect(metrics.history).toHaveLength(1);
    expect(Object.keys(metrics.history[0]).sort()).toEqual(['accuracy', 'epoch', 'loss', 'lr', 'seconds', 'val_accuracy', 'val_loss']);
    expect(metrics.train_samples_per_second).toBeGreaterThan(0);
  });

  it('metrics.json names the wasm kernel build that computed it (and none on cpu)', async () => {
    expect(readMetrics(run)).not.toHaveProperty('kernels');
    const wasmRun = join(dir, 'mlp-wasm');
    const { code, err } = await zerograd(['train', '--model', 'mlp', '--limit', '200', '--epochs', '1', '--backend', 'wasm', '--no-report', '--out', wasmRun, '--progress', 'none']);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(readMetrics(wasmRun)).toHaveProperty('kernels', resolveKernelBuild());
  });

  it('eval scores the saved model like train did', async () => {
    const { code, out } = await zerograd(['eval', '--model', run, '--limit', '500', '--backend', 'cpu', '--json', join(dir, 'eval.json')]);
    expect(code).toBe(0);
    const accuracy = readMetrics(run).test.accuracy;
    expect(out).toContain(`test accuracy ${(100 * accuracy).toFixed(2)}%`);
    expect(out).toMatch(/precision\s+recall\s+f1-score\s+support/);
    const written = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { test: { accuracy: number } };
    expect(written.test.accuracy).toBe(accuracy);
  });

  it('rejects bad flags, unknown presets and unreadable configs with a message and a non-zero exit', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "architecture": [');
    const cases: [string[], RegExp][] = [
      [['--epochs', '0'], /--epochs must be an integer >= 1, got '0'/],
      [['--lr', 'fast'], /--lr must be a positive number, got 'fast'/],
      [['--val-split', '1.5'], /--val-split must be a fraction between 0 and 1/],
      [['--backend', 'gpu', '--limit', '10'], /--backend must be wasm or cpu, got 'gpu'/],
      [['--model', 'resnet'], /unknown model preset 'resnet'; expected one of mlp, cnn, cnn-fast, cnn-best/],
      [['--model', bad], /bad\.json' is not valid JSON/],
      [['--model', join(dir, 'missing.json')], /missing\.json' does not exist/],
      [['--progress', 'fancy'], /--progress must be auto, bar, lines or none/],
      [['--resume', '--out', join(dir, 'nothing')], /has no run to resume/],
      [['--resume', '--out', run, '--lr', '0.5'], /--lr differs from the run being resumed \(0\.001\)/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = await zerograd(['train', '--out', join(dir, 'x'), ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(err, args.join(' ')).toMatch(message);
    }
    const noOut = await zerograd(['train', '--resume']);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/--resume needs --out <dir>/);
    expect((await zerograd(['train', '--epochz', '3'])).code).toBe(2);
    const noModel = await zerograd(['eval']);
    expect(noModel.code).toBe(2);
    expect(noModel.err).toMatch(/eval needs --model <dir>/);
    const notFolder = await zerograd(['eval', '--model', dir, '--backend', 'cpu']);
    expect(notFolder.code).toBe(1);
    expect(notFolder.err).toMatch(/not a model folder \(no config\.json\)/);
  });
});

// ---- the real thing: spawn the CLI, kill it after each kind of checkpoint, resume it ----

/** Shuffling (always on), augmentation, a validation split; mlp on cpu, the cnn (conv, dropout, one-cycle) on wasm. */
const spawnedRuns = {
  cpu: ['--model', 'mlp', '--backend', 'cpu'],
  wasm: ['--model', 'cnn', '--backend', 'wasm'],
} as const;
const common = ['--limit', '600', '--epochs', '3', '--augment', '--val-split', '0.1', '--progress', 'lines'];

describe.each(['wasm', 'cpu'] as const)('zerograd train --resume on %s (spawned, killed after each kind of checkpoint)', (backend) => {
  const dir = tempDir(`zerograd-cli-resume-${backend}-`);
  const args = (out: string, extra: string[] = []): string[] => ['train', ...spawnedRuns[backend], ...common, '--no-report', '--out', out, ...extra];
  let baseline: Metrics;
  let baselineWeights: Buffer;
  beforeAll(async () => {
    const result = await spawnZerograd(args(join(dir, 'baseline')));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    baseline = readMetrics(join(dir, 'baseline'));
    baselineWeights = bytes(join(dir, 'baseline', 'model.safetensors'));
  });

  /** Resumes `out` and checks that it ends exactly as the uninterrupted run. */
  async function resumeAndCompare(out: string, at: RegExp): Promise<void> {
    const resumed = await spawnZerograd(['train', '--out', out, '--resume', '--no-report', '--progress', 'lines']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(at);
    expect(reproducible(readMetrics(out))).toEqual(reproducible(baseline));
    expect(bytes(join(out, 'model.safetensors')).equals(baselineWeights)).toBe(true);
  }

  it('end of epoch (the default kind): SIGKILL right after it, then --resume, gives the same weights and metrics', async () => {
    const out = join(dir, 'epoch-end');
    await killAfterCheckpoint(args(out), out, atEpochEnd);
    await resumeAndCompare(out, /resumed\s+at epoch [23], step 0\b/);
  });

  it('every N steps (--checkpoint-every): SIGKILL right after a periodic checkpoint, then --resume, gives the same weights and metrics', async () => {
    const out = join(dir, 'periodic');
    await killAfterCheckpoint(args(out, ['--checkpoint-every', '4']), out, midEpoch);
    await resumeAndCompare(out, /resumed\s+at epoch [123], step [1-9]\d*/);
  });

  it('Ctrl-C: saves a checkpoint mid-epoch, says how to continue, exits 130; --resume gives the same weights and metrics', async () => {
    const out = join(dir, 'interrupted');
    const interrupted = await spawnZerograd(args(out), { signal: 'SIGINT', when: () => lastCheckpointMeta(out) !== null });
    expect(interrupted.signalled).toBe(true);
    expect(interrupted.code).toBe(130);
    expect(interrupted.err).toMatch(/interrupted; checkpoint saved to .*last\.ckpt\. Continue with: zerograd train --out .* --resume/);
    const meta = lastCheckpointMeta(out);
    expect(meta?.finished).toBe(false);
    expect(meta?.stepInEpoch).toBeGreaterThan(0);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    await resumeAndCompare(out, /resumed\s+at epoch [23], step [1-9]\d*/);
  });

  it.runIf(backend === 'cpu')('Ctrl-C once training is complete (evaluation, saving, report): the model folder is saved, the message says so, exit 130', async () => {
    const out = join(dir, 'after-training');
    const result = await spawnZerograd(['train', ...spawnedRuns[backend], ...common, '--out', out], { signal: 'SIGINT', when: () => lastCheckpointMeta(out)?.finished === true });
    expect(result.signalled).toBe(true);
    expect(result.code).toBe(130);
    expect(result.err).toMatch(/interrupted.*; the model folder .* is saved; the report was not written \(zerograd train --out .* --resume writes it\)/);
    expect(bytes(join(out, 'model.safetensors')).equals(baselineWeights)).toBe(true);
    expect(reproducible(readMetrics(out))).toEqual(reproducible(baseline));
    const again = await spawnZerograd(['train', '--out', out, '--resume', '--progress', 'lines']);
    expect(again.code).toBe(0);
    expect(existsSync(join(out, 'report', 'report.html'))).toBe(true);
    expect(bytes(join(out, 'model.safetensors')).equals(baselineWeights)).toBe(true);
  });
});
