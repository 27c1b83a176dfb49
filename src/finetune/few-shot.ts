// Few-shot fine-tuning of a saved classifier on a handful of a user's own examples (the web page's
// "teach it your handwriting"): split off a held-out part per class, score it, fine-tune the head or
// the whole network with augmentation (and rehearsal of the original task), score it again. Browser-safe: runs in a Web Worker as in Node.
import type { AugmentOptions } from '../data/augment.js';
import type { Dataset } from '../data/dataset.js';
import { normalizeUnit } from '../data/normalize.js';
import { UsageError } from '../errors.js';
import type { ClassifierConfig } from '../serve/classifier.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { Conv2D } from '../nn/layers/conv.js';
import { Dense } from '../nn/layers/dense.js';
import { enableLora, mergeLora } from '../nn/lora.js';
import { AdamW } from '../optim/adam.js';
import { evaluate } from '../train/evaluate.js';
import { fit } from '../train/fit.js';
import type { BatchLogs } from '../train/types.js';

export type FewShotStrategy = 'head' | 'lora' | 'full';
export const FEW_SHOT_STRATEGIES: readonly FewShotStrategy[] = ['head', 'lora', 'full'];

/** One labeled example: MNIST-style pixels 0-1 (0 = background) and its class index. */
export interface FewShotExample {
  pixels: Float32Array;
  label: number;
}

/** How a few-shot run went, step by step, for a progress bar and a live chart. */
export interface FewShotProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  accuracy: number;
}

export interface FewShotOptions {
  /**
   * 'head' (default): only the last layer with weights trains; 'lora': low-rank adapters (rank 4, alpha 8)
   * on every other Dense and Conv2D layer plus the whole last layer, merged into the weights at the end;
   * 'full': every layer (lower learning rate).
   */
  strategy?: FewShotStrategy;
  /** Fraction of each class's examples held out to score before and after (default 0.25; 0 = none). */
  holdout?: number;
  /** Optimizer steps in all (default 120). */
  steps?: number;
  /** Peak AdamW learning rate (default 3e-3 for head, 1e-3 for full). */
  lr?: number;
  batchSize?: number;
  /** Random distortions of the training batches (default: shifts, rotations, scale, shear); null = none. */
  augment?: AugmentOptions | null;
  seed?: number;
  /**
   * Examples of the task the model was trained on (e.g. 20 MNIST digits per class), mixed into training
   * so that it keeps reading what it read before (rehearsal): without them, teaching only a few
   * classes makes the model answer those classes for everything. The user's examples are repeated to
   * weigh about as much as the replay set. Default none.
   */
  replay?: readonly FewShotExample[];
  onProgress?: (progress: FewShotProgress) => void;
}

/** Accuracy on the held-out examples. */
export interface HeldOutScore {
  correct: number;
  count: number;
  /** correct / count, NaN without held-out examples. */
  accuracy: number;
}

export interface FewShotResult {
  strategy: FewShotStrategy;
  trainCount: number;
  /** Rehearsal examples mixed in (options.replay). */
  replayCount: number;
  heldOutCount: number;
  before: HeldOutScore;
  after: HeldOutScore;
  steps: number;
  seconds: number;
  /** The loss of every step. */
  losses: number[];
}

/** The augmentation of few-shot runs: what a hand varies by between two drawings of a digit. */
export const FEW_SHOT_AUGMENT: Readonly<AugmentOptions> = Object.freeze({ translate: 2, rotate: 10, scale: 0.1, shear: 8 });
const DEFAULT_LR: Record<FewShotStrategy, number> = { head: 3e-3, lora: 3e-3, full: 1e-3 };
const LORA = { rank: 4, alpha: 8 } as const;

/**
 * Splits examples per class: the held-out part is every class's last round(fraction * n) examples,
 * keeping at least one to train on (a class with one example is never held out).
 */
