import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../data/helpers.js';
import { zerograd } from './helpers-zerograd.js';

const repo = resolve(import.meta.dirname, '../..');

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

// ---- the real thing: spawn the CLI, kill it, resume it ----

const trainArgs = ['--limit', '600', '--epochs', '2', '--backend', 'cpu', '--checkpoint-every', '4', '--augment', '--val-split', '0.1', '--no-report', '--progress', 'lines'];

/** Spawns `zerograd train` from source; `interrupt` sends a signal once the first checkpoint exists. */
function spawnTrain(out: string, extra: string[], interrupt?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string; finishedBeforeSignal: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'train', ...trainArgs, '--out', out, ...extra], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    let finishedBeforeSignal = false;
    let timer: NodeJS.Timeout | undefined;
    if (interrupt) {
      timer = setInterval(() => {
        if (!existsSync(join(out, 'checkpoints', 'last.ckpt'))) return;
        clearInterval(timer);
        finishedBeforeSignal = existsSync(join(out, 'metrics.json'));
        child.kill(interrupt);
      }, 10);
    }
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      done({ code, signal, out: stdout, err: stderr, finishedBeforeSignal });
    });
  });
}

describe('zerograd train --resume (spawned)', () => {
  const dir = tempDir('zerograd-cli-resume-');
  let baseline: Metrics;
  beforeAll(async () => {
    const result = await spawnTrain(join(dir, 'baseline'), []);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    baseline = readMetrics(join(dir, 'baseline'));
  });

  it('a run killed with SIGKILL and resumed ends with the same metrics as an uninterrupted run', async () => {
    const out = join(dir, 'killed');
    const killed = await spawnTrain(out, [], 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.finishedBeforeSignal).toBe(false);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    const resumed = await spawnTrain(out, ['--resume']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/resumed\s+at epoch [12], step \d+/);
    expect(reproducible(readMetrics(out))).toEqual(reproducible(baseline));
  });

  it('Ctrl-C saves a checkpoint and exits with 130; --resume then finishes identically', async () => {
    const out = join(dir, 'interrupted');
    const interrupted = await spawnTrain(out, [], 'SIGINT');
    expect(interrupted.finishedBeforeSignal).toBe(false);
    expect(interrupted.code).toBe(130);
    expect(interrupted.err).toMatch(/interrupted; checkpoint saved to .*last\.ckpt\. Continue with: zerograd train --out .* --resume/);
    const resumed = await spawnTrain(out, ['--resume']);
    expect(resumed.code).toBe(0);
    expect(reproducible(readMetrics(out))).toEqual(reproducible(baseline));
  });
});
