// The zerograd command line: one sub-command per file in ./commands, registered here.
import { Command, CommanderError } from 'commander';
import { resolveKernelBuild } from '../backend/registry.js';
import { ZerogradError } from '../errors.js';
import { applyConventions, commandPath } from './conventions.js';
import { packageVersion } from './package-info.js';
import { register as registerCv } from './commands/cv.js';
import { register as registerData } from './commands/data.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerExperiment } from './commands/experiment.js';
import './commands/experiment-activations.js'; // registers `experiment activations`
import './commands/experiment-overfitting.js'; // registers `experiment overfitting`
import { register as registerExplain } from './commands/explain.js';
import { register as registerExport } from './commands/export.js';
import { register as registerFinetune } from './commands/finetune.js';
import { register as registerImport } from './commands/import.js';
import { register as registerInfer } from './commands/infer.js';
import { register as registerPretrain } from './commands/pretrain.js';
import { register as registerPredict } from './commands/predict.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerTrain } from './commands/train.js';
import { register as registerTune } from './commands/tune.js';

type Register = (program: Command) => void;

// Each command module exports `register(program)`; add new commands to this list.
const commands: Register[] = [registerData, registerTrain, registerEval, registerPredict, registerInfer, registerImport, registerExplain, registerExport, registerServe, registerPretrain, registerFinetune, registerExperiment, registerCv, registerTune];

/** Builds the program with every registered sub-command. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('zerograd')
    .description('Train, fine-tune, evaluate and deploy neural networks on MNIST with a WebAssembly tensor engine.')
    .version(`zerograd ${packageVersion()} (node ${process.version}, ${process.platform}-${process.arch}, wasm kernels: ${kernelsLabel()})`, '-V, --version', 'print the version')
    .exitOverride();
  for (const register of commands) register(program);
  applyConventions(program);
  program.hook('preAction', (_program, action) => { running = action; });
  return program;
}

/** The wasm kernel build a command would run on (ZEROGRAD_KERNELS, else relaxed SIMD where the engine has it). */
function kernelsLabel(): string {
  try {
    return resolveKernelBuild();
  } catch (err) {
    return `none (${(err as Error).message})`;
  }
}

/** The sub-command being run, for the hint after a usage error. */
let running: Command | null = null;

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  running = null;
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ZerogradError) {
      console.error(`zerograd: ${err.message}`);
      if (err.name === 'UsageError') {
        console.error(`(see '${running ? commandPath(running) : 'zerograd'} --help')`);
        return 2;
      }
      // An error may carry its own exit code (train's Ctrl-C: 130).
      const exitCode: unknown = (err as { exitCode?: unknown }).exitCode;
      return typeof exitCode === 'number' ? exitCode : 1;
    }
    throw err;
  }
}
