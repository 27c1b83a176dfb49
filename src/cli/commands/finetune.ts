// `zerograd finetune`: a pretrained backbone + K labels per class -> a deployable model folder
// (LoRA merged), metrics.json and a report; --pseudo-label adds self-training on the unlabeled images.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../data/files.js';
import { UsageError } from '../../errors.js';
import {
  defaultSteps, DEFAULT_LORA, withArmDefaults, evalBatchSize, labeledIndices, labeledSet, loadBackboneFolder, mergeForDeployment, modelForArm, scoreTest, trainClassifier,
  type Arm, type TrainRecipe,
} from '../../finetune/finetune-run.js';
import { SELF_TRAINING_DEFAULTS, checkSelfTrainingOptions, selfTrain, STUDENT_PRESETS, type RoundRecord, type StudentKind } from '../../finetune/self-training.js';
import { saveModel } from '../../io/model-folder.js';
import { DEFAULT_LORA_TARGETS, defaultLoraTargets } from '../../nn/lora.js';
import { checkpointHint, watchInterrupts } from '../interrupt.js';
import { refuseChangedFlags } from '../resume.js';
import { activateBackend, Interrupted, parseFraction, parseInteger, parsePositive, prepareData, printTestResult, scoreOnTest, testMetrics, writeRunReport } from '../pipeline.js';

/** The backbone shipped with zerograd (made by `zerograd pretrain`, see its README.md); resolved by resolveModelDir. */
export const SHIPPED_BACKBONE = 'models/backbone-vit-tiny-contrastive';

/** Flags of `zerograd finetune` as commander parses them. */
export interface FinetuneFlags {
  from: string;
  strategy: string;
  labelsPerClass: string;
  seed: string;
  out?: string;
  loraRank?: string;
  loraAlpha?: string;
  loraTargets?: string;
  backboneLrScale?: string;
  probeFirst?: boolean;
  frozenNorm?: boolean;
  steps?: string;
  batchSize: string;
  lr?: string;
  augment?: boolean;
  pseudoLabel?: boolean;
  pseudoRounds: string;
  pseudoThreshold: string;
  pseudoRamp: string;
  student: string;
  finalStudent?: string;
  studentEpochs: string;
  pseudoEnsemble: string;
  pseudoGraph: string;
  pseudoGraphWeight: string;
  limit?: string;
  imageSize?: string;
  report: boolean;
  backend: string;
  threads?: string;
  resume?: boolean;
  checkpointEvery?: string;
}

/** The flags that define a run: saved in run.json, so that --resume needs only --out. */
const RUN_FLAGS = [
  'from', 'strategy', 'labelsPerClass', 'seed', 'loraRank', 'loraAlpha', 'loraTargets', 'backboneLrScale', 'probeFirst', 'frozenNorm', 'steps', 'batchSize', 'lr', 'augment',
  'pseudoLabel', 'pseudoRounds', 'pseudoThreshold', 'pseudoRamp', 'student', 'finalStudent', 'studentEpochs', 'pseudoEnsemble', 'pseudoGraph', 'pseudoGraphWeight', 'limit', 'imageSize',
] as const satisfies readonly (keyof FinetuneFlags)[];
type RunFlags = Pick<FinetuneFlags, (typeof RUN_FLAGS)[number]>;

/** How runFinetune was called: which flags the user typed (commander's 'cli' source), and an abort signal. */
export interface FinetuneContext {
  given?: (flag: keyof FinetuneFlags) => boolean;
  signal?: AbortSignal;
}

const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The flags of the run in `out` (run.json), with the typed flags checked against them. */
function resumedFlags(flags: FinetuneFlags, out: string, given: (flag: keyof FinetuneFlags) => boolean): FinetuneFlags {
  const path = join(out, 'run.json');
  if (!existsSync(path) || !existsSync(join(out, 'checkpoints', 'last.ckpt'))) {
    throw new UsageError(`--resume: ${out} has no fine-tuning run to resume (run.json and checkpoints/last.ckpt are written by 'zerograd finetune --out ${out}')`);
  }
  let saved: RunFlags;
  let backend: string | undefined;
  try {
    ({ flags: saved, backend } = JSON.parse(readFileSync(path, 'utf8')) as { flags: RunFlags; backend?: string });
    if (typeof saved !== 'object' || saved === null || typeof saved.strategy !== 'string') throw new Error('no "flags" object with a strategy');
  } catch (err) {
    throw new UsageError(`--resume: cannot read ${path} (${(err as Error).message})`);
  }
  refuseChangedFlags(RUN_FLAGS.map((key) => [flagName(key), given(key) ? (key === 'from' ? resolve(flags.from) : flags[key]) : undefined, saved[key]]));
  // Another backend than the run's continues it; fit() notes that the result is then not bit for bit.
  return { ...flags, ...saved, backend: given('backend') ? flags.backend : backend ?? 'wasm' };
}

