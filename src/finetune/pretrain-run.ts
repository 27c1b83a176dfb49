// The pretraining run behind `zerograd pretrain`: a named backbone, an objective (mae,
// contrastive, simsiam, byol, supervised) and fit() with a custom loss, so progress, checkpoints and exact
// resume are the training loop's own. Writes a model folder holding the backbone + pretrain.json,
// with k-NN and linear-probe accuracies of the frozen features (probe.ts) at the end and every N epochs.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Dataset, Normalization } from '../data/dataset.js';
import { writeFileAtomic } from '../data/files.js';
import { UsageError } from '../errors.js';
import { saveModel } from '../io/model-folder.js';
import { Sequential } from '../nn/layers/sequential.js';
import { AdamW } from '../optim/index.js';
import { manualSeed } from '../tensor/engine.js';
import type { RandomState } from '../tensor/random.js';
import { ModelCheckpoint, TerminateOnNaN } from '../train/callbacks.js';
import { fit, type History } from '../train/fit.js';
import type { ProgressMode } from '../train/progress.js';
import type { Callback, CallbackState, EpochLogs, TrainContext } from '../train/types.js';
import { BACKBONE_INPUT, buildBackbone } from './backbones.js';
import { describeEvaluation, evaluateFeatures, type FeatureEvaluation } from './probe.js';
import { createObjective, OBJECTIVES, type ObjectiveName, type PretrainObjective } from './objectives.js';

/** Everything that defines a pretraining run (saved as run.json so that --resume needs no other flag). */
export interface PretrainSettings {
  backbone: string;
  objective: ObjectiveName;
  dataset: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Only the first N training images (quick runs, tests). */
  limit?: number;
  /** Also checkpoint every N steps (0: every epoch only). */
  checkpointEvery: number;
  /** The backend it trains on (absent in folders of older versions: wasm). A resume keeps it, so it stays exact. */
  backend?: string;
  /** Also evaluate the frozen features every N epochs (0 or absent: at the end only). */
  evalEvery?: number;
  /** Evaluate on the first N training and N test images (absent: `limit`, else all); 0: no evaluation. */
  evalLimit?: number;
}

/** The prepared training images (the CLI's prepareData with x/255 and the image layout). */
export interface PretrainData {
  description: string;
  train: Dataset;
  /** Labeled training and test images for the feature evaluation (k-NN, linear probe); none: no evaluation. */
  evaluation?: { train: Dataset; test: Dataset };
  normalization: Normalization;
  classNames: readonly string[];
}

