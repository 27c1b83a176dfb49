// `zerograd train`: the seed's pipeline end to end. Data -> features and labels -> model (preset
// or JSON) -> fit with checkpoints (Ctrl-C saves; --resume continues exactly) -> test metrics ->
// model folder (model.safetensors, config.json, metrics.json) -> HTML report.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_AUGMENT } from '../../data/augment.js';
import { writeFileAtomic } from '../../data/files.js';
import { UsageError } from '../../errors.js';
import { saveModel } from '../../io/model-folder.js';
import { buildModel } from '../../models/build.js';
import { resolveModelSpec } from '../../models/presets.js';
import { checkModelSpec, createOptimizer, type ModelSpec } from '../../models/recipe.js';
import { getBackend, manualSeed } from '../../tensor/engine.js';
import { ModelCheckpoint, TerminateOnNaN } from '../../train/callbacks.js';
import { fit } from '../../train/fit.js';
import type { ProgressMode } from '../../train/progress.js';
import {
  activateBackend, Interrupted, layoutOf, parseFraction, parseInteger, parsePositive, prepareData, printTestResult, scoreOnTest,
  testMetrics, writeRunReport,
} from '../pipeline.js';
import { checkpointHint, nextTurn, watchInterrupts } from '../interrupt.js';
import { refuseChangedFlags } from '../resume.js';

/** Flags of `zerograd train` as commander parses them (undefined = not given). */
export interface TrainFlags {
  model?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  out?: string;
  valSplit?: string;
  augment?: boolean;
  limit?: string;
  resume?: boolean;
  /** wasm or cpu; undefined: wasm, or the backend of the run being resumed. */
  backend?: string;
  threads?: string;
  checkpointEvery?: string;
  dataset?: string;
  report: boolean;
  progress: string;
}

/** What a run folder's run.json records, so that `--resume` needs no other flag. */
interface RunSettings {
  spec: ModelSpec;
  seed: number;
  dataset: string;
  limit?: number;
  checkpointEvery: number;
  /** The backend it trains on (absent in run folders of older versions: wasm). A resume keeps it, so it stays exact. */
  backend?: string;
}

/** Registers the `train` sub-command. */
export function register(program: Command): void {
  program
    .command('train')
    .description('Train a model on MNIST (or another source), evaluate it on the test split, save the model folder and an HTML report.')
    .option('--model <name>', 'preset (mlp, cnn, cnn-fast, cnn-best) or a JSON model spec file (default mlp)')
    .option('--epochs <n>', "number of epochs (default: the model's recipe)")
    .option('--batch-size <n>', "examples per step (default: the model's recipe)")
    .option('--lr <x>', "learning rate (default: the model's recipe)")
    .option('--seed <n>', 'seed of weights, shuffling, augmentation and splits (default 0)')
    .option('--out <dir>', 'run folder (default runs/<model>)')
    .option('--val-split <f>', 'hold out this fraction of the training set for validation, e.g. 0.1')
    .option('--augment', 'random shifts, rotations, scaling and shear of training images')
    .option('--limit <n>', 'use only the first N training and N test examples (quick runs)')
    .option('--resume', "continue the run in --out from its last checkpoint (same settings, exactly)")
    .option('--backend <name>', "wasm or cpu (the float64 reference, slow); default wasm, or the resumed run's")
    .option('--threads <n>', 'worker threads of the wasm backend (default: all cores)')
    .option('--checkpoint-every <steps>', 'also checkpoint every N steps (default: every epoch)')
    .option('--dataset <spec>', 'mnist, fashion, a folder or a .csv file (default mnist)')
    .option('--no-report', 'skip the HTML report and its plots')
    .option('--progress <mode>', 'auto, bar, lines or none', 'auto')
    .action(async (flags: TrainFlags) => { await runTrain(flags); });
}

/** Settings of a fresh run from the flags. */
function freshSettings(flags: TrainFlags): RunSettings {
  const spec = resolveModelSpec(flags.model ?? 'mlp');
  const recipe = spec.recipe;
  if (flags.epochs !== undefined) recipe.epochs = parseInteger(flags.epochs, '--epochs', 1);
  if (flags.batchSize !== undefined) recipe.batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  if (flags.lr !== undefined) recipe.lr = parsePositive(flags.lr, '--lr');
  if (flags.valSplit !== undefined) recipe.validationSplit = parseFraction(flags.valSplit, '--val-split');
  if (flags.augment) recipe.augment = recipe.augment ?? { ...DEFAULT_AUGMENT };
  return {
    spec,
    seed: flags.seed === undefined ? 0 : parseInteger(flags.seed, '--seed', 0),
    dataset: flags.dataset ?? 'mnist',
    ...(flags.limit !== undefined ? { limit: parseInteger(flags.limit, '--limit', 1) } : {}),
    checkpointEvery: flags.checkpointEvery === undefined ? 0 : parseInteger(flags.checkpointEvery, '--checkpoint-every', 1),
    backend: flags.backend ?? 'wasm',
  };
}