/** Registers the `finetune` sub-command. */
export function register(program: Command): void {
  program
    .command('finetune')
    .description('Fine-tune a pretrained backbone with K labeled MNIST examples per class; save a deployable model folder, metrics and a report.')
    .option('--from <dir>', 'pretrained backbone folder (from zerograd pretrain, or an imported model from zerograd import)', SHIPPED_BACKBONE)
    .option('--image-size <s>', 'imported models (zerograd import): the image side MNIST is resized to (default: 32 for a ResNet, the smallest multiple of a ViT\'s patch size from 32 with 2x2 patches, or the model\'s own side when smaller)')
    .option('--strategy <name>', 'full, head (linear probe), lora, or scratch (same architecture, no pretraining)', 'full')
    .option('--labels-per-class <k>', 'labeled training examples per class (seeded, stratified)', '10')
    .option('--seed <n>', 'seed of the labeled subset, head, adapters, order and augmentation', '0')
    .option('--out <dir>', 'model folder to write (default runs/finetune-<strategy>-k<K>)')
    .option('--lora-rank <r>', `lora: adapter rank (default ${DEFAULT_LORA.rank})`)
    .option('--lora-alpha <a>', `lora: scale alpha (update scaled by alpha/rank; default ${DEFAULT_LORA.alpha})`)
    .option('--lora-targets <pattern>', `lora: Dense or Conv2D layers to adapt, glob alternatives with | (default: a ViT's '${DEFAULT_LORA_TARGETS}', a ResNet's residual 3x3 convs 'stages.*.conv1|stages.*.conv2')`)
    .option('--backbone-lr-scale <x>', 'full: learning-rate multiplier of the backbone (default 0.5)')
    .option('--probe-first', 'full: fit the new head on the frozen features first (the head recipe), then fine-tune everything (LP-FT; default)')
    .option('--no-probe-first', 'full: start from a freshly initialised head')
    .option('--frozen-norm', 'full, lora: keep batch norm in inference mode while fine-tuning (running statistics fixed, scale and shift train)')
    .option('--no-frozen-norm', 'full, lora: batch norm uses batch statistics while fine-tuning (the default)')
    .option('--steps <n>', 'optimizer steps (default: head max(300, 10 passes); others by the labeled set size, 150-500)')
    .option('--batch-size <n>', 'examples per step', '64')
    .option('--lr <x>', 'peak AdamW learning rate (default: full 1e-3, head 1e-2, lora 3e-3)')
    .option('--augment', 'random distortions of the labeled images (default: lora and scratch; never for head)')
    .option('--no-augment', 'no random distortions (what full does unless --augment)')
    .option('--pseudo-label', 'self-training: pseudo-label the unlabeled training images and fine-tune again')
    .option('--pseudo-rounds <n>', 'rounds of self-training', String(SELF_TRAINING_DEFAULTS.rounds))
    .option('--pseudo-ramp <n>', 'rounds over which the pseudo-labels per class grow to the whole pool (0 = --pseudo-rounds)', String(SELF_TRAINING_DEFAULTS.ramp))
    .option('--pseudo-threshold <p>', 'keep pseudo-labels with at least this probability', String(SELF_TRAINING_DEFAULTS.threshold))
    .option('--student <kind>', `pseudo-label students: backbone (fresh copy, same strategy) or a preset from scratch (${STUDENT_PRESETS.join(', ')})`, 'backbone')
    .option('--final-student <kind>', 'the last round\'s student, the saved model (default: --student)')
    .option('--student-epochs <n>', 'passes over the labeled + pseudo-labeled set per student', String(SELF_TRAINING_DEFAULTS.studentEpochs))
    .option('--pseudo-graph <k>', 'refine pseudo-labels over the k nearest neighbours of each unlabeled image (0 = off)', String(SELF_TRAINING_DEFAULTS.graph))
    .option('--pseudo-graph-weight <w>', 'weight of the neighbours\' vote in that refinement', String(SELF_TRAINING_DEFAULTS.graphWeight))
    .option('--pseudo-ensemble <w>', 'label with a running average of all rounds\' probabilities, the newest model weighted w (0 = off)', String(SELF_TRAINING_DEFAULTS.ensemble))
    .option('--limit <n>', 'use only the first N training and N test images (quick runs)')
    .option('--no-report', 'skip the HTML report')
    .option('--backend <name>', 'wasm or cpu', 'wasm')
    .option('--threads <n>', 'worker threads of the wasm backend (default: all cores)')
    .option('--resume', 'continue the run in --out from its last checkpoint (same settings, exactly)')
    .option('--checkpoint-every <steps>', 'also checkpoint the fine-tuning every N steps (default: every epoch)')
    .action(async (flags: FinetuneFlags, command: Command) => { await runFinetune(flags, { given: (flag) => command.getOptionValueSource(flag) === 'cli' }); });
}

