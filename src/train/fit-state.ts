// fit()'s mutable training state (everything a checkpoint holds besides the weights and optimizer
// slots): where training is, the history, the sums of the unfinished epoch, the generators' states.
// capture() turns a run into a TrainingCheckpoint; resume() puts a checkpoint's state back.
import type { Backend } from '../backend/backend.js';
import { ZerogradError } from '../errors.js';
import { loadWeights } from '../io/model-config.js';
import type { NamedArray } from '../io/safetensors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { getBackend, globalRandom } from '../tensor/engine.js';
import {
  arraysUnder, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, modelArrays, optimizerArrays, readCheckpoint, restoreOptimizer,
  type CheckpointMeta, type TrainingCheckpoint,
} from './checkpoint.js';
import type { FitData } from './fit-data.js';
import type { Callback, ClassifierModule, EpochLogs, StopReason } from './types.js';

export interface FitState {
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  history: EpochLogs[];
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  trainSeconds: number;
  trainSamples: number;
  finished: boolean;
  stopReason: StopReason;
  shuffleAtEpochStart: ReturnType<FitData['shuffleRng']['getState']>;
  epochStartedAt: number;
}

/** What capture() and resume() need of the run besides its state. */
export interface FitRun {
  model: ClassifierModule;
  optimizer: Optimizer;
  data: FitData;
  callbacks: readonly Callback[];
  /** Each callback's key inside checkpoints. */
  keys: readonly string[];
  batchSize: number;
  epochs: number;
  baseLr: number;
  shuffle: boolean;
}

/** The backend and kernel build a checkpoint records. */
export const engineOf = (backend: Backend): NonNullable<CheckpointMeta['engine']> =>
  (backend.kernelBuild ? { backend: backend.name, kernels: backend.kernelBuild } : { backend: backend.name });
const describeEngine = (engine: NonNullable<CheckpointMeta['engine']>): string =>
  `${engine.backend}${engine.kernels ? ` (${engine.kernels} kernels)` : ''}`;

/** The state at the start of a fresh run. */
export function freshState(data: FitData): FitState {
  return {
    epoch: 0, stepInEpoch: 0, globalStep: 0, history: [],
    partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    trainSeconds: 0, trainSamples: 0, finished: false, stopReason: 'completed',
    shuffleAtEpochStart: data.shuffleRng.getState(), epochStartedAt: performance.now(),
  };
}

/** The whole training state as a checkpoint (weights and slots at the backend's precision). */
export function capture(run: FitRun, s: FitState): TrainingCheckpoint {
  const arrays = new Map<string, NamedArray>();
  modelArrays(run.model, arrays);
  const optimizerMeta = optimizerArrays(run.optimizer, arrays);
  const callbackJson: Record<string, unknown> = {};
  run.callbacks.forEach((cb, i) => {
    const state = cb.stateDict?.();
    if (!state) return;
    callbackJson[run.keys[i]] = state.json;
    for (const [name, array] of state.arrays ?? []) arrays.set(`callback.${run.keys[i]}.${name}`, array);
  });
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION,
    epoch: s.epoch, stepInEpoch: s.stepInEpoch, globalStep: s.globalStep, finished: s.finished,
    ...(s.finished ? { stopReason: s.stopReason } : {}),
    run: { batchSize: run.batchSize, epochs: run.epochs, trainCount: run.data.trainIndices.length, baseLr: run.baseLr },
    history: s.history,
    partial: { ...s.partial, seconds: s.stepInEpoch > 0 ? s.partial.seconds + (performance.now() - s.epochStartedAt) / 1000 : 0 },
    trainSeconds: s.trainSeconds, trainSamples: s.trainSamples,
    optimizer: optimizerMeta,
    rng: { global: globalRandom().getState(), shuffleAtEpochStart: s.shuffleAtEpochStart, augment: run.data.augmentRng?.getState() ?? null },
    callbacks: callbackJson,
    architecture: run.model.config(),
    engine: engineOf(getBackend()),
  };
  return { meta, arrays };
}

/**
 * Restores `s`, the weights, the optimizer, the generators and the callbacks from a checkpoint made
 * by a run with the same data and batch size; `log` gets a note when it was computed on another engine.
 * Returns where the run resumes.
 */
export function resume(run: FitRun, s: FitState, from: string | TrainingCheckpoint, log: (line: string) => void): { epoch: number; stepInEpoch: number } {
  const checkpoint = typeof from === 'string' ? readCheckpoint(from) : from;
  const where = typeof from === 'string' ? from : 'checkpoint';
  const { meta } = checkpoint;
  const { data, batchSize } = run;
  if (meta.run.batchSize !== batchSize || meta.run.trainCount !== data.trainIndices.length) {
    throw new ZerogradError(`${where}: made with batch size ${meta.run.batchSize} on ${meta.run.trainCount} training examples; this run has batch size ${batchSize} and ${data.trainIndices.length} examples, so it cannot continue it exactly`);
  }
  const computedOn = meta.engine ? describeEngine(meta.engine) : null;
  const here = describeEngine(engineOf(getBackend()));
  if (computedOn !== null && computedOn !== here) log(`note: ${where} was computed on ${computedOn}; resuming on ${here} continues it, but not bit for bit`);
  loadWeights(run.model, arraysUnder(checkpoint.arrays, 'model'), where, ['F32', 'F64']);
  restoreOptimizer(run.optimizer, meta.optimizer, checkpoint.arrays, where);
  globalRandom().setState(meta.rng.global);
  data.shuffleRng.setState(meta.rng.shuffleAtEpochStart);
  // Version 1 stored, at the end of an epoch, the generator as it was at the start of the epoch
  // that had just ended: drawing that epoch's order once brings it to the next epoch's start.
  if (meta.version < 2 && meta.stepInEpoch === 0 && meta.epoch > 0 && run.shuffle) data.shuffleRng.shuffle(Int32Array.from(data.trainIndices));
  if (data.augmentRng && meta.rng.augment) data.augmentRng.setState(meta.rng.augment);
  run.callbacks.forEach((cb, i) => {
    if (cb.loadStateDict && meta.callbacks[run.keys[i]] !== undefined) {
      cb.loadStateDict({ json: meta.callbacks[run.keys[i]], arrays: arraysUnder(checkpoint.arrays, `callback.${run.keys[i]}`) });
    }
  });
  Object.assign(s, {
    epoch: meta.epoch, stepInEpoch: meta.stepInEpoch, globalStep: meta.globalStep, history: [...meta.history],
    partial: { ...meta.partial }, trainSeconds: meta.trainSeconds, trainSamples: meta.trainSamples,
    // A run that completed all its epochs continues when asked for more (e.g. --epochs 10 after 5).
    finished: meta.finished && !(meta.stopReason === 'completed' && run.epochs > meta.epoch),
    stopReason: meta.stopReason ?? 'completed', shuffleAtEpochStart: data.shuffleRng.getState(),
  });
  return { epoch: meta.epoch, stepInEpoch: meta.stepInEpoch };
}
