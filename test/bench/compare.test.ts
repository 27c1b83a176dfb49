// Smoke test of the head-to-head harness (bench/compare.ts and bench/peers/): the runner protocol,
// statistics, job plan and report, on made-up results. No peer is started.
import { describe, expect, it } from 'vitest';
import { plan, PEERS } from '../../bench/peers/plan.js';
import { parseResult, quantile, summarize } from '../../bench/peers/protocol.js';
import { renderSection, trainSpeed, type CompareResults, type JobOutcome } from '../../bench/peers/report.js';
import { replaceSection } from '../../bench/timing.js';

describe('runner protocol', () => {
  it('takes the last RESULT line and ignores other output', () => {
    const out = 'Hi, looks like you are running TensorFlow.js in Node.js\nRESULT {"peakRssMiB":1}\nRESULT {"runs":[],"peakRssMiB":12.5}\n';
    expect(parseResult(out)).toEqual({ runs: [], peakRssMiB: 12.5 });
  });

  it('names what is wrong with a runner output', () => {
    expect(() => parseResult('Traceback ...\n')).toThrow(/no RESULT line/);
    expect(() => parseResult('RESULT [1]')).toThrow(/not a JSON object/);
    expect(() => parseResult('RESULT {"runs":[]}')).toThrow(/peakRssMiB/);
  });

  it('summarizes repeats as median and spread', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 2, 3]).median).toBe(2.5);
    expect(() => summarize([])).toThrow(/no samples/);
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(latencies, 0.5)).toBe(50);
    expect(quantile(latencies, 0.99)).toBe(99);
  });
});