/** The saved settings of the run in `out`, with --epochs (the one setting a resume may change) applied. */
function resumedSettings(flags: TrainFlags, out: string): RunSettings {
  const path = join(out, 'run.json');
  if (!existsSync(path) || !existsSync(join(out, 'checkpoints', 'last.ckpt'))) {
    throw new UsageError(`--resume: ${out} has no run to resume (run.json and checkpoints/last.ckpt are written by 'zerograd train --out ${out}')`);
  }
  let saved: RunSettings;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as RunSettings;
    saved = { ...json, spec: checkModelSpec(json.spec, `${path} spec`, 'model') };
  } catch (err) {
    throw new UsageError(`--resume: cannot read ${path} (${(err as Error).message})`);
  }
  const fresh = flags.model !== undefined ? freshSettings(flags) : null;
  refuseChangedFlags([
    ['--model', fresh ? JSON.stringify(fresh.spec.architecture) : undefined, JSON.stringify(saved.spec.architecture)],
    ['--batch-size', flags.batchSize ? parseInteger(flags.batchSize, '--batch-size', 1) : undefined, saved.spec.recipe.batchSize],
    ['--lr', flags.lr ? parsePositive(flags.lr, '--lr') : undefined, saved.spec.recipe.lr],
    ['--seed', flags.seed ? parseInteger(flags.seed, '--seed', 0) : undefined, saved.seed],
    ['--val-split', flags.valSplit ? parseFraction(flags.valSplit, '--val-split') : undefined, saved.spec.recipe.validationSplit],
    ['--augment', flags.augment ? true : undefined, Boolean(saved.spec.recipe.augment)],
    ['--limit', flags.limit ? parseInteger(flags.limit, '--limit', 1) : undefined, saved.limit],
    ['--dataset', flags.dataset || undefined, saved.dataset],
  ]);
  if (flags.epochs !== undefined) saved.spec.recipe.epochs = parseInteger(flags.epochs, '--epochs', 1);
  if (flags.checkpointEvery !== undefined) saved.checkpointEvery = parseInteger(flags.checkpointEvery, '--checkpoint-every', 1);
  saved.backend = flags.backend ?? saved.backend ?? 'wasm'; // another one than the run's: fit() notes it is not bit for bit
  return saved;
}

function parseProgress(text: string): ProgressMode {
  if (!['auto', 'bar', 'lines', 'none'].includes(text)) throw new UsageError(`--progress must be auto, bar, lines or none, got '${text}'`);
  return text as ProgressMode;
}

