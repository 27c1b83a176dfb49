// `zerograd experiment <name>`: a parent command whose sub-commands other files register with
// registerExperiment(name, builder) — `experiment finetune` lives in ./experiment/finetune.ts.
import type { Command } from 'commander';
import { builder as finetuneExperiment } from './experiment/finetune.js';

/** Adds one `zerograd experiment <name>` sub-command to the parent command. */
export type ExperimentBuilder = (parent: Command) => void;

const builders = new Map<string, ExperimentBuilder>();

/** Registers an experiment sub-command (call at import time, before buildProgram()). */
export function registerExperiment(name: string, builder: ExperimentBuilder): void {
  if (builders.has(name)) throw new Error(`experiment '${name}' is registered twice`);
  builders.set(name, builder);
}

registerExperiment('finetune', finetuneExperiment);

/** Registers the `experiment` parent command with every registered experiment. */
export function register(program: Command): void {
  const parent = program.command('experiment').description(`Run a reproducible experiment and write its table and report: ${[...builders.keys()].join(', ')}.`);
  for (const builder of builders.values()) builder(parent);
}
