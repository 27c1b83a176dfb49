// Self-training with pseudo-labels (`zerograd finetune --pseudo-label`): the current model labels
// the unlabeled training images, the confident ones are kept class-balanced, and a fresh student
// (from the pretrained backbone, or a CNN preset from scratch) is trained on the true labels plus the pseudo-labels; repeat.
import type { Dataset } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { predict } from '../train/evaluate.js';
import { buildModel } from '../models/build.js';
import { preset } from '../models/presets.js';
import { AdamW, type ScheduleConfig } from '../optim/index.js';
import { accuracy, argmaxRows } from '../metrics/index.js';
import { manualSeed } from '../tensor/engine.js';
import { fit, type History } from '../train/fit.js';
import { type Arm, FINETUNE_AUGMENT, labeledSet, modelForArm, trainClassifier, type PretrainedFolder, type TrainRecipe } from './finetune-run.js';
import { knnGraph, smoothOverGraph } from './knn-graph.js';
import { pseudoLabelAccuracy, selectPseudoLabels } from './pseudo-label.js';

export interface SelfTrainingOptions {
  /** Rounds of label -> select -> retrain (default 3). */
  rounds: number;
  /** Keep a pseudo-label when its probability is at least this (default 0.9). */
  threshold: number;
  /**
   * Rounds over which the per-class cap grows to the whole pool: round r may use min(1, r / ramp) of it
   * (0, the default, means `rounds`: everything only in the last round; smaller leaves full-pool rounds at the end).
   */
  ramp: number;
  /** Passes over the pseudo-labeled set per student (default 2). */
  studentEpochs: number;
  /** The student: a fresh copy of the pretrained backbone fine-tuned with the run's strategy, or a CNN preset from scratch. */
  student: StudentKind;
  /** The last round's student, the model the run keeps (default null: the same as `student`). */
  finalStudent: StudentKind | null;
  /**
   * Temporal ensemble: label with a running average of every round's probabilities, each new model weighted
   * `ensemble` (0 = off, the default: label with the current model only; 0.5 halves older rounds' weight each round).
   */
  ensemble: number;
  /**
   * Refine each round's probabilities over a k-nearest-neighbour graph of the unlabeled images before selecting
   * (knn-graph.ts): this many neighbours (0 = off, the default).
   */
  graph: number;
  /** Weight of the neighbours' vote in that refinement (default 0.5). */
  graphWeight: number;
}

/** The presets a student can be trained from scratch as. */
export const STUDENT_PRESETS = ['cnn', 'cnn-fast', 'cnn-best'] as const;
export type StudentKind = 'backbone' | (typeof STUDENT_PRESETS)[number];

/**
 * How a preset student is trained (AdamW, weight decay 5e-4, augmentation): `cnn` with peak 2e-3 and cosine
 * (the recipe the documented runs used); the batch-norm presets with their own peak rate and one-cycle schedule.
 */
function studentTraining(name: (typeof STUDENT_PRESETS)[number]): { lr: number; schedule: ScheduleConfig } {
  if (name === 'cnn') return { lr: 0.002, schedule: { type: 'cosine', warmupSteps: 20 } };
  const { recipe } = preset(name);
  return { lr: recipe.lr, schedule: recipe.schedule ?? { type: 'constant' } };
}

/** A trained student (the model the next round's pseudo-labels come from). */
export interface Student {
  model: Sequential;
  history: History;
  trainable: number;
  total: number;
}

export const SELF_TRAINING_DEFAULTS: Readonly<SelfTrainingOptions> = Object.freeze({ rounds: 3, threshold: 0.9, ramp: 0, studentEpochs: 2, student: 'backbone', finalStudent: null, ensemble: 0, graph: 0, graphWeight: 0.5 });

/** What one round did, for metrics.json and the report. */
export interface RoundRecord {
  round: number;
  /** What the round's student was: the pretrained backbone or a CNN preset. */
  student: StudentKind;
  /** Confident examples before the per-class cap and balancing. */
  confident: number;
  /** Pseudo-labels used for the student. */
  used: number;
  perClass: number[];
  /** Share of used pseudo-labels equal to the true label (measured only; never used for selection). */
  accuracy: number;
  /** With --pseudo-graph: the share of the whole unlabeled pool whose top class is right, before and after the graph refinement (measured only). */
  poolAccuracy?: { model: number; graph: number };
  /** Test accuracy of this round's student (reporting only). */
  studentTestAccuracy?: number;
  seconds: number;
}

