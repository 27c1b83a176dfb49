// The fine-tuning run behind `zerograd finetune` and the few-label experiment: load a pretrained
// backbone folder, pick K labeled examples per class, apply a strategy (full, head, lora) or train
// from scratch, fit with augmentation, and score on the test split.
import { join } from 'node:path';
import { DEFAULT_AUGMENT } from '../data/augment.js';
import type { Dataset } from '../data/dataset.js';
import { fewPerClass } from '../data/split.js';
import { DataError, UsageError, ZerogradError } from '../errors.js';
import type { Preprocessing } from '../io/model-config.js';
import { loadModel, type ModelConfig } from '../io/model-folder.js';
import type { Backbone } from '../nn/layers/backbone.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { defaultLoraTargets, mergeLora } from '../nn/lora.js';
import { AdamW } from '../optim/index.js';
import { manualSeed } from '../tensor/engine.js';
import { ModelCheckpoint } from '../train/callbacks.js';
import { evaluate, type Evaluation } from '../train/evaluate.js';
import { fit, type History } from '../train/fit.js';
import { buildModel } from '../models/build.js';
import { ADAPTED_PREPROCESSING, adaptImported, isImportedBackbone } from './adapt-input.js';
import { BACKBONE_INPUT, backboneOf } from './backbones.js';
import { fitLinearHead, LINEAR_HEAD_DEFAULTS } from './linear-head.js';
import { prepareFinetune, type FinetunePlan, type FinetuneStrategy } from './strategies.js';

/** A strategy, or 'scratch': the same architecture, freshly initialised, all weights trained. */
export type Arm = FinetuneStrategy | 'scratch';

export interface LoraSettings {
  rank: number;
  alpha: number;
  /** Layers to adapt; default defaultLoraTargets(backbone): a ViT's q and v, a ResNet's residual 3x3 convs. */
  targets?: string;
}

/** How one classifier is trained on a labeled set. */
export interface TrainRecipe {
  /** Optimizer steps (epochs are derived from it and the set size). */
  steps: number;
  batchSize: number;
  /** Peak AdamW learning rate (cosine schedule); default per arm in ARM_LR. */
  lr?: number;
  /** full only: fit the new head first with the head strategy's recipe on the frozen features, then fine-tune everything (LP-FT). Default per arm in ARM_DEFAULTS. */
  probeFirst?: boolean;
  /** full and lora: batch norm stays in inference mode while fine-tuning (running statistics fixed). Default per arm in ARM_DEFAULTS. */
  frozenNormStatistics?: boolean;
  /** head (and probeFirst): L2 penalty on the head's weights (default LINEAR_HEAD_DEFAULTS.weightDecay). */
  headWeightDecay?: number;
  /** full only: learning-rate multiplier of the backbone (default 0.5). */
  backboneLrScale?: number;
  lora?: LoraSettings;
  /** Random shifts, rotations, scaling, shear and elastic distortion (default per arm in ARM_DEFAULTS; the head strategy never augments). */
  augment?: boolean;
  seed: number;
}

/**
 * What a recipe leaves unset, per arm. full: the new head fitted first on the frozen features (LP-FT),
 * no augmentation (3 seeds on the epoch-4 resnet-small SimCLR backbone, docs/finetune.md);
 * lora and scratch keep the earlier recipe (augmentation on).
 */
export const ARM_DEFAULTS: Readonly<Record<Arm, Readonly<{ augment: boolean; probeFirst: boolean; frozenNormStatistics: boolean }>>> = Object.freeze({
  full: Object.freeze({ augment: false, probeFirst: true, frozenNormStatistics: false }),
  head: Object.freeze({ augment: false, probeFirst: false, frozenNormStatistics: false }),
  lora: Object.freeze({ augment: true, probeFirst: false, frozenNormStatistics: false }),
  scratch: Object.freeze({ augment: true, probeFirst: false, frozenNormStatistics: false }),
});

/** `recipe` with ARM_DEFAULTS filled in for `arm`. */
export function withArmDefaults(recipe: TrainRecipe, arm: Arm): TrainRecipe & { augment: boolean; probeFirst: boolean; frozenNormStatistics: boolean } {
  const defaults = ARM_DEFAULTS[arm];
  return {
    ...recipe, augment: recipe.augment ?? defaults.augment, probeFirst: recipe.probeFirst ?? defaults.probeFirst,
    frozenNormStatistics: recipe.frozenNormStatistics ?? defaults.frozenNormStatistics,
  };
}

export const ARM_LR: Readonly<Record<Arm, number>> = Object.freeze({ full: 0.001, head: 0.01, lora: 0.003, scratch: 0.001 });
export const DEFAULT_LORA: Readonly<LoraSettings> = Object.freeze({ rank: 4, alpha: 8 });
/** Augmentation of fine-tuning batches: the data issue's defaults plus mild elastic distortion. */
export const FINETUNE_AUGMENT = Object.freeze({ ...DEFAULT_AUGMENT, elastic: 1 });