/** The work of `zerograd train`. Throws Interrupted (exit 130) after Ctrl-C has saved a checkpoint. */
export async function runTrain(flags: TrainFlags, signal?: AbortSignal): Promise<void> {
  const progress = parseProgress(flags.progress);
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  if (flags.resume && flags.out === undefined) throw new UsageError('--resume needs --out <dir>: the run folder to continue');
  const preview = flags.resume ? null : freshSettings(flags);
  const out = resolve(flags.out ?? join('runs', preview?.spec.name ?? 'model'));
  const settings = preview ?? resumedSettings(flags, out);
  const { spec } = settings;
  const { recipe } = spec;
  const checkpointDir = join(out, 'checkpoints');
  const lastCheckpoint = join(checkpointDir, 'last.ckpt');
  try {
    mkdirSync(checkpointDir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot create the run folder (${(err as Error).message})`);
  }
  writeFileAtomic(join(out, 'run.json'), `${JSON.stringify(settings, null, 2)}\n`);

  const backend = await activateBackend(settings.backend ?? 'wasm', threads);
  const inputShape = spec.architecture.inputShape as number[];
  const data = prepareData(settings.dataset, { normalize: recipe.normalize, layout: layoutOf(inputShape), limit: settings.limit, seed: settings.seed });
  manualSeed(settings.seed);
  const model = buildModel(spec.architecture, `--model ${spec.name}`);
  const optimizer = createOptimizer(recipe, model.parameters());
  const { trainable } = model.countParameters();
  console.log(`model        ${spec.name}: ${spec.description ?? 'custom'} (${trainable.toLocaleString('en-US')} parameters)`);
  console.log(`recipe       ${recipe.optimizer} lr ${recipe.lr}, batch ${recipe.batchSize}, ${recipe.epochs} epoch${recipe.epochs === 1 ? "" : "s"}${recipe.schedule ? `, ${recipe.schedule.type} schedule` : ''}${recipe.augment ? ', augmentation' : ''}${recipe.validationSplit ? `, ${recipe.validationSplit} validation split` : ''}`);
  console.log(`data         ${data.description}: train ${data.train.count.toLocaleString('en-US')}, test ${data.test.count.toLocaleString('en-US')}${data.heldOutTest ? ' (held out from train)' : ''}; ${data.normalization.kind}`);
  console.log(`backend      ${backend}${threads ? `, ${threads} threads` : ''} · seed ${settings.seed} · run folder ${out}`);
  if (flags.resume) console.log(`resuming     from ${lastCheckpoint}`);
  else if (existsSync(lastCheckpoint)) console.log(`note         ${out} has a checkpoint from an earlier run; starting over (use --resume to continue it)`);

  // Ctrl-C: stop between two steps and save a checkpoint; a second Ctrl-C exits at once. Once
  // training is complete, Ctrl-C lets the model folder be saved; during the report it exits at once.
  const resume = `zerograd train --out ${out} --resume`;
  const interrupts = watchInterrupts({
    message: checkpointHint(lastCheckpoint, resume),
  }, signal);
  try {
    const history = await fit(model, data.train, {
      epochs: recipe.epochs, batchSize: recipe.batchSize, optimizer, seed: settings.seed,
      validationSplit: recipe.validationSplit, augment: recipe.augment ?? null, schedule: recipe.schedule, clipNorm: recipe.clipNorm,
      callbacks: [
        new ModelCheckpoint({ dir: checkpointDir, everySteps: settings.checkpointEvery, monitor: recipe.validationSplit ? 'val_loss' : 'loss' }),
        new TerminateOnNaN(),
      ],
      signal: interrupts.signal, progress, resumeFrom: flags.resume ? lastCheckpoint : null,
    });
    if (history.stopReason === 'interrupted') {
      throw new Interrupted(`interrupted; checkpoint saved to ${lastCheckpoint}. Continue with: ${resume}`);
    }
    if (history.resumedAt) console.log(`resumed      at epoch ${history.resumedAt.epoch + 1}, step ${history.resumedAt.stepInEpoch}`);
    interrupts.phase({ message: `training is complete (${lastCheckpoint}) but the model folder was not saved; ${resume} evaluates and saves it` });

    const test = scoreOnTest(model, data);
    console.log('');
    printTestResult(test, data.classNames);
    const kernels = getBackend().kernelBuild;
    const metrics = {
      model: spec.name,
      test: testMetrics(test),
      history: history.history,
      train_samples_per_second: history.samplesPerSecond,
      stop_reason: history.stopReason,
      backend, seed: settings.seed,
      // Which wasm kernel build computed it ('simd' or 'relaxed-simd'; absent on cpu): builds may differ in the last bits.
      ...(kernels ? { kernels } : {}),
      train_count: data.train.count,
    };
    saveModel(out, model, {
      name: spec.name,
      preprocessing: { normalization: data.normalization, layout: layoutOf(inputShape), rows: data.train.rows, cols: data.train.cols },
      classNames: data.classNames, data: settings.dataset, recipe,
    }, metrics);
    console.log('');
    console.log(`saved        ${out} (model.safetensors, config.json, metrics.json); ${Math.round(history.samplesPerSecond).toLocaleString('en-US')} train samples/s`);
    await nextTurn(); // a Ctrl-C pressed during the (synchronous) evaluation arrives here
    const reportAgain = `the model folder ${out} is saved; the report was not written (${resume} writes it)`;
    if (interrupts.signal.aborted) throw new Interrupted(`interrupted after training finished; ${flags.report ? reportAgain : `the model folder ${out} is saved`}`);
    if (flags.report && history.history.length > 0) {
      interrupts.phase({ message: reportAgain, immediate: true });
      const html = await writeRunReport(join(out, 'report'), `zerograd ${spec.name}`, history.history, test, data.classNames, {
        model: spec.name, optimizer: recipe.optimizer, lr: recipe.lr, batchSize: recipe.batchSize, epochs: recipe.epochs,
        schedule: recipe.schedule?.type ?? 'constant', augment: Boolean(recipe.augment), seed: settings.seed, backend,
        data: data.description, trainExamples: data.train.count,
      });
      console.log(`report       ${html}`);
    }
  } finally {
    interrupts.dispose();
  }
}