export interface PretrainRunOptions {
  out: string;
  resume?: boolean;
  progress?: ProgressMode;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface PretrainResult {
  history: History;
  /** Wall seconds of this invocation. */
  seconds: number;
  parameters: number;
}

export const PRETRAIN_DEFAULTS = { batchSize: 128, lr: 0.001, epochs: 1 } as const;

/** Checks settings read from flags or run.json. */
export function checkPretrainSettings(s: PretrainSettings): PretrainSettings {
  if (!OBJECTIVES.includes(s.objective)) throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got '${s.objective}'`);
  if (s.objective === 'contrastive' && s.batchSize < 2) throw new UsageError('--batch-size must be at least 2 for the contrastive objective (it contrasts the other images of the batch)');
  if ((s.objective === 'simsiam' || s.objective === 'byol') && s.batchSize < 2) throw new UsageError(`--batch-size must be at least 2 for the ${s.objective} objective (its heads use batch norm)`);
  checkEvaluationSettings(s);
  if (s.objective === 'supervised' && s.dataset === 'mnist') {
    console.warn('note: supervised pretraining on mnist uses all its labels; the few-label protocol expects --dataset fashion');
  }
  return s;
}

/** Checks evalEvery and evalLimit. */
export function checkEvaluationSettings(s: Pick<PretrainSettings, 'evalEvery' | 'evalLimit'>): void {
  if (s.evalEvery !== undefined && !(Number.isInteger(s.evalEvery) && s.evalEvery >= 0)) throw new UsageError(`--eval-every must be a whole number of epochs >= 0, got ${s.evalEvery}`);
  if (s.evalLimit !== undefined && !(Number.isInteger(s.evalLimit) && (s.evalLimit === 0 || s.evalLimit >= 20))) {
    throw new UsageError(`--eval-limit must be 0 (no evaluation) or at least 20 images, got ${s.evalLimit}`);
  }
}

/** Keeps the objective's own generator (masks, views) in checkpoints, so a resume is exact. */
class ObjectiveRng implements Callback {
  readonly key = 'objective-rng';
  constructor(private readonly objective: PretrainObjective) {}
  stateDict(): CallbackState {
    return { json: this.objective.rng?.getState() ?? null };
  }
  loadStateDict(state: CallbackState): void {
    if (state.json && this.objective.rng) this.objective.rng.setState(state.json as RandomState);
  }
}

/** The wasm backend's out-of-memory error, told in terms of the run's flags; any other error as it is. */
function explainOutOfMemory(err: unknown, settings: PretrainSettings): unknown {
  if (!(err instanceof RangeError && /out of memory/.test(err.message))) return err;
  const twoViews = ['contrastive', 'simsiam', 'byol'].includes(settings.objective);
  const images = `${settings.batchSize} images per step${twoViews ? ` (${2 * settings.batchSize} views for ${settings.objective})` : ''}`;
  return new UsageError(`pretraining ${settings.backbone} with ${images} ran out of memory (${err.message}); use a smaller --batch-size, e.g. ${Math.max(2, Math.floor(settings.batchSize / 2))}`);
}

/** Calls the objective's afterStep after every optimizer step (before any checkpoint of that step is written). */
class ObjectiveStep implements Callback {
  readonly key = 'objective-step';
  constructor(private readonly objective: PretrainObjective) {}
  onBatchEnd(ctx: TrainContext): void {
    this.objective.afterStep?.(ctx.globalStep, ctx.totalSteps);
  }
}

/** One evaluation of the frozen features, after `epoch` epochs. */
export type EpochEvaluation = FeatureEvaluation & { epoch: number };

/** Evaluates the frozen backbone every `every` epochs; the records travel in checkpoints, so a resumed run keeps them. */
class FeatureEvaluator implements Callback {
  readonly key = 'feature-evaluation';
  records: EpochEvaluation[] = [];
  constructor(private readonly run: () => FeatureEvaluation, private readonly every: number) {}
  onEpochEnd(ctx: TrainContext, logs: EpochLogs): void {
    if (this.every > 0 && logs.epoch % this.every === 0 && logs.epoch < ctx.epochs) this.evaluate(logs.epoch, ctx.log.bind(ctx));
  }
  evaluate(epoch: number, log: (line: string) => void): EpochEvaluation {
    const record = { epoch, ...this.run() };
    this.records.push(record);
    log(`evaluation   epoch ${epoch}: ${describeEvaluation(record)}`);
    return record;
  }
  stateDict(): CallbackState {
    return { json: this.records };
  }
  loadStateDict(state: CallbackState): void {
    if (Array.isArray(state.json)) this.records = state.json as EpochEvaluation[];
  }
}

/** The saved settings of the run in `out`, or an error saying what is missing. */
export function readPretrainRun(out: string): PretrainSettings {
  const path = join(out, 'run.json');
  if (!existsSync(path) || !existsSync(join(out, 'checkpoints', 'last.ckpt'))) {
    throw new UsageError(`--resume: ${out} has no pretraining run to resume (run.json and checkpoints/last.ckpt are written by 'zerograd pretrain --out ${out}')`);
  }
  try {
    return checkPretrainSettings(JSON.parse(readFileSync(path, 'utf8')) as PretrainSettings);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--resume: cannot read ${path} (${(err as Error).message})`);
  }
}

