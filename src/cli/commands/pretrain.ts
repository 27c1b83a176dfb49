// `zerograd pretrain`: pretrains a named backbone with a self-supervised (mae, contrastive, simsiam, byol) or
// supervised objective, with the training loop's progress bar, checkpoints and --resume.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { BACKBONES } from '../../finetune/backbones.js';
import type { ObjectiveName } from '../../finetune/objectives.js';
import { checkEvaluationSettings, checkPretrainSettings, PRETRAIN_DEFAULTS, readPretrainRun, runPretraining, type PretrainSettings } from '../../finetune/pretrain-run.js';
import type { ProgressMode } from '../../train/progress.js';
import { checkpointHint, nextTurn, watchInterrupts } from '../interrupt.js';
import { refuseChangedFlags } from '../resume.js';
import { activateBackend, Interrupted, parseInteger, parsePositive, prepareData } from '../pipeline.js';

/** Flags of `zerograd pretrain` as commander parses them. */
export interface PretrainFlags {
  backbone?: string;
  objective?: string;
  dataset?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  out?: string;
  limit?: string;
  resume?: boolean;
  checkpointEvery?: string;
  evalEvery?: string;
  evalLimit?: string;
  /** wasm or cpu; undefined: wasm, or the backend of the run being resumed. */
  backend?: string;
  threads?: string;
  progress: string;
}

/** Registers the `pretrain` sub-command. */
export function register(program: Command): void {
  program
    .command('pretrain')
    .description('Pretrain a backbone (self-supervised on MNIST images without labels, or supervised on Fashion-MNIST) and save it as a model folder.')
    .option('--backbone <name>', `${Object.keys(BACKBONES).join(', ')} (default vit-tiny)`)
    .option('--objective <name>', 'mae (masked patches), contrastive (SimCLR), simsiam (SimSiam), byol (BYOL) or supervised (default contrastive)')
    .option('--dataset <name>', 'mnist or fashion (default mnist; supervised wants fashion)')
    .option('--epochs <n>', `passes over the images (default ${PRETRAIN_DEFAULTS.epochs})`)
    .option('--batch-size <n>', `images per step (default ${PRETRAIN_DEFAULTS.batchSize})`)
    .option('--lr <x>', `peak AdamW learning rate, cosine schedule (default ${PRETRAIN_DEFAULTS.lr})`)
    .option('--seed <n>', 'seed of weights, order, masks and views (default 0)')
    .option('--out <dir>', 'output folder (default runs/backbone-<backbone>-<objective>)')
    .option('--limit <n>', 'use only the first N training images (quick runs)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--checkpoint-every <steps>', 'also checkpoint every N steps (default: every epoch)')
    .option('--eval-every <epochs>', 'also evaluate the frozen features (k-NN, linear probe) every N epochs (default: at the end only)')
    .option('--eval-limit <n>', 'evaluate on the first N training and N test images (default: --limit, else all; 0: no evaluation)')
    .option('--backend <name>', "wasm or cpu; default wasm, or the resumed run's")
    .option('--threads <n>', 'worker threads of the wasm backend (default: all cores)')
    .option('--progress <mode>', 'auto, bar, lines or none', 'auto')
    .action(async (flags: PretrainFlags) => { await runPretrainCommand(flags); });
}

function freshSettings(flags: PretrainFlags): PretrainSettings {
  return checkPretrainSettings({
    backbone: flags.backbone ?? 'vit-tiny',
    objective: (flags.objective ?? 'contrastive') as ObjectiveName,
    dataset: flags.dataset ?? 'mnist',
    epochs: flags.epochs === undefined ? PRETRAIN_DEFAULTS.epochs : parseInteger(flags.epochs, '--epochs', 1),
    batchSize: flags.batchSize === undefined ? PRETRAIN_DEFAULTS.batchSize : parseInteger(flags.batchSize, '--batch-size', 1),
    lr: flags.lr === undefined ? PRETRAIN_DEFAULTS.lr : parsePositive(flags.lr, '--lr'),
    seed: flags.seed === undefined ? 0 : parseInteger(flags.seed, '--seed', 0),
    ...(flags.limit === undefined ? {} : { limit: parseInteger(flags.limit, '--limit', 2) }),
    checkpointEvery: flags.checkpointEvery === undefined ? 0 : parseInteger(flags.checkpointEvery, '--checkpoint-every', 1),
    backend: flags.backend ?? 'wasm',
    ...evaluationFlags(flags),
  });
}

/** --eval-every and --eval-limit, where given. */
function evaluationFlags(flags: PretrainFlags): Pick<PretrainSettings, 'evalEvery' | 'evalLimit'> {
  return {
    ...(flags.evalEvery === undefined ? {} : { evalEvery: parseInteger(flags.evalEvery, '--eval-every', 0) }),
    ...(flags.evalLimit === undefined ? {} : { evalLimit: parseInteger(flags.evalLimit, '--eval-limit', 0) }),
  };
}

