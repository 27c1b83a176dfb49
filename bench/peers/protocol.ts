// The contract between bench/compare.ts and the peer runners (zerograd, TF.js, jax-js, PyTorch):
// one job as JSON on the command line, one `RESULT {json}` line on stdout; plus the statistics
// the report uses. Pure functions only, so test/bench can check them without running a peer.

/** The seed MLP, the small CNN, and the time-to-99% recipe's net (zerograd's `cnn-fast` preset). */
export type ModelName = 'mlp' | 'cnn' | 'cnn-fast';

/** Training throughput: `repeats` fresh models, each trained for `steps` batches (null = one epoch). */
export interface TrainJob {
  kind: 'train';
  model: ModelName;
  batchSize: number;
  lr: number;
  normalize: 'scale' | 'standardize';
  /** Batches per run including warm-up; null = one epoch (floor(60000 / batchSize)). */
  steps: number | null;
  /** Untimed first batches (JIT compilation, allocator warm-up); still trained on. */
  warmupSteps: number;
  /** Stop a run early (after at least 2 timed steps) once its timed part exceeds this. */
  maxSeconds: number;
  repeats: number;
  /** Test images to score after each run (0 = no accuracy). */
  evalCount: number;
  seed: number;
}

/**
 * Time to a test accuracy: train with a recipe (peak `lr`, one-cycle over `scheduleEpochs` or constant) and
 * score all 10,000 test images `evalsPerEpoch` times per epoch; the clock counts training only.
 */
export interface To99Job {
  kind: 'to99';
  model: ModelName;
  batchSize: number;
  lr: number;
  normalize: 'scale' | 'standardize';
  /** One-cycle as src/optim/schedules.ts defines it (linear warm-up over `pctStart`, cosine down), or constant. */
  schedule: { type: 'constant' } | { type: 'onecycle'; pctStart: number };
  scheduleEpochs: number;
  evalsPerEpoch: number;
  target: number;
  maxEpochs: number;
  /** Stop after the epoch during which training time passed this. */
  maxSeconds: number;
  seed: number;
}

/** Batch-1 latency or batch-1000 throughput of an untrained model (forward pass only, after a warm-up call). */
export interface InferJob {
  kind: 'infer';
  model: ModelName;
  mode: 'latency' | 'throughput';
  /** Batch-1 calls (latency) or batch-1000 calls (throughput) timed. */
  calls: number;
  seed: number;
}

/** Square float32 matmul GFLOP/s, 5 samples per size. */
export interface MatmulJob {
  kind: 'matmul';
  sizes: number[];
}

export type Job = TrainJob | To99Job | InferJob | MatmulJob;

export interface TrainRun {
  samplesPerSecond: number;
  timedSteps: number;
  seconds: number;
  trainedSamples: number;
  testAccuracy: number | null;
  lastLoss: number | null;
}

export interface TrainResult { runs: TrainRun[] }
/** `epoch` is fractional (1.25 = a quarter into the second epoch). */
export interface To99Result { epochs: { epoch: number; trainSeconds: number; testAccuracy: number }[]; secondsToTarget: number | null }
/** latency: seconds per batch-1 call; throughput: images/s of each batch-1000 call. */
export interface InferResult { latencySeconds?: number[]; throughput?: number[] }
/** Per engine name (e.g. 'zerograd', 'numpy', 'torch'), per size: GFLOP/s samples. */
export type MatmulResult = Record<string, Record<string, number[]>>;

/** What every runner adds to its result. */
export interface RunnerCommon {
  info: Record<string, unknown>;
  peakRssMiB: number;
}

export const RESULT_PREFIX = 'RESULT ';

/** The result object from a runner's stdout (its last `RESULT ` line); throws naming what is missing. */
export function parseResult(stdout: string): Record<string, unknown> & RunnerCommon {
  const lines = stdout.split('\n').filter((line) => line.startsWith(RESULT_PREFIX));
  if (lines.length === 0) throw new Error('the runner printed no RESULT line');
  const value = JSON.parse(lines[lines.length - 1].slice(RESULT_PREFIX.length)) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the RESULT line is not a JSON object');
  const result = value as Record<string, unknown> & RunnerCommon;
  if (typeof result.peakRssMiB !== 'number') throw new Error('the RESULT object has no peakRssMiB');
  return result;
}

/** Median and spread of repeated samples. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** The q-quantile (0..1) of samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Peak resident set size of this process in MiB (VmHWM), or NaN where /proc is missing. */
export async function peakRssMiB(): Promise<number> {
  const { readFileSync } = await import('node:fs');
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
