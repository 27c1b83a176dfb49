// fit(): the training loop. Each epoch draws a seeded order, then each step runs in its own
// memory scope: forward (logits) -> fused cross-entropy -> backward -> clip -> optimizer step.
// Callbacks see every batch and epoch; the whole state can be checkpointed between any two
// steps and resumed exactly (same weights, optimizer slots, RNG streams and history).
import type { Backend } from '../backend/backend.js';
import { Augmenter, type AugmentOptions } from '../data/augment.js';
import { batchCount, batches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { Random as DataRandom } from '../data/rng.js';
import { holdout } from '../data/split.js';
import { UsageError, ZerogradError } from '../errors.js';
import { loadWeights } from '../io/model-config.js';
import type { NamedArray } from '../io/safetensors.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ScheduleConfig } from '../optim/schedules.js';
import { tensor } from '../ops/create.js';
import '../ops/methods.js'; // Tensor methods used here: crossEntropy, softmax, backward
import { getBackend, globalRandom, scope } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { LearningRateScheduler } from './callbacks.js';
import {
  arraysUnder, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, modelArrays, optimizerArrays, readCheckpoint, restoreOptimizer,
  writeCheckpoint, type CheckpointMeta, type TrainingCheckpoint,
} from './checkpoint.js';
import { classesOf, batchTensor, evaluate, inputShapeFor } from './evaluate.js';
import { createProgress, type ProgressMode } from './progress.js';
import type { Callback, EpochLogs, StopReason, TrainContext } from './types.js';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  /** A separate validation set (e.g. the test split is NOT a good choice for tuning). */
  validationData?: Dataset | null;
  /** Or: hold out this fraction of the training set (stratified, seeded). */
  validationSplit?: number;
  callbacks?: Callback[];
  /** Seeds shuffling, augmentation and the validation split (default 0). Seed weights with manualSeed(). */
  seed?: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Random distortions of each training batch (default none). */
  augment?: AugmentOptions | null;
  /** Learning-rate schedule over all steps, from the optimizer's initial lr. */
  schedule?: ScheduleConfig;
  /** Clip the global gradient norm. */
  clipNorm?: number;
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
  /** Stop between two steps when aborted (Ctrl-C); callbacks get onInterrupt to save. */
  signal?: AbortSignal;
  /** 'auto' (default): a progress bar on a TTY, one line per epoch otherwise. */
  progress?: ProgressMode;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
  /** Continue from a checkpoint (path or loaded) written by a run with the same data and batch size. */
  resumeFrom?: string | TrainingCheckpoint | null;
  /** Batch size of validation passes (default 256). */
  validationBatchSize?: number;
  /**
   * A custom training loss (e.g. a self-supervised objective) instead of cross-entropy on
   * forwardLogits: (x, y) -> scalar. Training accuracy is then not measured (reported as NaN).
   */
  lossFn?: (x: Tensor, y: Tensor) => Tensor;
}

/** What fit() returns, like Keras' History. */
export interface History {
  /** One entry per finished epoch (including epochs before a resume). */
  history: EpochLogs[];
  stopReason: StopReason;
  /** Training examples per second over the training steps (validation excluded). */
  samplesPerSecond: number;
  globalStep: number;
  /** Where a resumed run started, if it was resumed. */
  resumedAt?: { epoch: number; stepInEpoch: number };
}

/** The backend and kernel build a checkpoint records. */
const engineOf = (backend: Backend): NonNullable<CheckpointMeta['engine']> =>
  (backend.kernelBuild ? { backend: backend.name, kernels: backend.kernelBuild } : { backend: backend.name });
const describeEngine = (engine: NonNullable<CheckpointMeta['engine']>): string =>
  `${engine.backend}${engine.kernels ? ` (${engine.kernels} kernels)` : ''}`;