/** A pretrained backbone folder, loaded and checked (an imported one adapted to MNIST's input). */
export interface PretrainedFolder {
  dir: string;
  model: Sequential;
  backbone: Backbone;
  config: ModelConfig;
  /** How MNIST's pixels are given to `model`: the folder's own, or 0-1 pixels for an adapted imported model. */
  preprocessing: Preprocessing;
  /** An imported model: the image side it was rebuilt for and the adaptation (else null). */
  adapted: { imageSize: number; summary: string } | null;
}

/**
 * Loads `dir` (written by `zerograd pretrain`, or by `zerograd import`: then adapted with adaptImported for
 * `imageSize`); errors say when it is missing or not a backbone.
 */
export function loadBackboneFolder(dir: string, imageSize?: number): PretrainedFolder {
  let loaded;
  try {
    loaded = loadModel(dir);
  } catch (err) {
    if (!(err instanceof ZerogradError)) throw err;
    const mismatch = /shape|expects|missing|unexpected/i.test(err.message) ? '; the weights were saved from another architecture than config.json describes' : '';
    // A bad folder (missing, corrupt, NaN weights) is bad input, exit 1, like the other commands that load models.
    throw new (err instanceof DataError ? DataError : UsageError)(`--from ${dir}: ${err.message}${mismatch}`);
  }
  if (isImportedBackbone(loaded.model, loaded.config)) {
    const adapted = adaptImported(loaded.model, loaded.config, imageSize, imageSize === undefined ? `--from ${dir}` : `--image-size ${imageSize}`);
    return {
      dir, model: adapted.model, backbone: adapted.backbone, config: loaded.config, preprocessing: { ...ADAPTED_PREPROCESSING, normalization: { ...ADAPTED_PREPROCESSING.normalization } },
      adapted: { imageSize: adapted.imageSize, summary: adapted.summary },
    };
  }
  if (imageSize !== undefined) {
    throw new UsageError(`--image-size applies to imported models (zerograd import); ${dir} takes (${loaded.config.inputShape.join(', ')}) input as it is`);
  }
  return { dir, model: loaded.model, backbone: backboneOf(loaded.model, `--from ${dir}`), config: loaded.config, preprocessing: loaded.config.preprocessing, adapted: null };
}

/** A fresh model for `arm`: the pretrained backbone reloaded from its folder, or the same architecture re-initialised. */
export function modelForArm(from: PretrainedFolder, arm: Arm, seed: number): { model: Sequential; backbone: Backbone } {
  manualSeed(seed);
  if (arm === 'scratch') {
    const model = buildModel({ type: 'Sequential', inputShape: [...BACKBONE_INPUT], layers: from.model.layers.map((layer) => layer.config()) }, 'scratch model');
    return { model, backbone: backboneOf(model, 'scratch model') };
  }
  const { model, backbone } = loadBackboneFolder(from.dir, from.adapted?.imageSize);
  return { model, backbone };
}

/** `train` restricted to `indices`, with `labels` in place of the true ones when given (pseudo-labels). */
export function labeledSet(train: Dataset, indices: ArrayLike<number>, labels?: ArrayLike<number>): Dataset {
  const size = train.rows * train.cols;
  const images = new Float32Array(indices.length * size);
  const out = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    images.set(train.images.subarray(index * size, (index + 1) * size), k * size);
    out[k] = labels ? labels[k] : train.labels[index];
  }
  return { ...train, name: `${train.name}[${indices.length}]`, images, labels: out, count: indices.length, shape: [indices.length, ...train.shape.slice(1)] };
}

/** K examples per class of `train`, seeded and stratified (within the first `pool` examples when given). */
export function labeledIndices(train: Dataset, labelsPerClass: number, seed: number, pool?: Int32Array): Int32Array {
  return fewPerClass(train.labels, labelsPerClass, seed, pool);
}

export interface TrainedClassifier {
  model: Sequential;
  backbone: Backbone;
  plan: FinetunePlan;
  history: History;
}

/** Checkpoints of one fine-tuning fit (the CLI's --out/checkpoints), for exact --resume and Ctrl-C. */
export interface ClassifierCheckpoints {
  /** Folder of last.ckpt (written at the end of every epoch, every `everySteps` steps and on abort). */
  dir: string;
  everySteps?: number;
  /** Continue from dir/last.ckpt. */
  resume?: boolean;
  /** Stops between two steps (Ctrl-C) after saving a checkpoint. */
  signal?: AbortSignal;
}

