// Shared types of the training loop: per-epoch logs, the context callbacks see, and the
// callback interface (Keras-style hooks plus an optional state for exact resume).
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { NamedArray } from '../io/safetensors.js';

/**
 * What fit(), evaluate() and predict() take: any Module whose forward maps a batch to (B, classes)
 * scores (a Sequential, a VisionTransformer or ResNet with its head, an imported graph). Where it has
 * forwardLogits (a Sequential ending in softmax), that gives the scores; where it knows its inputShape,
 * batches get that shape, else the data set's.
 */
export type ClassifierModule = Module & {
  forwardLogits?(x: Tensor): Tensor;
  readonly inputShape?: readonly number[] | null;
};

/** One row of the history: train metrics, validation metrics when there is validation data, time, lr. */
export interface EpochLogs {
  /** 1-based epoch number. */
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  /** Wall time of the epoch (training and validation). */
  seconds: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
}

/** What a batch reports to callbacks. */
export interface BatchLogs {
  loss: number;
  accuracy: number;
  size: number;
  lr: number;
}

/** Why fit() returned. */
export type StopReason = 'completed' | 'early-stopping' | 'nan' | 'interrupted' | 'callback';

/** The live training state that callbacks read (and may stop). */
export interface TrainContext {
  readonly model: ClassifierModule;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** The learning rate the optimizer was created with (schedules scale from it). */
  readonly baseLr: number;
  /** 0-based index of the current epoch (after an epoch ends: the next one). */
  readonly epoch: number;
  /** Steps done in the current epoch. */
  readonly stepInEpoch: number;
  /** Steps done since the start of training (including before a resume). */
  readonly globalStep: number;
  readonly history: readonly EpochLogs[];
  /** Asks fit() to stop after the current step. */
  stop(reason: StopReason, message?: string): void;
  /** Writes a resumable checkpoint of the whole training state to `path` (atomically). */
  saveCheckpoint(path: string): void;
  /** Prints a line through fit's logger (above the progress bar). */
  log(line: string): void;
}

/** Serializable callback state: JSON plus named arrays (stored in the checkpoint's tensors). */
export interface CallbackState {
  json: unknown;
  arrays?: Map<string, NamedArray>;
}

/** Hooks called by fit(); all optional. */
export interface Callback {
  /** Identifies the callback's state inside checkpoints (default: class name and position). */
  readonly key?: string;
  onTrainBegin?(ctx: TrainContext): void;
  onEpochBegin?(ctx: TrainContext): void;
  onBatchBegin?(ctx: TrainContext): void;
  onBatchEnd?(ctx: TrainContext, logs: BatchLogs): void;
  onEpochEnd?(ctx: TrainContext, logs: EpochLogs): void;
  /** Runs after every callback's onEpochEnd, so a checkpoint written here holds their final state. */
  afterEpochEnd?(ctx: TrainContext, logs: EpochLogs): void;
  /** Training stopped by a signal (Ctrl-C) mid-epoch: last chance to save. */
  onInterrupt?(ctx: TrainContext): void;
  onTrainEnd?(ctx: TrainContext, history: readonly EpochLogs[]): void;
  stateDict?(): CallbackState;
  loadStateDict?(state: CallbackState): void;
}