const nextTurn = (): Promise<void> => new Promise((resolve) => {
  if (typeof setImmediate === 'function') setImmediate(resolve); // Node: after pending I/O and signals
  else setTimeout(resolve, 0); // browsers
});

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`fit: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** Trains `model` on `train`; resolves to the history once all epochs ran or training stopped. */
export async function fit(model: Sequential, train: Dataset, options: FitOptions): Promise<History> {
  const epochs = positiveInteger(options.epochs, 'epochs');
  const batchSize = positiveInteger(options.batchSize, 'batchSize');
  const { optimizer } = options;
  const seed = options.seed ?? 0;
  const write = options.log ?? ((line: string) => console.log(line));
  const inputShape = inputShapeFor(model, train);

  // ---- data: train indices, validation, seeded generators ----
  let trainIndices: Int32Array = Int32Array.from({ length: train.count }, (_, i) => i);
  let validation: { data: Dataset; indices?: Int32Array } | null = options.validationData ? { data: options.validationData } : null;
  if (options.validationSplit !== undefined && options.validationSplit > 0) {
    if (validation) throw new UsageError('fit: pass validationData or validationSplit, not both');
    const split = holdout(train.labels, { validationFraction: options.validationSplit, seed });
    trainIndices = split.train;
    validation = { data: train, indices: split.validation };
  }
  if (trainIndices.length === 0) throw new UsageError(`fit: no training examples in ${train.name}`);
  const shuffleRng = new DataRandom(seed);
  const augmentRng = options.augment ? new DataRandom(seed + 0x9e3779b9) : null;
  const augmenter = options.augment && augmentRng ? new Augmenter(options.augment, augmentRng) : null;
  const stepsPerEpoch = batchCount(trainIndices.length, batchSize, options.dropLast ?? false);
  if (stepsPerEpoch === 0) throw new UsageError(`fit: ${trainIndices.length} examples make no full batch of ${batchSize} with dropLast`);

  const callbacks: Callback[] = [...(options.schedule ? [new LearningRateScheduler(options.schedule)] : []), ...(options.callbacks ?? [])];
  const keys = callbacks.map((cb, i) => cb.key ?? `${cb.constructor.name}${i}`);
  const duplicated = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicated) throw new UsageError(`fit: two callbacks share the key '${duplicated}'; give one a distinct key`);

  // ---- the mutable training state (everything a checkpoint holds) ----
  const baseLr = optimizer.lr;
  const s = {
    epoch: 0, stepInEpoch: 0, globalStep: 0, history: [] as EpochLogs[],
    partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    trainSeconds: 0, trainSamples: 0, finished: false, stopReason: 'completed' as StopReason,
    shuffleAtEpochStart: shuffleRng.getState(), epochStartedAt: performance.now(),
  };
  let stopRequested: StopReason | null = null;
  const progress = createProgress(options.progress ?? 'auto', write);

  const capture = (): TrainingCheckpoint => {
    const arrays = new Map<string, NamedArray>();
    modelArrays(model, arrays);
    const optimizerMeta = optimizerArrays(optimizer, arrays);
    const callbackJson: Record<string, unknown> = {};
    callbacks.forEach((cb, i) => {
      const state = cb.stateDict?.();
      if (!state) return;
      callbackJson[keys[i]] = state.json;
      for (const [name, array] of state.arrays ?? []) arrays.set(`callback.${keys[i]}.${name}`, array);
    });
    const meta: CheckpointMeta = {
      format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION,
      epoch: s.epoch, stepInEpoch: s.stepInEpoch, globalStep: s.globalStep, finished: s.finished,
      ...(s.finished ? { stopReason: s.stopReason } : {}),
      run: { batchSize, epochs, trainCount: trainIndices.length, baseLr },
      history: s.history,
      partial: { ...s.partial, seconds: s.stepInEpoch > 0 ? s.partial.seconds + (performance.now() - s.epochStartedAt) / 1000 : 0 },
      trainSeconds: s.trainSeconds, trainSamples: s.trainSamples,
      optimizer: optimizerMeta,
      rng: { global: globalRandom().getState(), shuffleAtEpochStart: s.shuffleAtEpochStart, augment: augmentRng?.getState() ?? null },
      callbacks: callbackJson,
      architecture: model.config(),
      engine: engineOf(getBackend()),
    };
    return { meta, arrays };
  };

  const ctx: TrainContext = {
    model, optimizer, epochs, stepsPerEpoch, totalSteps: epochs * stepsPerEpoch, baseLr,
    get epoch() { return s.epoch; },
    get stepInEpoch() { return s.stepInEpoch; },
    get globalStep() { return s.globalStep; },
    get history() { return s.history; },
    stop(reason, message) {
      stopRequested = reason;
      if (message) progress.log(message);
    },
    saveCheckpoint(path) { writeCheckpoint(path, capture()); },
    log(line) { progress.log(line); },
  };

  // ---- resume ----
  let resumedAt: History['resumedAt'];
  if (options.resumeFrom) {
    const checkpoint = typeof options.resumeFrom === 'string' ? readCheckpoint(options.resumeFrom) : options.resumeFrom;
    const where = typeof options.resumeFrom === 'string' ? options.resumeFrom : 'checkpoint';
    const { meta } = checkpoint;
    if (meta.run.batchSize !== batchSize || meta.run.trainCount !== trainIndices.length) {
      throw new ZerogradError(`${where}: made with batch size ${meta.run.batchSize} on ${meta.run.trainCount} training examples; this run has batch size ${batchSize} and ${trainIndices.length} examples, so it cannot continue it exactly`);
    }
    const from = meta.engine ? describeEngine(meta.engine) : null;
    const here = describeEngine(engineOf(getBackend()));
    if (from !== null && from !== here) progress.log(`note: ${where} was computed on ${from}; resuming on ${here} continues it, but not bit for bit`);
    loadWeights(model, arraysUnder(checkpoint.arrays, 'model'), where, ['F32', 'F64']);
    restoreOptimizer(optimizer, meta.optimizer, checkpoint.arrays, where);
    globalRandom().setState(meta.rng.global);
    shuffleRng.setState(meta.rng.shuffleAtEpochStart);
    // Version 1 stored, at the end of an epoch, the generator as it was at the start of the epoch
    // that had just ended: drawing that epoch's order once brings it to the next epoch's start.
    if (meta.version < 2 && meta.stepInEpoch === 0 && meta.epoch > 0 && options.shuffle !== false) shuffleRng.shuffle(Int32Array.from(trainIndices));
    if (augmentRng && meta.rng.augment) augmentRng.setState(meta.rng.augment);
    callbacks.forEach((cb, i) => {
      if (cb.loadStateDict && meta.callbacks[keys[i]] !== undefined) {
        cb.loadStateDict({ json: meta.callbacks[keys[i]], arrays: arraysUnder(checkpoint.arrays, `callback.${keys[i]}`) });
      }
    });
    Object.assign(s, {
      epoch: meta.epoch, stepInEpoch: meta.stepInEpoch, globalStep: meta.globalStep, history: [...meta.history],
      partial: { ...meta.partial }, trainSeconds: meta.trainSeconds, trainSamples: meta.trainSamples,
      // A run that completed all its epochs continues when asked for more (e.g. --epochs 10 after 5).
      finished: meta.finished && !(meta.stopReason === 'completed' && epochs > meta.epoch),
      stopReason: meta.stopReason ?? 'completed', shuffleAtEpochStart: shuffleRng.getState(),
    });
    resumedAt = { epoch: meta.epoch, stepInEpoch: meta.stepInEpoch };
  }

  // ---- the loop ----
  for (const cb of callbacks) cb.onTrainBegin?.(ctx);
  try {
    while (!s.finished && s.epoch < epochs) {
      // Every epoch draws its order from the generator as it was at the epoch's start (saved in
      // checkpoints), so a resumed epoch, at step 0 or mid-way, gets the same order.
      shuffleRng.setState(s.shuffleAtEpochStart);
      const order = options.shuffle === false ? trainIndices : shuffleRng.shuffle(Int32Array.from(trainIndices));
      for (const cb of callbacks) cb.onEpochBegin?.(ctx);
      model.train();
      progress.epochBegin(s.epoch, epochs, stepsPerEpoch, s.stepInEpoch);
      s.epochStartedAt = performance.now();
      let interrupted = false;
      const remaining = order.subarray(s.stepInEpoch * batchSize);
      for (const batch of batches(train, { batchSize, indices: remaining, augment: augmenter, dropLast: options.dropLast })) {
        for (const cb of callbacks) cb.onBatchBegin?.(ctx);
        const started = performance.now();
        const step = scope(() => {
          const x = batchTensor(batch.x, batch.size, inputShape); // (B, ...inputShape)
          const y = tensor(batch.y, { shape: [batch.size], dtype: 'int32' }); // (B)
          const logits = options.lossFn ? null : model.forwardLogits(x); // (B, classes)
          const loss = logits ? logits.crossEntropy(y) : (options.lossFn as NonNullable<FitOptions['lossFn']>)(x, y);
          optimizer.zeroGrad();
          loss.backward();
          if (options.clipNorm) clipGradNorm(optimizer.parameters(), options.clipNorm);
          optimizer.step();
          if (!logits) return { loss: loss.item(), correct: Number.NaN };
          const scores = logits.data();
          const predicted = classesOf(scores, batch.size, scores.length / batch.size);
          let correct = 0;
          for (let b = 0; b < batch.size; b++) if (predicted[b] === batch.y[b]) correct++;
          return { loss: loss.item(), correct };
        });
        s.trainSeconds += (performance.now() - started) / 1000;
        s.trainSamples += batch.size;
        s.partial.lossSum += step.loss * batch.size;
        s.partial.correct += step.correct;
        s.partial.seen += batch.size;
        s.stepInEpoch++;
        s.globalStep++;
        const batchLogs = { loss: step.loss, accuracy: step.correct / batch.size, size: batch.size, lr: optimizer.lr };
        for (const cb of callbacks) cb.onBatchEnd?.(ctx, batchLogs);
        progress.batch(s.stepInEpoch, s.partial.lossSum / s.partial.seen, s.partial.correct / s.partial.seen, s.trainSamples / Math.max(1e-9, s.trainSeconds));
        if (stopRequested) break;
        await nextTurn(); // lets signal handlers (Ctrl-C) and the progress bar run
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
      }
      if (interrupted) {
        s.stopReason = 'interrupted';
        progress.log(`interrupted at epoch ${s.epoch + 1}, step ${s.stepInEpoch}/${stepsPerEpoch}`);
        for (const cb of callbacks) cb.onInterrupt?.(ctx);
        break;
      }
      if (stopRequested === 'nan') {
        s.stopReason = 'nan';
        s.finished = true;
        break;
      }
      // ---- end of epoch: validation, logs, callbacks ----
      const logs: EpochLogs = {
        epoch: s.epoch + 1,
        loss: s.partial.lossSum / s.partial.seen,
        accuracy: s.partial.correct / s.partial.seen,
        seconds: 0,
        lr: optimizer.lr,
      };
      if (validation) {
        const result = evaluate(model, validation.data, { batchSize: options.validationBatchSize ?? 256, indices: validation.indices });
        logs.val_loss = result.loss;
        logs.val_accuracy = result.accuracy;
      }
      logs.seconds = s.partial.seconds + (performance.now() - s.epochStartedAt) / 1000;
      s.history.push(logs);
      s.epoch++;
      s.stepInEpoch = 0;
      s.shuffleAtEpochStart = shuffleRng.getState(); // the next epoch's start: checkpoints written from here on hold it
      s.partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      progress.epochEnd(logs, epochs, s.trainSamples / Math.max(1e-9, s.trainSeconds));
      for (const cb of callbacks) cb.onEpochEnd?.(ctx, logs);
      if (stopRequested || s.epoch >= epochs) {
        s.finished = true;
        s.stopReason = stopRequested ?? 'completed';
      }
      for (const cb of callbacks) cb.afterEpochEnd?.(ctx, logs);
    }
  } finally {
    progress.close();
  }
  if (s.stopReason !== 'interrupted') for (const cb of callbacks) cb.onTrainEnd?.(ctx, s.history);
  return {
    history: s.history,
    stopReason: s.stopReason,
    samplesPerSecond: s.trainSeconds > 0 ? s.trainSamples / s.trainSeconds : 0,
    globalStep: s.globalStep,
    ...(resumedAt ? { resumedAt } : {}),
  };
}
