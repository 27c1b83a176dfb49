// Fine-tuning strategies for a pretrained Backbone: full (everything trains, optionally a lower
// backbone learning rate), head (frozen backbone, new linear head: a linear probe) and lora
// (low-rank adapters + head). prepareFinetune changes the model in place and returns optimizer groups.
import { ShapeError, UsageError, ZerogradError } from '../errors.js';
import type { Backbone } from '../nn/layers/backbone.js';
import { BatchNorm } from '../nn/layers/norm.js';
import { enableLora, type LoraReport, type ModulePattern } from '../nn/lora.js';
import type { ParamGroup } from '../optim/optimizer.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export type FinetuneStrategy = 'full' | 'head' | 'lora';
export const FINETUNE_STRATEGIES: readonly FinetuneStrategy[] = ['full', 'head', 'lora'];

export interface FinetuneOptions {
  strategy: FinetuneStrategy;
  /** Classes of the downstream task. */
  classes: number;
  /** Start from a freshly initialised head (default). false keeps the pretrained head, whose size must equal `classes`. */
  newHead?: boolean;
  /** full only: learning-rate multiplier for every parameter outside the head (e.g. 0.1). Default 1. */
  backboneLrScale?: number;
  /** full and lora: keep batch norm in inference mode while training (running statistics fixed, scale and shift train). Default false. */
  frozenNormStatistics?: boolean;
  /** lora only: rank (default 8), alpha (default = rank), targets (default '*.attn.q|*.attn.v'), seed. */
  lora?: { rank?: number; alpha?: number; targets?: ModulePattern; seed?: number | Random };
}

export interface FinetunePlan {
  strategy: FinetuneStrategy;
  model: Backbone;
  /** Optimizer parameter groups holding exactly the trainable parameters. */
  paramGroups: ParamGroup[];
  trainable: number;
  total: number;
  /** trainable / total. */
  fraction: number;
  /** The adapters added by the lora strategy, else null. */
  lora: LoraReport | null;
  /** One line for logs and reports, e.g. "lora: 25,866 of 1,225,386 parameters trainable (2.11%)". */
  summary: string;
  /**
   * Training mode for the fine-tuning steps. For the head strategy the frozen backbone stays in
   * inference mode (batch-norm statistics and dropout of the backbone stay fixed), and so do the batch norms
   * with frozenNormStatistics; use model.eval() to evaluate.
   */
  train(): void;
}

/**
 * Prepares `model` for fine-tuning with `options.strategy`: replaces or checks the head, freezes
 * what the strategy keeps fixed, adds LoRA adapters, and returns the optimizer groups.
 */
export function prepareFinetune(model: Backbone, options: FinetuneOptions): FinetunePlan {
  const { strategy, classes } = options;
  if (!FINETUNE_STRATEGIES.includes(strategy)) throw new UsageError(`unknown fine-tuning strategy '${String(strategy)}'; expected one of ${FINETUNE_STRATEGIES.join(', ')}`);
  if (!Number.isInteger(classes) || classes < 1) throw new UsageError(`fine-tuning: classes must be a positive integer, got ${classes}`);
  if (options.backboneLrScale !== undefined && strategy !== 'full') throw new UsageError(`fine-tuning: backboneLrScale applies to the full strategy only (strategy is ${strategy})`);
  if (options.frozenNormStatistics && strategy === 'head') throw new UsageError('fine-tuning: frozenNormStatistics applies to the full and lora strategies (the head strategy freezes the whole backbone)');
  if (options.lora !== undefined && strategy !== 'lora') throw new UsageError(`fine-tuning: lora options apply to the lora strategy only (strategy is ${strategy})`);
  const backboneLrScale = options.backboneLrScale ?? 1;
  if (!(backboneLrScale >= 0 && Number.isFinite(backboneLrScale))) throw new UsageError(`fine-tuning: backboneLrScale must be a non-negative number, got ${backboneLrScale}`);

  if (options.newHead ?? true) model.replaceHead(classes);
  else if (model.numClasses !== classes) {
    throw new ShapeError(`fine-tuning: head size mismatch: the pretrained head has ${model.numClasses} outputs but the task has ${classes} classes; start from a new head (newHead: true)`);
  }

  let lora: LoraReport | null = null;
  model.unfreeze();
  if (strategy === 'head') {
    model.freeze();
    model.head.unfreeze();
  } else if (strategy === 'lora') {
    const { rank = 8, alpha, targets, seed } = options.lora ?? {};
    lora = enableLora(model, { rank, alpha, targets, seed, trainable: 'head' });
  }

  const headParams = new Set<Tensor>(model.head.parameters());
  const trainableParams = model.trainableParameters();
  const body = trainableParams.filter((p) => !headParams.has(p));
  const head = trainableParams.filter((p) => headParams.has(p));
  const paramGroups: ParamGroup[] = strategy === 'full' && backboneLrScale !== 1
    ? [{ params: body, lrScale: backboneLrScale }, { params: head }]
    : [{ params: [...body, ...head] }];
  const { trainable, total } = model.countParameters();
  const percent = ((100 * trainable) / total).toFixed(2);
  return {
    strategy, model, paramGroups, trainable, total, fraction: trainable / total, lora,
    summary: `${strategy}: ${trainable.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} parameters trainable (${percent}%)`,
    train() {
      model.train();
      if (strategy === 'head') for (const [name, m] of model.namedModules()) if (name !== '' && name !== 'head' && !name.startsWith('head.')) m.training = false;
      if (options.frozenNormStatistics) for (const [, m] of model.namedModules()) if (m instanceof BatchNorm) m.training = false;
    },
  };
}

/**
 * Loads a pretrained checkpoint into `model`. By default the head's tensors are neither required
 * nor loaded (pretraining heads rarely fit the task); every other tensor must be present with the
 * model's shape, else the error names what differs and suggests another architecture.
 */
export function loadPretrained(model: Backbone, state: ReadonlyMap<string, Tensor>, options: { includeHead?: boolean } = {}): void {
  const isHead = (name: string) => name === 'head' || name.startsWith('head.');
  const source = options.includeHead ? state : new Map([...[...state].filter(([name]) => !isHead(name)), ...model.head.namedParameters('head')]);
  try {
    model.loadStateDict(source);
  } catch (err) {
    if (!(err instanceof ZerogradError)) throw err;
    const config = Object.entries(model.config()).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
    throw new ShapeError(`checkpoint does not fit this ${model.constructor.name} (${config}); was it saved from another architecture? ${err.message}`);
  }
}