/** Applies `arm` to `model` and fits it on `train` for recipe.steps steps. */
export async function trainClassifier(model: Sequential, backbone: Backbone, arm: Arm, train: Dataset, given: TrainRecipe, log?: (line: string) => void, checkpoints?: ClassifierCheckpoints): Promise<TrainedClassifier> {
  const recipe = withArmDefaults(given, arm);
  const classes = train.classNames.length;
  const lora = recipe.lora ?? DEFAULT_LORA;
  const plan = prepareFinetune(backbone, {
    strategy: arm === 'scratch' ? 'full' : arm, classes,
    ...(arm === 'full' ? { backboneLrScale: recipe.backboneLrScale ?? 0.5 } : {}),
    ...(recipe.frozenNormStatistics ? { frozenNormStatistics: true } : {}),
    ...(arm === 'lora' ? { lora: { rank: lora.rank, alpha: lora.alpha, targets: lora.targets ?? defaultLoraTargets(backbone), seed: recipe.seed } } : {}),
  });
  if (given.probeFirst && arm !== 'full') throw new UsageError(`fine-tuning: probeFirst applies to the full strategy only (strategy is ${arm})`);
  const inputLayers = model.layers.filter((layer) => layer !== backbone); // an imported model's input adaptation
  const headRecipe = { lr: ARM_LR.head, weightDecay: recipe.headWeightDecay ?? LINEAR_HEAD_DEFAULTS.weightDecay, batchSize: recipe.batchSize, seed: recipe.seed };
  if (arm === 'head') {
    // The linear probe's recipe on the frozen features, folded into the Dense head (linear-head.ts).
    const history = fitLinearHead(backbone, train, { ...headRecipe, steps: recipe.steps, lr: recipe.lr ?? ARM_LR.head }, inputLayers);
    return { model, backbone, plan, history };
  }
  if (recipe.probeFirst && !checkpoints?.resume) fitLinearHead(backbone, train, { ...headRecipe, steps: defaultSteps(train.count, recipe.batchSize, 'head') }, inputLayers);
  const batchSize = Math.min(recipe.batchSize, train.count);
  const stepsPerEpoch = Math.ceil(train.count / batchSize);
  const epochs = Math.max(1, Math.round(recipe.steps / stepsPerEpoch));
  const optimizer = new AdamW(plan.paramGroups, { lr: recipe.lr ?? ARM_LR[arm], weightDecay: 0.05 });
  plan.train();
  // fit() calls model.train() each epoch; the plan keeps what it holds fixed in inference mode.
  const keepFixedInInference = { key: 'frozen-inference', onBatchBegin: () => plan.train() };
  const history = await fit(model, train, {
    epochs, batchSize, optimizer, seed: recipe.seed, augment: recipe.augment ? FINETUNE_AUGMENT : null,
    schedule: { type: 'cosine', warmupSteps: Math.min(20, Math.floor((epochs * stepsPerEpoch) / 10)) },
    callbacks: [
      ...(recipe.frozenNormStatistics ? [keepFixedInInference] : []),
      ...(checkpoints ? [new ModelCheckpoint({ dir: checkpoints.dir, everySteps: checkpoints.everySteps ?? 0, monitor: 'loss', saveBest: false })] : []),
    ],
    progress: 'none', log: log ?? (() => undefined),
    ...(checkpoints ? { signal: checkpoints.signal, resumeFrom: checkpoints.resume ? join(checkpoints.dir, 'last.ckpt') : null } : {}),
  });
  return { model, backbone, plan, history };
}

/** Folds LoRA adapters into the weights (deployable as plain Dense layers); returns the merged layer names. */
export function mergeForDeployment(model: Sequential): string[] {
  return mergeLora(model);
}

/**
 * Examples per evaluation batch: 500, or 50 for models over 20 M parameters (a batch's activations stay
 * alive until it ends: ViT-B/16 at 500 runs out of the wasm backend's 4 GB).
 */
export function evalBatchSize(model: Sequential): number {
  return model.countParameters().total > 20e6 ? 50 : 500;
}

/** Test-split evaluation (accuracy, loss, predictions). */
export function scoreTest(model: Sequential, test: Dataset): Evaluation {
  return evaluate(model, test, { batchSize: evalBatchSize(model) });
}

/**
 * Default steps for K labels per class: enough passes for tiny sets, a few epochs for large ones; the
 * head strategy (a linear probe on cached features, milliseconds per step) max(300, 10 passes).
 */
export function defaultSteps(labeledCount: number, batchSize: number, arm?: Arm): number {
  if (arm === 'head') return Math.max(LINEAR_HEAD_DEFAULTS.steps, 10 * Math.ceil(labeledCount / batchSize));
  return Math.max(150, Math.min(500, 5 * Math.ceil(labeledCount / batchSize)));
}