/** Trains one student on `data` (true + pseudo-labels). */
export async function trainStudent(from: PretrainedFolder, arm: Arm, data: Dataset, recipe: TrainRecipe, student: SelfTrainingOptions['student']): Promise<Student> {
  if (student === 'backbone') {
    const { model, backbone } = modelForArm(from, arm, recipe.seed);
    const trained = await trainClassifier(model, backbone, arm, data, recipe);
    return { model, history: trained.history, trainable: trained.plan.trainable, total: trained.plan.total };
  }
  manualSeed(recipe.seed);
  const model = buildModel(preset(student).architecture, `${student} student`);
  const { lr, schedule } = studentTraining(student);
  const optimizer = new AdamW(model.parameters(), { lr, weightDecay: 0.0005 });
  const epochs = Math.max(1, Math.round((recipe.steps * recipe.batchSize) / data.count));
  const history = await fit(model, data, {
    epochs, batchSize: recipe.batchSize, optimizer, seed: recipe.seed, augment: recipe.augment ?? true ? FINETUNE_AUGMENT : null,
    schedule, progress: 'none', log: () => undefined,
  });
  const { total } = model.countParameters();
  return { model, history, trainable: total, total };
}

/** Round `round`'s cap on pseudo-labels per class: min(1, round / ramp) of an even share of the pool, at least 1. */
export function roundCap(poolSize: number, classes: number, round: number, ramp: number): number {
  return Math.max(1, Math.floor((poolSize * Math.min(1, round / ramp)) / classes));
}

/** The unlabeled pool: every training index that is not labeled. */
export function unlabeledPool(count: number, labeled: Int32Array): Int32Array {
  const isLabeled = new Uint8Array(count);
  for (const i of labeled) isLabeled[i] = 1;
  const pool: number[] = [];
  for (let i = 0; i < count; i++) if (!isLabeled[i]) pool.push(i);
  return Int32Array.from(pool);
}

/**
 * The labeled examples repeated until they are at least a tenth of the pseudo-labeled ones, then
 * the pseudo-labeled examples: the student's training set as (indices, labels).
 */
export function studentSet(labeled: Int32Array, labeledLabels: ArrayLike<number>, pseudo: { indices: Int32Array; labels: Int32Array }): { indices: Int32Array; labels: Int32Array } {
  const repeats = Math.max(1, Math.ceil(pseudo.indices.length / 10 / Math.max(1, labeled.length)));
  const indices: number[] = [];
  const labels: number[] = [];
  for (let r = 0; r < repeats; r++) {
    labeled.forEach((index, k) => { indices.push(index); labels.push(labeledLabels[k]); });
  }
  pseudo.indices.forEach((index, k) => { indices.push(index); labels.push(pseudo.labels[k]); });
  return { indices: Int32Array.from(indices), labels: Int32Array.from(labels) };
}

/** Throws a UsageError naming the flag when a self-training option is out of range. */
export function checkSelfTrainingOptions(options: SelfTrainingOptions): void {
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new UsageError(`--pseudo-rounds must be a positive integer, got ${options.rounds}`);
  if (!(options.threshold > 0 && options.threshold < 1)) throw new UsageError(`--pseudo-threshold must be between 0 and 1, got ${options.threshold}`);
  if (!(options.ensemble >= 0 && options.ensemble < 1)) throw new UsageError(`--pseudo-ensemble must be in [0, 1), got ${options.ensemble}`);
  if (!Number.isInteger(options.graph) || options.graph < 0) throw new UsageError(`--pseudo-graph must be a whole number of neighbours (0 = off), got ${options.graph}`);
  if (!(options.graphWeight >= 0 && options.graphWeight <= 1)) throw new UsageError(`--pseudo-graph-weight must be in [0, 1], got ${options.graphWeight}`);
  if (!Number.isInteger(options.ramp) || options.ramp < 0 || options.ramp > options.rounds) throw new UsageError(`--pseudo-ramp must be a whole number of rounds from 0 (= --pseudo-rounds) to --pseudo-rounds (${options.rounds}), got ${options.ramp}`);
}

