// The pretraining run behind `zerograd pretrain`: a named backbone, an objective (mae,
// contrastive, supervised) and fit() with a custom loss, so progress, checkpoints and exact
// resume are the training loop's own. Writes a model folder holding the backbone + pretrain.json.
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
import type { Callback, CallbackState } from '../train/types.js';
import { BACKBONE_INPUT, buildBackbone } from './backbones.js';
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
}

/** The prepared training images (the CLI's prepareData with x/255 and the image layout). */
export interface PretrainData {
  description: string;
  train: Dataset;
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
  if (s.objective === 'supervised' && s.dataset === 'mnist') {
    console.warn('note: supervised pretraining on mnist uses all its labels; the few-label protocol expects --dataset fashion');
  }
  return s;
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
  const objective = createObjective(settings.objective, backbone, { mae: { seed: settings.seed }, contrastive: { seed: settings.seed } });
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
  const history = await fit(holder, data.train, {
    epochs: settings.epochs, batchSize: settings.batchSize, optimizer, seed: settings.seed, dropLast: true,
    schedule: { type: 'cosine', warmupSteps: 20 }, clipNorm: 1,
    ...(settings.objective === 'supervised' ? {} : { lossFn: (x, y) => objective.loss(backbone, { images: x, labels: y }) }),
    callbacks: [
      new ModelCheckpoint({ dir: checkpointDir, everySteps: settings.checkpointEvery, monitor: 'loss' }),
      new TerminateOnNaN(),
      new ObjectiveRng(objective),
    ],
    signal: options.signal, progress: options.progress, log, resumeFrom: options.resume ? lastCheckpoint : null,
  });
  const seconds = (performance.now() - started) / 1000;
  if (history.stopReason === 'interrupted') return { history, seconds, parameters };

  const deployable = new Sequential([backbone]);
  deployable.inputShape = [...BACKBONE_INPUT];
  const record = {
    settings, objective: objective.config(), backboneConfig: backbone.config(), parameters,
    history: history.history, stop_reason: history.stopReason,
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
