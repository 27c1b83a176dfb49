// fit(): the training loop, in readable steps. planFitData (fit-data.ts) fixes the examples, the
// validation split and the seeded generators; each epoch draws its order, then each step runs
// trainStep (train-step.ts: forward to logits -> cross-entropy or a custom loss -> backward -> clip ->
// update) in its own memory scope; finishEpoch validates and logs. Callbacks see every batch and
// epoch; the whole state (fit-state.ts) can be checkpointed between any two steps and resumed exactly
// (same weights, optimizer slots, RNG streams and history). The model is any Module whose forward gives
// class scores (a Sequential ending in softmax trains on the scores before it).
import type { AugmentOptions } from '../data/augment.js';
import { batches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { ScheduleConfig } from '../optim/schedules.js';
import type { Tensor } from '../tensor/tensor.js';
import { LearningRateScheduler } from './callbacks.js';
import { writeCheckpoint, type TrainingCheckpoint } from './checkpoint.js';
import { evaluate, inputShapeFor } from './evaluate.js';
import { planFitData } from './fit-data.js';
import { capture, freshState, resume, type FitRun, type FitState } from './fit-state.js';
import { createProgress, type Progress, type ProgressMode } from './progress.js';
import { trainStep } from './train-step.js';
import type { Callback, ClassifierModule, EpochLogs, StopReason, TrainContext } from './types.js';

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

const nextTurn = (): Promise<void> => new Promise((resolve) => {
  if (typeof setImmediate === 'function') setImmediate(resolve); // Node: after pending I/O and signals
  else setTimeout(resolve, 0); // browsers
});

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`fit: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** The callbacks of a run (a schedule first) and their checkpoint keys, which must be distinct. */
function callbacksOf(options: FitOptions): { callbacks: Callback[]; keys: string[] } {
  const callbacks: Callback[] = [...(options.schedule ? [new LearningRateScheduler(options.schedule)] : []), ...(options.callbacks ?? [])];
  const keys = callbacks.map((cb, i) => cb.key ?? `${cb.constructor.name}${i}`);
  const duplicated = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicated) throw new UsageError(`fit: two callbacks share the key '${duplicated}'; give one a distinct key`);
  return { callbacks, keys };
}

/** A stop asked for by a callback, seen between two steps. */
interface Control {
  stop: StopReason | null;
}

/** What callbacks see of the run. */
function contextOf(run: FitRun, s: FitState, control: Control, progress: Progress): TrainContext {
  return {
    model: run.model, optimizer: run.optimizer, epochs: run.epochs, stepsPerEpoch: run.data.stepsPerEpoch,
    totalSteps: run.epochs * run.data.stepsPerEpoch, baseLr: run.baseLr,
    get epoch() { return s.epoch; },
    get stepInEpoch() { return s.stepInEpoch; },
    get globalStep() { return s.globalStep; },
    get history() { return s.history; },
    stop(reason, message) {
      control.stop = reason;
      if (message) progress.log(message);
    },
    saveCheckpoint(path) { writeCheckpoint(path, capture(run, s)); },
    log(line) { progress.log(line); },
  };
}

/**
 * The steps of the current epoch from where it stands (a resume may start mid-way). Every epoch draws
 * its order from the generator as it was at the epoch's start (saved in checkpoints), so a resumed
 * epoch, at step 0 or mid-way, gets the same order. Ends early on a callback's stop or an abort.
 */
async function runEpoch(run: FitRun, s: FitState, ctx: TrainContext, control: Control, progress: Progress, train: Dataset, inputShape: readonly number[], options: FitOptions): Promise<'done' | 'stopped' | 'interrupted'> {
  const { data, batchSize, callbacks, model, optimizer } = run;
  data.shuffleRng.setState(s.shuffleAtEpochStart);
  const order = run.shuffle ? data.shuffleRng.shuffle(Int32Array.from(data.trainIndices)) : data.trainIndices;
  for (const cb of callbacks) cb.onEpochBegin?.(ctx);
  model.train();
  progress.epochBegin(s.epoch, run.epochs, data.stepsPerEpoch, s.stepInEpoch);
  s.epochStartedAt = performance.now();
  const remaining = order.subarray(s.stepInEpoch * batchSize);
  for (const batch of batches(train, { batchSize, indices: remaining, augment: data.augmenter, dropLast: options.dropLast })) {
    for (const cb of callbacks) cb.onBatchBegin?.(ctx);
    const started = performance.now();
    const step = trainStep(model, optimizer, batch, inputShape, options);
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
    if (control.stop) return 'stopped';
    await nextTurn(); // lets signal handlers (Ctrl-C) and the progress bar run
    if (options.signal?.aborted) return 'interrupted';
  }
  return 'done';
}

/** End of an epoch: validation, the history row, the callbacks; marks the run finished when it is. */
function finishEpoch(run: FitRun, s: FitState, ctx: TrainContext, control: Control, progress: Progress, options: FitOptions): void {
  const logs: EpochLogs = {
    epoch: s.epoch + 1,
    loss: s.partial.lossSum / s.partial.seen,
    accuracy: s.partial.correct / s.partial.seen,
    seconds: 0,
    lr: run.optimizer.lr,
  };
  const { validation } = run.data;
  if (validation) {
    const result = evaluate(run.model, validation.data, { batchSize: options.validationBatchSize ?? 256, indices: validation.indices });
    logs.val_loss = result.loss;
    logs.val_accuracy = result.accuracy;
  }
  logs.seconds = s.partial.seconds + (performance.now() - s.epochStartedAt) / 1000;
  s.history.push(logs);
  s.epoch++;
  s.stepInEpoch = 0;
  s.shuffleAtEpochStart = run.data.shuffleRng.getState(); // the next epoch's start: checkpoints written from here on hold it
  s.partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
  progress.epochEnd(logs, run.epochs, s.trainSamples / Math.max(1e-9, s.trainSeconds));
  for (const cb of run.callbacks) cb.onEpochEnd?.(ctx, logs);
  if (control.stop || s.epoch >= run.epochs) {
    s.finished = true;
    s.stopReason = control.stop ?? 'completed';
  }
  for (const cb of run.callbacks) cb.afterEpochEnd?.(ctx, logs);
}

/** Trains `model` on `train`; resolves to the history once all epochs ran or training stopped. */
export async function fit(model: ClassifierModule, train: Dataset, options: FitOptions): Promise<History> {
  const epochs = positiveInteger(options.epochs, 'epochs');
  const batchSize = positiveInteger(options.batchSize, 'batchSize');
  const write = options.log ?? ((line: string) => console.log(line));
  const inputShape = inputShapeFor(model, train);
  const data = planFitData(train, options, batchSize, options.seed ?? 0);
  const { callbacks, keys } = callbacksOf(options);
  const { optimizer } = options;
  const run: FitRun = { model, optimizer, data, callbacks, keys, batchSize, epochs, baseLr: optimizer.lr, shuffle: options.shuffle !== false };
  const s = freshState(data);
  const control: Control = { stop: null };
  const progress = createProgress(options.progress ?? 'auto', write);
  const ctx = contextOf(run, s, control, progress);
  const resumedAt = options.resumeFrom ? resume(run, s, options.resumeFrom, (line) => progress.log(line)) : undefined;

  for (const cb of callbacks) cb.onTrainBegin?.(ctx);
  try {
    while (!s.finished && s.epoch < epochs) {
      const ended = await runEpoch(run, s, ctx, control, progress, train, inputShape, options);
      if (ended === 'interrupted') {
        s.stopReason = 'interrupted';
        progress.log(`interrupted at epoch ${s.epoch + 1}, step ${s.stepInEpoch}/${data.stepsPerEpoch}`);
        for (const cb of callbacks) cb.onInterrupt?.(ctx);
        break;
      }
      if (control.stop === 'nan') {
        s.stopReason = 'nan';
        s.finished = true;
        break;
      }
      finishEpoch(run, s, ctx, control, progress, options);
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
