// Resumable training checkpoints: one safetensors file holding the weights (at the backend's
// precision), optimizer slots and callback arrays, with the rest of the training state (epoch,
// step, history, RNG states, optimizer step, callback state) as JSON in its metadata.
// Written atomically (temporary file, then rename), so a kill never leaves half a checkpoint.
import { builtin } from '../platform/node.js';
import type { RandomState as DataRandomState } from '../data/rng.js';
import { writeFileAtomic } from '../data/files.js';
import { ZerogradError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import type { RandomState as TensorRandomState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { EpochLogs, StopReason } from './types.js';

const { existsSync, readFileSync } = builtin('fs');

export const CHECKPOINT_FORMAT = 'zerograd-checkpoint';
// Version 2: at the end of an epoch, rng.shuffleAtEpochStart is the next epoch's start (version 1: the ended epoch's).
export const CHECKPOINT_VERSION = 2;
const META_KEY = 'zerograd.checkpoint';

/** Everything besides the arrays that a resume needs. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** 0-based epoch to continue in, and steps of it already done. */
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  /** True when training ended (all epochs, early stopping, NaN): resuming does nothing more. */
  finished: boolean;
  stopReason?: StopReason;
  /** Settings that must match for the resume to be exact. */
  run: { batchSize: number; epochs: number; trainCount: number; baseLr: number };
  history: EpochLogs[];
  /** Sums of the current, unfinished epoch. */
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  /** Total time and examples of the training steps so far (for samples/s). */
  trainSeconds: number;
  trainSamples: number;
  optimizer: { type: string; step: number; lr: number; slots: string[][] };
  rng: {
    /** The engine's global generator (initialisers, dropout masks). */
    global: TensorRandomState;
    /** The shuffling generator as it was at the start of `epoch`, before drawing its order. */
    shuffleAtEpochStart: DataRandomState;
    /** The augmentation generator now (null without augmentation). */
    augment: DataRandomState | null;
  };
  callbacks: Record<string, unknown>;
  architecture: unknown;
  /** Where it was computed: the backend and (wasm) the kernel build. A resume elsewhere is not bit-exact (absent before). */
  engine?: { backend: string; kernels?: string };
}

/** A checkpoint in memory. */
export interface TrainingCheckpoint {
  meta: CheckpointMeta;
  /** 'model.<name>', 'optimizer.<i>.<slot>', 'callback.<key>.<name>'. */
  arrays: Map<string, NamedArray>;
}

/** A tensor's values at the backend's precision, copied. */
export function exactValues(t: Tensor): NamedArray {
  const values = t.values();
  if (values instanceof Int32Array) return { dtype: 'I32', shape: [...t.shape], values: values.slice() };
  return { dtype: values instanceof Float64Array ? 'F64' : 'F32', shape: [...t.shape], values: values.slice() };
}

/** Model weights and buffers under 'model.<name>'. */
export function modelArrays(model: Module, into: Map<string, NamedArray>): void {
  for (const [name, t] of model.stateDict()) into.set(`model.${name}`, exactValues(t));
}

/** Optimizer slots under 'optimizer.<i>.<slot>'; returns the JSON part. */
export function optimizerArrays(optimizer: Optimizer, into: Map<string, NamedArray>): CheckpointMeta['optimizer'] {
  const state = optimizer.stateDict();
  const params = optimizer.parameters();
  const slots = state.slots.map((slotMap, i) => {
    const names: string[] = [];
    for (const [slot, values] of Object.entries(slotMap)) {
      if (values === null) continue;
      const exact = params[i].values() instanceof Float64Array;
      into.set(`optimizer.${i}.${slot}`, { dtype: exact ? 'F64' : 'F32', shape: [...params[i].shape], values: exact ? Float64Array.from(values) : Float32Array.from(values) });
      names.push(slot);
    }
    return names;
  });
  return { type: state.type, step: state.step, lr: state.lr, slots };
}

/** Restores optimizer state written by optimizerArrays. */
export function restoreOptimizer(optimizer: Optimizer, meta: CheckpointMeta['optimizer'], arrays: ReadonlyMap<string, NamedArray>, where: string): void {
  const slots = meta.slots.map((names, i) => Object.fromEntries(names.map((slot) => {
    const array = arrays.get(`optimizer.${i}.${slot}`);
    if (!array) throw new ZerogradError(`${where}: optimizer slot '${slot}' of parameter ${i} is missing`);
    return [slot, Array.from(array.values)];
  })));
  const state: OptimizerState = { type: meta.type, step: meta.step, lr: meta.lr, slots };
  try {
    optimizer.loadStateDict(state);
  } catch (err) {
    throw new ZerogradError(`${where}: ${(err as Error).message}`);
  }
}

/** The arrays stored under `prefix.` with the prefix removed. */
export function arraysUnder(arrays: ReadonlyMap<string, NamedArray>, prefix: string): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, array] of arrays) if (name.startsWith(`${prefix}.`)) out.set(name.slice(prefix.length + 1), array);
  return out;
}

/** Writes a checkpoint file atomically. */
export function writeCheckpoint(path: string, checkpoint: TrainingCheckpoint): void {
  writeFileAtomic(path, encodeSafetensors(checkpoint.arrays, { [META_KEY]: JSON.stringify(checkpoint.meta) }));
}

/** Reads and checks a checkpoint file. */
export function readCheckpoint(path: string): TrainingCheckpoint {
  if (!existsSync(path)) throw new ZerogradError(`${path}: checkpoint not found`);
  const file = decodeSafetensors(readFileSync(path), path);
  const text = file.metadata[META_KEY];
  if (text === undefined) throw new ZerogradError(`${path}: not a zerograd training checkpoint (no '${META_KEY}' metadata)`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(text) as CheckpointMeta;
  } catch (err) {
    throw new ZerogradError(`${path}: checkpoint metadata is not valid JSON (${(err as Error).message})`);
  }
  if (meta.format !== CHECKPOINT_FORMAT) throw new ZerogradError(`${path}: format ${JSON.stringify(meta.format)}, expected ${CHECKPOINT_FORMAT}`);
  if (!(meta.version >= 1)) throw new ZerogradError(`${path}: invalid checkpoint version ${JSON.stringify(meta.version)}`);
  if (meta.version > CHECKPOINT_VERSION) {
    throw new ZerogradError(`${path}: checkpoint version ${meta.version} was written by a newer zerograd; this one reads up to ${CHECKPOINT_VERSION}`);
  }
  return { meta, arrays: file.tensors };
}