describe('job plan', () => {
  it('quick mode runs every peer, at least 3 repeats for fast peers, and no time-to-99%', () => {
    const jobs = plan(true);
    for (const peer of PEERS) expect(jobs.some((j) => j.peer === peer && j.job.kind === 'train')).toBe(true);
    expect(jobs.some((j) => j.job.kind === 'to99')).toBe(false);
    const zerograd = jobs.find((j) => j.id === 'train-mlp-zerograd');
    expect(zerograd?.job).toMatchObject({ kind: 'train', batchSize: 32, lr: 1e-3, repeats: 3 });
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('full mode trains one epoch and adds time-to-99% for zerograd and PyTorch', () => {
    const jobs = plan(false);
    expect(jobs.find((j) => j.id === 'train-cnn-zerograd')?.job).toMatchObject({ steps: null, batchSize: 64 });
    expect(jobs.filter((j) => j.job.kind === 'to99').map((j) => j.peer)).toEqual(['zerograd', 'pytorch']);
  });
});

function trainOutcome(id: string, peer: JobOutcome['peer'], speeds: number[]): JobOutcome {
  const job = plan(true).find((j) => j.id === id)!;
  return {
    ...job, peer, status: 'ok', wallSeconds: 1,
    result: {
      runs: speeds.map((s) => ({ samplesPerSecond: s, timedSteps: 295, seconds: 1, trainedSamples: 9600, testAccuracy: 0.9, lastLoss: 0.3 })),
      info: { engine: peer, threads: 2 }, peakRssMiB: 300,
    },
  } as JobOutcome;
}

describe('report', () => {
  const results: CompareResults = {
    command: 'npm run bench -- compare --quick', mode: 'quick', date: '2026-01-01 00:00 UTC',
    machine: { cpu: 'Test CPU', cores: 2, node: '20.0.0', loadBefore: '1.00, 1.00, 1.00', loadAfter: '2.00, 1.00, 1.00' },
    jobs: [
      trainOutcome('train-mlp-zerograd', 'zerograd', [900, 1000, 1100]),
      trainOutcome('train-mlp-pytorch', 'pytorch', [2000, 2000, 2000]),
      trainOutcome('train-cnn-zerograd', 'zerograd', [300, 320, 310]),
      { ...plan(true).find((j) => j.id === 'train-cnn-jax-js')!, status: 'not measured', reason: '@jax-js/jax is not installed (npm install)', wallSeconds: 0 },
    ],
    unrunnable: { 'TF.js node (tfjs-node)': 'not measured: offline' },
  };

  it('names the Node zerograd ran under when --node chose another one', () => {
    expect(renderSection(results)).not.toContain('zerograd on Node');
    const other = { ...results, machine: { ...results.machine, zerogradNode: '26.0.0' } };
    expect(renderSection(other)).toContain('Node 20.0.0 (zerograd on Node 26.0.0)');
  });

  it('computes ratios from medians and never fills in a missing peer', () => {
    expect(trainSpeed(results, 'mlp', 'zerograd')).toBe(1000);
    expect(trainSpeed(results, 'cnn', 'jax-js')).toBeNull();
    const text = renderSection(results);
    expect(text).toContain('| zerograd (wasm, Node 20): seed MLP training ≥ 1.2x PyTorch (CPU, OpenBLAS, threads = cores) (15) | 0.50x | missed (0.42x of the bar) |');
    expect(text).toContain('| zerograd (wasm, Node 20): small CNN training ≥ 0.7x PyTorch');
    expect(text).toContain('not measured: @jax-js/jax is not installed (npm install)');
    expect(text).toContain('| zerograd (wasm, Node 20): small CNN training ≥ 10x jax-js wasm (7) | — | not measured |');
    expect(text).toContain("time to 99% test accuracy ≤ PyTorch's (15) and ≤ 60 s (7) | not run in --quick");
    expect(text).toContain('TF.js node (tfjs-node): not measured: offline');
    expect(text).toContain('`npm run bench -- compare --quick`');
  });

  it('gives each Node its own ratio column and bars when --also-node ran zerograd twice', () => {
    const jobs = plan(false, ['zerograd', 'zerograd-alt', 'pytorch']);
    expect(jobs.filter((j) => j.job.kind === 'to99').map((j) => j.peer)).toEqual(['zerograd', 'zerograd-alt', 'pytorch']);
    expect(jobs.filter((j) => j.job.kind === 'matmul').map((j) => j.peer)).toEqual(['zerograd', 'zerograd-alt', 'pytorch']);
    const two: CompareResults = {
      ...results,
      machine: { ...results.machine, altNode: '26.1.0' },
      jobs: [
        trainOutcome('train-cnn-zerograd', 'zerograd', [700, 700, 700]),
        { ...trainOutcome('train-cnn-zerograd', 'zerograd-alt', [1000, 1000, 1000]), id: 'train-cnn-zerograd-alt' },
        trainOutcome('train-cnn-pytorch', 'pytorch', [1000, 1000, 1000]),
      ],
    };
    const text = renderSection(two);
    expect(text).toContain('zerograd on Node 20.0.0 and on Node 26.1.0');
    expect(text).toContain('| zerograd (wasm, Node 20) / peer | zerograd (wasm, Node 26) / peer |');
    expect(text).toMatch(/\| small CNN, batch 64 \| PyTorch \(CPU, OpenBLAS, threads = cores\) \| 1,000 \|.*\| 0\.70x \| 1\.00x \|/);
    expect(text).toContain('| zerograd (wasm, Node 20): small CNN training ≥ 0.7x PyTorch (CPU, OpenBLAS, threads = cores) (15) | 0.70x | met |');
    expect(text).toContain('| zerograd (wasm, Node 26): small CNN training ≥ 1.0x PyTorch (CPU, OpenBLAS, threads = cores) (15) | 1.00x | met |');
  });

  it('marks the rows of a peer reused from an earlier run with its date', () => {
    const old = { ...trainOutcome('train-mlp-pytorch', 'tfjs-cpu', [100, 100, 100]), id: 'train-mlp-tfjs-cpu', reusedFrom: '2026-11-29 01:17 UTC' };
    const text = renderSection({ ...results, jobs: [...results.jobs, old] });
    expect(text).toContain('| TF.js cpu (from the run of 2026-11-29 01:17 UTC) | 100 |');
  });

  it('replaces only its own section of BENCHMARKS.md', () => {
    const before = '# Benchmarks\n\n<!-- step:start -->\nstep table\n<!-- step:end -->\n';
    const once = replaceSection(before, 'head-to-head', renderSection(results));
    const twice = replaceSection(once, 'head-to-head', '## Head-to-head\n\nnew');
    expect(twice).toContain('step table');
    expect(twice).toContain('<!-- head-to-head:start -->\n## Head-to-head\n\nnew\n<!-- head-to-head:end -->');
    expect(twice).not.toContain('Training');
  });
});