function parseArm(text: string): Arm {
  if (!['full', 'head', 'lora', 'scratch'].includes(text)) throw new UsageError(`--strategy must be full, head, lora or scratch, got '${text}'`);
  return text as Arm;
}

/** 0 (off) or a weight in (0, 1). */
function parseEnsembleWeight(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value < 1)) throw new UsageError(`--pseudo-ensemble must be 0 (off) or a weight between 0 and 1, got '${text}'`);
  return value;
}

function parseStudent(text: string, flag = '--student'): StudentKind {
  const kinds: readonly string[] = ['backbone', ...STUDENT_PRESETS];
  if (!kinds.includes(text)) throw new UsageError(`${flag} must be ${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}, got '${text}'`);
  return text as StudentKind;
}

/** The work of `zerograd finetune`; resolves to the test accuracy of the saved model. */
export async function runFinetune(typed: FinetuneFlags, context: FinetuneContext = {}): Promise<number> {
  if (typed.resume && typed.out === undefined) throw new UsageError('--resume needs --out <dir>: the fine-tuning folder to continue');
  const flags = typed.resume ? resumedFlags(typed, resolve(typed.out as string), context.given ?? (() => true)) : typed;
  const checkpointEvery = flags.checkpointEvery === undefined ? 0 : parseInteger(flags.checkpointEvery, '--checkpoint-every', 1);
  const arm = parseArm(flags.strategy);
  const k = parseInteger(flags.labelsPerClass, '--labels-per-class', 1);
  const seed = parseInteger(flags.seed, '--seed', 0);
  const loraGiven = flags.loraRank !== undefined || flags.loraAlpha !== undefined || flags.loraTargets !== undefined;
  if (loraGiven && arm !== 'lora') throw new UsageError(`--lora-rank, --lora-alpha and --lora-targets apply to --strategy lora only (strategy is ${arm})`);
  if (flags.backboneLrScale !== undefined && arm !== 'full') throw new UsageError(`--backbone-lr-scale applies to --strategy full only (strategy is ${arm})`);
  if (flags.frozenNorm !== undefined && arm !== 'full' && arm !== 'lora') throw new UsageError(`--frozen-norm and --no-frozen-norm apply to --strategy full and lora (strategy is ${arm})`);
  if (flags.probeFirst !== undefined && arm !== 'full') throw new UsageError(`--probe-first and --no-probe-first apply to --strategy full only (strategy is ${arm})`);
  const rank = flags.loraRank === undefined ? DEFAULT_LORA.rank : parseInteger(flags.loraRank, '--lora-rank', 1);
  const alpha = flags.loraAlpha === undefined ? 2 * rank : parsePositive(flags.loraAlpha, '--lora-alpha');
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  const limit = flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 10);
  const pseudo = {
    ...SELF_TRAINING_DEFAULTS,
    rounds: parseInteger(flags.pseudoRounds, '--pseudo-rounds', 1),
    threshold: parseFraction(flags.pseudoThreshold, '--pseudo-threshold'),
    ramp: parseInteger(flags.pseudoRamp, '--pseudo-ramp', 0),
    student: parseStudent(flags.student),
    finalStudent: flags.finalStudent === undefined ? null : parseStudent(flags.finalStudent, '--final-student'),
    studentEpochs: parseInteger(flags.studentEpochs, '--student-epochs', 1),
    ensemble: parseEnsembleWeight(flags.pseudoEnsemble),
    graph: parseInteger(flags.pseudoGraph, '--pseudo-graph', 0),
    graphWeight: parseFraction(flags.pseudoGraphWeight, '--pseudo-graph-weight'),
  };
  checkSelfTrainingOptions(pseudo);
  const out = resolve(flags.out ?? join('runs', `finetune-${arm}-k${k}${flags.pseudoLabel ? '-pseudo' : ''}`));

  const imageSize = flags.imageSize === undefined ? undefined : parseInteger(flags.imageSize, '--image-size', 1);
  const from = loadBackboneFolder(resolve(flags.from), imageSize);
  const lora = { rank, alpha, targets: flags.loraTargets ?? defaultLoraTargets(from.backbone) };
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  const backend = await activateBackend(flags.backend, threads);
  const { preprocessing } = from;
  const data = prepareData('mnist', { normalize: preprocessing.normalization, layout: 'image', limit, seed });
  const labeled = labeledIndices(data.train, k, seed);
  const train = labeledSet(data.train, labeled);
  const recipe: TrainRecipe = {
    steps: flags.steps === undefined ? defaultSteps(train.count, batchSize, arm) : parseInteger(flags.steps, '--steps', 1),
    batchSize, seed,
    ...(flags.augment === undefined ? {} : { augment: flags.augment }),
    ...(flags.lr === undefined ? {} : { lr: parsePositive(flags.lr, '--lr') }),
    ...(flags.backboneLrScale === undefined ? {} : { backboneLrScale: Number(flags.backboneLrScale) }),
    ...(flags.probeFirst === undefined ? {} : { probeFirst: flags.probeFirst }),
    ...(flags.frozenNorm === undefined ? {} : { frozenNormStatistics: flags.frozenNorm }),
    ...(arm === 'lora' ? { lora } : {}),
  };
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot create the folder (${(err as Error).message})`);
  }
  const checkpointDir = join(out, 'checkpoints');
  const lastCheckpoint = join(checkpointDir, 'last.ckpt');
  if (!flags.resume && existsSync(lastCheckpoint)) console.log(`note         ${out} has a checkpoint from an earlier run; starting over (use --resume to continue it)`);
  const runFlags = Object.fromEntries(RUN_FLAGS.map((key) => [key, key === 'from' ? from.dir : flags[key]]));
  writeFileAtomic(join(out, 'run.json'), `${JSON.stringify({ flags: runFlags, backend: flags.backend }, null, 2)}\n`);
  console.log(`backbone     ${from.dir} (${from.config.name ?? 'unnamed'}): ${from.backbone.constructor.name}, ${from.backbone.countParameters().total.toLocaleString('en-US')} parameters`);
  if (from.adapted) console.log(`input        (1, 28, 28) 0-1 pixels -> ${from.adapted.summary}`);
  console.log(`labels       ${k} per class: ${train.count} labeled of ${data.train.count.toLocaleString('en-US')} training images (seed ${seed}); test ${data.test.count.toLocaleString('en-US')}`);

  // Ctrl-C: the fine-tuning stops between two steps and saves a checkpoint (a second Ctrl-C exits at
  // once); during self-training, the evaluation and the report it exits at once, saying what is on disk.
  const resume = `zerograd finetune --out ${out} --resume`;
  const interrupts = watchInterrupts({
    message: checkpointHint(lastCheckpoint, resume),
  }, context.signal);
  try {
    const started = performance.now();
    const { model, backbone } = modelForArm(from, arm, seed);
    const first = await trainClassifier(model, backbone, arm, train, recipe, undefined, { dir: checkpointDir, everySteps: checkpointEvery, resume: flags.resume, signal: interrupts.signal });
    if (first.history.stopReason === 'interrupted') throw new Interrupted(`interrupted; checkpoint saved to ${lastCheckpoint}. Continue with: ${resume}`);
    if (first.history.resumedAt) console.log(`resumed      at epoch ${first.history.resumedAt.epoch + 1}, step ${first.history.resumedAt.stepInEpoch}`);
    interrupts.phase({
      immediate: true,
      message: `the fine-tuning is complete (${lastCheckpoint}) but the model folder was not saved; ${resume} ${flags.pseudoLabel ? 'runs the self-training rounds again, then saves it' : 'evaluates and saves it'}`,
    });
    const shown = withArmDefaults(recipe, arm);
    console.log(`fine-tune    ${arm === 'scratch' ? 'scratch (no pretraining), ' : ''}${first.plan.summary}; ${recipe.steps} steps, batch ${Math.min(batchSize, train.count)}${shown.augment && arm !== 'head' ? ', augmentation' : ''}${shown.probeFirst ? ', head fitted first' : ''}${shown.frozenNormStatistics ? ', batch norm frozen' : ''} · ${backend}`);
    const firstAccuracy = scoreTest(first.model, data.test).accuracy;
    console.log(`test         ${(100 * firstAccuracy).toFixed(2)}% after fine-tuning on ${train.count} labels`);

    let final = { model: first.model, history: first.history, trainable: first.plan.trainable, total: first.plan.total };
    let rounds: RoundRecord[] = [];
    if (flags.pseudoLabel) {
      const result = await selfTrain(from, arm, first.model, data.train, labeled, recipe, pseudo, {
        log: (line) => console.log(`pseudo-label ${line}`), score: (m) => scoreTest(m, data.test).accuracy,
      });
      rounds = result.rounds;
      if (result.final) final = result.final;
    }
    const seconds = (performance.now() - started) / 1000;
    const kept = rounds.at(-1)?.student; // the saved model's kind after self-training; undefined without it
    const merged = arm === 'lora' && (kept === undefined || kept === 'backbone') ? mergeForDeployment(final.model) : [];
    const test = scoreOnTest(final.model, data, Math.min(256, evalBatchSize(final.model)));
    console.log('');
    printTestResult(test, data.classNames);
    const metrics = {
      strategy: arm, labels_per_class: k, labeled_count: train.count, seed, from: from.dir, backbone: from.config.name ?? null,
      trainable: final.trainable, total: final.total, trainable_fraction: final.trainable / final.total, lora: arm === 'lora' ? { ...lora, merged } : null,
      recipe: shown, test: testMetrics(test), test_accuracy_before_pseudo_labels: firstAccuracy,
      pseudo_labels: flags.pseudoLabel ? { ...pseudo, rounds } : null,
      input_adaptation: from.adapted, seconds, backend, labeled_indices: Array.from(labeled),
    };
    saveModel(out, final.model, { name: `mnist-${arm}-k${k}${kept ? `-pseudo-${kept}` : ''}`, preprocessing, classNames: data.classNames, data: 'mnist' }, metrics);
    if (rounds.length > 0) writeFileAtomic(join(out, 'pseudo-labels.json'), `${JSON.stringify(rounds, null, 2)}\n`);
    console.log('');
    console.log(`saved        ${out} (model.safetensors, config.json, metrics.json${arm === 'lora' ? '; LoRA merged into the weights' : ''}) in ${seconds.toFixed(0)} s`);
    if (flags.report) {
      interrupts.phase({ immediate: true, message: `the model folder ${out} is saved; the report was not written (${resume} writes it)` });
      const html = await writeRunReport(join(out, 'report'), `zerograd finetune ${arm}, ${k} labels per class`, final.history.history, test, data.classNames, {
        strategy: arm, labelsPerClass: k, labeled: train.count, seed, from: from.dir, parameters: `${final.trainable.toLocaleString('en-US')} of ${final.total.toLocaleString('en-US')} trainable`,
        steps: recipe.steps, pseudoLabel: Boolean(flags.pseudoLabel),
        ...Object.fromEntries(rounds.map((r) => [`pseudo round ${r.round}`, `${r.used} labels, ${(100 * r.accuracy).toFixed(2)}% correct`])),
      });
      console.log(`report       ${html}`);
    }
    return test.report.accuracy;
  } finally {
    interrupts.dispose();
  }
}