export function splitFewShot(examples: readonly FewShotExample[], fraction: number): { train: FewShotExample[]; heldOut: FewShotExample[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new UsageError(`few-shot: holdout must be in [0, 1), got ${fraction}`);
  const byClass = new Map<number, FewShotExample[]>();
  for (const e of examples) byClass.set(e.label, [...(byClass.get(e.label) ?? []), e]);
  const train: FewShotExample[] = [];
  const heldOut: FewShotExample[] = [];
  for (const list of byClass.values()) {
    const held = Math.min(list.length - 1, Math.round(fraction * list.length));
    train.push(...list.slice(0, list.length - held));
    heldOut.push(...list.slice(list.length - held));
  }
  return { train, heldOut };
}

/** The examples as a normalized Dataset in the model's input layout. */
export function fewShotDataset(examples: readonly FewShotExample[], config: ClassifierConfig): Dataset {
  const features = config.inputShape.reduce((p, d) => p * d, 1);
  const classes = config.classNames.length;
  const images = new Float32Array(examples.length * features);
  const labels = new Uint8Array(examples.length);
  examples.forEach((e, i) => {
    if (e.pixels.length !== features) throw new UsageError(`few-shot: example ${i} has ${e.pixels.length} values, the model takes ${features} (${config.inputShape.join('x')})`);
    if (!Number.isInteger(e.label) || e.label < 0 || e.label >= classes) throw new UsageError(`few-shot: example ${i} has label ${e.label}, expected a class index 0-${classes - 1}`);
    images.set(e.pixels, i * features);
    labels[i] = e.label;
  });
  const normalization = config.preprocessing.normalization;
  const [rows, cols] = config.inputShape.length === 3 ? config.inputShape.slice(1) : [Math.round(Math.sqrt(features)), Math.round(Math.sqrt(features))];
  return {
    name: 'few-shot', images: normalizeUnit(images, normalization), labels, count: examples.length, rows, cols,
    shape: [examples.length, ...config.inputShape], classNames: config.classNames, normalization,
  };
}

/** Held-out accuracy of `model` on `examples`. */
export function scoreFewShot(model: Sequential, examples: readonly FewShotExample[], config: ClassifierConfig): HeldOutScore {
  if (examples.length === 0) return { correct: 0, count: 0, accuracy: Number.NaN };
  const evaluation = evaluate(model, fewShotDataset(examples, config), { batchSize: 256 });
  const correct = Math.round(evaluation.accuracy * examples.length);
  return { correct, count: examples.length, accuracy: correct / examples.length };
}

/** Freezes what `strategy` keeps fixed (adding LoRA adapters for 'lora'); returns the layers whose training mode must stay off. */
function prepare(model: Sequential, strategy: FewShotStrategy, seed: number): Sequential['layers'][number][] {
  model.unfreeze();
  if (strategy === 'full') return [];
  const withWeights = model.layers.filter((layer) => layer.parameters().length > 0);
  const head = withWeights[withWeights.length - 1];
  if (!head) throw new UsageError('few-shot: the model has no layer with weights to fine-tune');
  const headName = String(model.layers.indexOf(head));
  if (strategy === 'lora') {
    const targets = model.namedModules().filter(([name, m]) => name !== '' && name !== headName && !name.startsWith(`${headName}.`) && (m instanceof Dense || m instanceof Conv2D)).map(([name]) => name);
    if (targets.length === 0) throw new UsageError('few-shot: lora needs a Dense or Conv2D layer before the last one; use head or full');
    enableLora(model, { ...LORA, targets, trainable: headName, seed });
    return [];
  }
  model.freeze();
  head.unfreeze();
  return model.layers.filter((layer) => layer !== head);
}

/**
 * Fine-tunes `model` in place on `examples` (pixels 0-1, normalized here with the model's own
 * preprocessing) and reports held-out accuracy before and after. The model ends in eval mode.
 */
export async function fineTuneFewShot(model: Sequential, config: ClassifierConfig, examples: readonly FewShotExample[], options: FewShotOptions = {}): Promise<FewShotResult> {
  const strategy = options.strategy ?? 'head';
  if (!FEW_SHOT_STRATEGIES.includes(strategy)) throw new UsageError(`few-shot: unknown strategy '${String(strategy)}'; expected ${FEW_SHOT_STRATEGIES.join(' or ')}`);
  const { train, heldOut } = splitFewShot(examples, options.holdout ?? 0.25);
  if (train.length === 0) throw new UsageError('few-shot: no examples to train on; label a few drawings first');
  const started = performance.now();
  const before = scoreFewShot(model, heldOut, config);
  const replay = options.replay ?? [];
  const repeats = Math.max(1, Math.round(replay.length / train.length));
  const data = fewShotDataset([...Array.from({ length: repeats }, () => train).flat(), ...replay], config);
  const batchSize = Math.min(options.batchSize ?? 16, data.count);
  const stepsPerEpoch = Math.ceil(data.count / batchSize);
  const totalSteps = options.steps ?? 120;
  const epochs = Math.max(1, Math.round(totalSteps / stepsPerEpoch));
  const frozen = prepare(model, strategy, options.seed ?? 0);
  const optimizer = new AdamW(model.trainableParameters(), { lr: options.lr ?? DEFAULT_LR[strategy], weightDecay: 0.01 });
  const losses: number[] = [];
  let step = 0;
  try {
    await fit(model, data, {
      epochs, batchSize, optimizer, seed: options.seed ?? 0,
      augment: options.augment === undefined ? FEW_SHOT_AUGMENT : options.augment,
      schedule: { type: 'cosine' }, progress: 'none', log: () => undefined,
      callbacks: [{
        key: 'few-shot-progress',
        onBatchBegin: () => { for (const layer of frozen) layer.eval(); },
        onBatchEnd: (ctx, logs: BatchLogs) => {
          step++;
          losses.push(logs.loss);
          options.onProgress?.({ step, totalSteps: epochs * stepsPerEpoch, epoch: ctx.epoch + 1, loss: logs.loss, accuracy: logs.accuracy });
        },
      }],
    });
  } finally {
    if (strategy === 'lora') mergeLora(model); // back to the plain architecture and its state-dict names
    model.unfreeze();
    model.eval();
  }
  const after = scoreFewShot(model, heldOut, config);
  return { strategy, trainCount: train.length, replayCount: replay.length, heldOutCount: heldOut.length, before, after, steps: step, seconds: (performance.now() - started) / 1000, losses };
}