/** Runs (or resumes) pretraining into `options.out`; returns when all epochs ran or training stopped. */
export async function runPretraining(settings: PretrainSettings, data: PretrainData, options: PretrainRunOptions): Promise<PretrainResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const { out } = options;
  const checkpointDir = join(out, 'checkpoints');
  mkdirSync(checkpointDir, { recursive: true });
  writeFileAtomic(join(out, 'run.json'), `${JSON.stringify(settings, null, 2)}\n`);

  manualSeed(settings.seed);
  const { backbone, spec } = buildBackbone(settings.backbone);
  const objective = createObjective(settings.objective, backbone, { mae: { seed: settings.seed }, contrastive: { seed: settings.seed }, simsiam: { seed: settings.seed }, byol: { seed: settings.seed } });
  // What fit() trains and checkpoints: the backbone, plus the objective's head (decoder, projection).
  const holder = new Sequential(objective.head ? [backbone, objective.head] : [backbone]);
  holder.inputShape = [...BACKBONE_INPUT];
  const optimizer = new AdamW(holder.parameters(), { lr: settings.lr, weightDecay: 0.05 });
  const parameters = backbone.countParameters().total;
  log(`backbone     ${settings.backbone}: ${spec.description}; ${parameters.toLocaleString('en-US')} parameters`);
  log(`objective    ${settings.objective} ${JSON.stringify(objective.config())}`);
  log(`data         ${data.description}: ${data.train.count.toLocaleString('en-US')} training images${settings.objective === 'supervised' ? '' : ' (labels unused)'}; x/255`);
  log(`recipe       adamw lr ${settings.lr}, batch ${settings.batchSize}, ${settings.epochs} epoch(s), cosine schedule · seed ${settings.seed} · ${out}`);

  const lastCheckpoint = join(checkpointDir, 'last.ckpt');
  const evaluationData = data.evaluation;
  const evaluator = evaluationData
    ? new FeatureEvaluator(() => evaluateFeatures(backbone, evaluationData, { seed: settings.seed }), settings.evalEvery ?? 0)
    : null;
  const history = await fit(holder, data.train, {
    epochs: settings.epochs, batchSize: settings.batchSize, optimizer, seed: settings.seed, dropLast: true,
    schedule: { type: 'cosine', warmupSteps: 20 }, clipNorm: 1,
    ...(settings.objective === 'supervised' ? {} : { lossFn: (x, y) => objective.loss(backbone, { images: x, labels: y }) }),
    callbacks: [
      new ObjectiveStep(objective), // first, so that a step's checkpoint holds e.g. BYOL's updated target
      ...(evaluator ? [evaluator] : []), // before the checkpoint, which then holds this epoch's record
      new ModelCheckpoint({ dir: checkpointDir, everySteps: settings.checkpointEvery, monitor: 'loss' }),
      new TerminateOnNaN(),
      new ObjectiveRng(objective),
    ],
    signal: options.signal, progress: options.progress, log, resumeFrom: options.resume ? lastCheckpoint : null,
  }).catch((err: unknown) => { throw explainOutOfMemory(err, settings); });
  const seconds = (performance.now() - started) / 1000;
  if (history.stopReason === 'interrupted') return { history, seconds, parameters };

  // The evaluation at the end (features of the final weights); the records of earlier epochs come from the evaluator.
  const lastEpoch = history.history.at(-1)?.epoch ?? settings.epochs;
  const evaluation = evaluator ? evaluator.evaluate(lastEpoch, log) : null;
  const deployable = new Sequential([backbone]);
  deployable.inputShape = [...BACKBONE_INPUT];
  const record = {
    settings, objective: objective.config(), backboneConfig: backbone.config(), parameters,
    history: history.history, stop_reason: history.stopReason,
    evaluation, evaluations: evaluator?.records ?? [],
    samples_per_second: history.samplesPerSecond,
    seconds_this_run: seconds,
    train_seconds_total: history.history.reduce((p, h) => p + h.seconds, 0),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg_at_end: loadavg(), node: process.version },
    finished_at: new Date().toISOString(),
  };
  saveModel(out, deployable, {
    name: `backbone-${settings.backbone}-${settings.objective}`,
    preprocessing: { normalization: data.normalization, layout: 'image', rows: data.train.rows, cols: data.train.cols },
    classNames: data.classNames, data: settings.dataset,
  }, { pretrain: record });
  writeFileAtomic(join(out, 'pretrain.json'), `${JSON.stringify(record, null, 2)}\n`);
  return { history, seconds, parameters };
}