/** The work of `zerograd pretrain`. Throws Interrupted (exit 130) after Ctrl-C saved a checkpoint. */
export async function runPretrainCommand(flags: PretrainFlags, signal?: AbortSignal): Promise<void> {
  if (!['auto', 'bar', 'lines', 'none'].includes(flags.progress)) throw new UsageError(`--progress must be auto, bar, lines or none, got '${flags.progress}'`);
  if (flags.resume && flags.out === undefined) throw new UsageError('--resume needs --out <dir>: the pretraining folder to continue');
  let settings: PretrainSettings;
  if (flags.resume) {
    const saved = readPretrainRun(resolve(flags.out as string));
    refuseChangedFlags([
      ['--backbone', flags.backbone || undefined, saved.backbone],
      ['--objective', flags.objective || undefined, saved.objective],
      ['--dataset', flags.dataset || undefined, saved.dataset],
      ['--batch-size', flags.batchSize ? parseInteger(flags.batchSize, '--batch-size', 1) : undefined, saved.batchSize],
      ['--lr', flags.lr ? parsePositive(flags.lr, '--lr') : undefined, saved.lr],
      ['--seed', flags.seed ? parseInteger(flags.seed, '--seed', 0) : undefined, saved.seed],
      ['--limit', flags.limit ? parseInteger(flags.limit, '--limit', 2) : undefined, saved.limit],
    ]);
    settings = {
      ...saved,
      backend: flags.backend ?? saved.backend ?? 'wasm', // another one than the run's: fit() notes it is not bit for bit
      epochs: flags.epochs === undefined ? saved.epochs : parseInteger(flags.epochs, '--epochs', 1),
      checkpointEvery: flags.checkpointEvery === undefined ? saved.checkpointEvery : parseInteger(flags.checkpointEvery, '--checkpoint-every', 1),
      ...evaluationFlags(flags),
    };
    checkEvaluationSettings(settings);
  } else {
    settings = freshSettings(flags);
  }
  const out = resolve(flags.out ?? join('runs', `backbone-${settings.backbone}-${settings.objective}`));
  if (!flags.resume && existsSync(join(out, 'checkpoints', 'last.ckpt'))) console.log(`note         ${out} has a checkpoint from an earlier run; starting over (use --resume to continue it)`);
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  const backend = await activateBackend(settings.backend ?? 'wasm', threads);
  if (settings.dataset !== 'mnist' && settings.dataset !== 'fashion') throw new UsageError(`--dataset must be mnist or fashion, got '${settings.dataset}'`);
  const prepared = prepareData(settings.dataset, { normalize: 'scale', layout: 'image', limit: settings.limit, seed: settings.seed });
  // The feature evaluation's labeled images: the same slice as training unless --eval-limit names another.
  const evalLimit = settings.evalLimit ?? settings.limit;
  const evaluation = evalLimit === 0 ? undefined : evalLimit === settings.limit ? prepared
    : prepareData(settings.dataset, { normalize: 'scale', layout: 'image', limit: evalLimit, seed: settings.seed });
  const data = { ...prepared, evaluation: evaluation && { train: evaluation.train, test: evaluation.test } };
  console.log(`backend      ${backend}${threads ? `, ${threads} threads` : ''}`);

  // Ctrl-C: stop between two steps and save a checkpoint; a second Ctrl-C exits at once.
  const lastCheckpoint = join(out, 'checkpoints', 'last.ckpt');
  const resume = `zerograd pretrain --out ${out} --resume`;
  const interrupts = watchInterrupts({
    message: checkpointHint(lastCheckpoint, resume),
  }, signal);
  let result;
  try {
    result = await runPretraining(settings, data, { out, resume: flags.resume, progress: flags.progress as ProgressMode, signal: interrupts.signal });
    await nextTurn(); // a Ctrl-C pressed while the backbone folder was written arrives here
  } finally {
    interrupts.dispose();
  }
  if (result.history.stopReason === 'interrupted') {
    throw new Interrupted(`interrupted; checkpoint saved to ${lastCheckpoint}. Continue with: ${resume}`);
  }
  const saved = `${out} (model.safetensors, config.json, pretrain.json)`;
  if (interrupts.signal.aborted) throw new Interrupted(`interrupted after pretraining finished; the backbone folder ${saved} is saved`);
  console.log(`saved        ${saved} in ${result.seconds.toFixed(0)} s; ${Math.round(result.history.samplesPerSecond)} images/s`);
  console.log(`next         zerograd finetune --from ${out} --strategy full --labels-per-class 10`);
}