/**
 * Runs `options.rounds` rounds of self-training starting from `teacher`. `train` must hold the true
 * labels; only those at `labeled` are used for training, the rest only to measure pseudo-label accuracy.
 */
export async function selfTrain(
  from: PretrainedFolder, arm: Arm, teacher: Sequential, train: Dataset, labeled: Int32Array, recipe: TrainRecipe, options: SelfTrainingOptions,
  hooks: { log?: (line: string) => void; score?: (model: Sequential) => number } = {},
): Promise<{ final: Student | null; rounds: RoundRecord[] }> {
  checkSelfTrainingOptions(options);
  const ramp = options.ramp === 0 ? options.rounds : options.ramp;
  const log = hooks.log ?? (() => undefined);
  const classes = train.classNames.length;
  const pool = unlabeledPool(train.count, labeled);
  const poolImages = labeledSet(train, pool);
  const labeledLabels = Array.from(labeled, (i) => train.labels[i]);
  const rounds: RoundRecord[] = [];
  let current = teacher;
  let final: Student | null = null;
  let averaged: Float32Array | null = null; // the temporal ensemble's probabilities, (P, classes)
  let graph: Int32Array | null = null;
  if (options.graph > 0) {
    const started = performance.now();
    graph = knnGraph(poolImages.images, pool.length, [1, train.rows, train.cols], options.graph);
    log(`graph: ${options.graph} nearest neighbours of each of the ${pool.length.toLocaleString('en-US')} unlabeled images (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  for (let round = 1; round <= options.rounds; round++) {
    const started = performance.now();
    let { probabilities } = predict(current, poolImages.images, { batchSize: 500 }); // (P, classes)
    if (options.ensemble > 0) {
      if (averaged) for (let i = 0; i < probabilities.length; i++) averaged[i] += options.ensemble * (probabilities[i] - averaged[i]);
      else averaged = probabilities; // the first teacher is the whole ensemble
      probabilities = averaged;
    }
    let poolAccuracy: RoundRecord['poolAccuracy'];
    if (graph) {
      const refined = smoothOverGraph(probabilities, classes, graph, options.graph, options.graphWeight);
      poolAccuracy = { model: accuracy(poolImages.labels, argmaxRows(probabilities, classes)), graph: accuracy(poolImages.labels, argmaxRows(refined, classes)) };
      probabilities = refined;
    }
    const cap = roundCap(pool.length, classes, round, ramp);
    const selection = selectPseudoLabels(probabilities, classes, { threshold: options.threshold, maxPerClass: cap });
    const measured = pseudoLabelAccuracy(selection, poolImages.labels);
    const chosen = { indices: Int32Array.from(selection.indices, (k) => pool[k]), labels: selection.labels };
    const set = studentSet(labeled, labeledLabels, chosen);
    const data = labeledSet(train, set.indices, set.labels);
    const steps = Math.max(recipe.steps, Math.ceil((options.studentEpochs * data.count) / recipe.batchSize));
    const student = round === options.rounds && options.finalStudent ? options.finalStudent : options.student;
    final = await trainStudent(from, arm, data, { ...recipe, steps, seed: recipe.seed + round }, student);
    current = final.model;
    const record: RoundRecord = {
      round, student, confident: selection.confident, used: selection.indices.length, perClass: selection.perClass,
      accuracy: measured.accuracy, seconds: (performance.now() - started) / 1000, ...(poolAccuracy ? { poolAccuracy } : {}),
    };
    if (hooks.score) record.studentTestAccuracy = hooks.score(current);
    rounds.push(record);
    if (poolAccuracy) log(`round ${round}/${options.rounds}: top class right on ${(100 * poolAccuracy.model).toFixed(2)}% of the unlabeled images, ${(100 * poolAccuracy.graph).toFixed(2)}% after the graph refinement`);
    log(`round ${round}/${options.rounds}: ${record.used.toLocaleString('en-US')} pseudo-labels (${selection.confident.toLocaleString('en-US')} confident, at most ${cap} per class), ${(100 * record.accuracy).toFixed(2)}% correct${record.studentTestAccuracy === undefined ? '' : `; student test accuracy ${(100 * record.studentTestAccuracy).toFixed(2)}%`} (${record.seconds.toFixed(0)} s)`);
  }
  return { final, rounds };
}
