// Built-in callbacks: EarlyStopping, ModelCheckpoint (last and best), LearningRateScheduler
// and TerminateOnNaN. Each keeps its state in stateDict() so a resumed run behaves the same.
import { builtin } from '../platform/node.js';
import { ZerogradError } from '../errors.js';
import type { NamedArray } from '../io/safetensors.js';
import { learningRateAt, type ScheduleConfig } from '../optim/schedules.js';
import { tensor } from '../ops/create.js';
import type { Callback, CallbackState, EpochLogs, TrainContext } from './types.js';

const { mkdirSync } = builtin('fs');
const { join } = builtin('path');

export type Monitor = 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy';
export type MonitorMode = 'min' | 'max' | 'auto';

/** Tracks the best value of a monitored metric. */
class Best {
  value: number | null = null;
  epoch = 0;
  constructor(readonly monitor: Monitor, readonly mode: 'min' | 'max', readonly minDelta = 0) {}

  /** The monitored value of `logs`, falling back from val_* to the train metric when there is no validation. */
  read(logs: EpochLogs): number | undefined {
    const value = logs[this.monitor];
    if (value !== undefined) return value;
    return this.monitor.startsWith('val_') ? logs[this.monitor.slice(4) as Monitor] : undefined;
  }

  improves(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    if (this.value === null) return true;
    return this.mode === 'min' ? value < this.value - this.minDelta : value > this.value + this.minDelta;
  }
}

function resolveMode(monitor: Monitor, mode: MonitorMode = 'auto'): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return monitor.endsWith('accuracy') ? 'max' : 'min';
}

function checkMonitor(monitor: string, where: string): Monitor {
  if (!['loss', 'accuracy', 'val_loss', 'val_accuracy'].includes(monitor)) {
    throw new ZerogradError(`${where}: monitor must be loss, accuracy, val_loss or val_accuracy, got '${monitor}'`);
  }
  return monitor as Monitor;
}

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  mode?: MonitorMode;
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping (default false). */
  restoreBestWeights?: boolean;
}

/** Stops training when the monitored metric has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  readonly key = 'EarlyStopping';
  private readonly best: Best;
  private readonly patience: number;
  private readonly restoreBestWeights: boolean;
  private wait = 0;
  private bestWeights: Map<string, NamedArray> | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const monitor = checkMonitor(options.monitor ?? 'val_loss', 'EarlyStopping');
    this.best = new Best(monitor, resolveMode(monitor, options.mode), options.minDelta ?? 0);
    this.patience = options.patience ?? 3;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
  }

  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    const value = this.best.read(logs);
    if (value === undefined) return;
    if (this.best.improves(value)) {
      this.best.value = value;
      this.best.epoch = logs.epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = snapshotWeights(ctx);
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      ctx.stop('early-stopping', `early stopping: ${this.best.monitor} has not improved for ${this.wait} epochs (best ${this.best.value?.toFixed(4)} at epoch ${this.best.epoch})`);
      if (this.restoreBestWeights && this.bestWeights) {
        restoreWeights(ctx, this.bestWeights);
        ctx.log(`restored the weights of epoch ${this.best.epoch}`);
      }
    }
  }

  stateDict(): CallbackState {
    return { json: { best: this.best.value, bestEpoch: this.best.epoch, wait: this.wait }, arrays: this.bestWeights ?? undefined };
  }

  loadStateDict(state: CallbackState): void {
    const json = state.json as { best: number | null; bestEpoch: number; wait: number };
    this.best.value = json.best;
    this.best.epoch = json.bestEpoch;
    this.wait = json.wait;
    this.bestWeights = state.arrays && state.arrays.size > 0 ? state.arrays : null;
  }
}

function snapshotWeights(ctx: TrainContext): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of ctx.model.stateDict()) {
    const values = t.values();
    out.set(name, { dtype: values instanceof Float64Array ? 'F64' : 'F32', shape: [...t.shape], values: values instanceof Int32Array ? Float32Array.from(values) : values.slice() });
  }
  return out;
}

function restoreWeights(ctx: TrainContext, weights: Map<string, NamedArray>): void {
  const state = new Map([...weights].map(([name, a]) => [name, tensor(a.values, { shape: a.shape })] as const));
  try {
    ctx.model.loadStateDict(state);
  } finally {
    for (const t of state.values()) t.dispose();
  }
}

export interface ModelCheckpointOptions {
  /** Folder for `last.ckpt` and `best.ckpt`. */
  dir: string;
  /** Metric deciding `best.ckpt` (default val_loss, or loss without validation). */
  monitor?: Monitor;
  mode?: MonitorMode;
  /** Also write `last.ckpt` every N steps (default: only at the end of each epoch). */
  everySteps?: number;
  /** Write best.ckpt when the monitored metric improves (default true). */
  saveBest?: boolean;
}

/** Writes resumable checkpoints: `last.ckpt` every epoch (and every N steps, and on Ctrl-C), `best.ckpt` on improvement. */
export class ModelCheckpoint implements Callback {
  readonly key = 'ModelCheckpoint';
  readonly lastPath: string;
  readonly bestPath: string;
  private readonly best: Best;
  private readonly everySteps: number;
  private readonly saveBest: boolean;

  constructor(options: ModelCheckpointOptions) {
    const monitor = checkMonitor(options.monitor ?? 'val_loss', 'ModelCheckpoint');
    this.best = new Best(monitor, resolveMode(monitor, options.mode));
    this.everySteps = options.everySteps ?? 0;
    if (!Number.isInteger(this.everySteps) || this.everySteps < 0) throw new ZerogradError(`ModelCheckpoint: everySteps must be a non-negative integer, got ${options.everySteps}`);
    this.saveBest = options.saveBest ?? true;
    mkdirSync(options.dir, { recursive: true });
    this.lastPath = join(options.dir, 'last.ckpt');
    this.bestPath = join(options.dir, 'best.ckpt');
  }

  onBatchEnd(ctx: TrainContext): void {
    // The last step of an epoch is saved by onEpochEnd, with the epoch's logs.
    if (this.everySteps > 0 && ctx.globalStep % this.everySteps === 0 && ctx.stepInEpoch < ctx.stepsPerEpoch) ctx.saveCheckpoint(this.lastPath);
  }

  private improved = false;

  onEpochEnd(_ctx: TrainContext, logs: EpochLogs): void {
    const value = this.best.read(logs);
    this.improved = value !== undefined && this.best.improves(value);
    if (value !== undefined && this.improved) {
      this.best.value = value;
      this.best.epoch = logs.epoch;
    }
  }

  afterEpochEnd(ctx: TrainContext): void {
    ctx.saveCheckpoint(this.lastPath);
    if (this.improved && this.saveBest) ctx.saveCheckpoint(this.bestPath);
  }

  onInterrupt(ctx: TrainContext): void {
    ctx.saveCheckpoint(this.lastPath);
  }

  stateDict(): CallbackState {
    return { json: { best: this.best.value, bestEpoch: this.best.epoch } };
  }

  loadStateDict(state: CallbackState): void {
    const json = state.json as { best: number | null; bestEpoch: number };
    this.best.value = json.best;
    this.best.epoch = json.bestEpoch;
  }
}

/** Sets the optimizer's learning rate before every step from a schedule (or a function of the step). */
export class LearningRateScheduler implements Callback {
  readonly key = 'LearningRateScheduler';
  constructor(readonly schedule: ScheduleConfig | ((step: number, baseLr: number, totalSteps: number) => number)) {}

  onBatchBegin(ctx: TrainContext): void {
    const lr = typeof this.schedule === 'function'
      ? this.schedule(ctx.globalStep, ctx.baseLr, ctx.totalSteps)
      : learningRateAt(this.schedule, ctx.baseLr, ctx.globalStep, ctx.totalSteps);
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new ZerogradError(`LearningRateScheduler: the schedule gave lr ${lr} at step ${ctx.globalStep}`);
    ctx.optimizer.lr = lr;
  }
}

/** Stops training as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN implements Callback {
  readonly key = 'TerminateOnNaN';
  onBatchEnd(ctx: TrainContext, logs: { loss: number }): void {
    if (!Number.isFinite(logs.loss)) ctx.stop('nan', `stopping: the loss became ${logs.loss} at step ${ctx.globalStep} (lower the learning rate or clip gradients)`);
  }
}
