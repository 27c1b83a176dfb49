// `zerograd eval`: load a saved model folder and score it on a data source's test split with the
// model's own preprocessing: accuracy, loss, per-class precision/recall/F1 and the confusion matrix.
import type { Command } from 'commander';
import { writeFileAtomic } from '../../data/files.js';
import { UsageError } from '../../errors.js';
import { loadModel } from '../../io/model-folder.js';
import { activateBackend, parseInteger, prepareData, printTestResult, scoreOnTest, testMetrics } from '../pipeline.js';

/** Flags of `zerograd eval`. */
export interface EvalFlags {
  model?: string;
  dataset?: string;
  limit?: string;
  batchSize: string;
  backend: string;
  threads?: string;
  json?: string;
}

/** Registers the `eval` sub-command. */
export function register(program: Command): void {
  program
    .command('eval')
    .description("Evaluate a saved model folder on a data set's test split (the model's own normalization).")
    .option('--model <dir>', 'model folder written by zerograd train (model.safetensors + config.json)')
    .option('--dataset <spec>', 'mnist, fashion, a folder or a .csv file (default: what the model was trained on)')
    .option('--limit <n>', 'only the first N test examples')
    .option('--batch-size <n>', 'examples per inference batch', '256')
    .option('--backend <name>', 'wasm or cpu', 'wasm')
    .option('--threads <n>', 'worker threads of the wasm backend')
    .option('--json <file>', 'also write the metrics as JSON')
    .action(async (flags: EvalFlags) => { await runEval(flags); });
}

/** The work of `zerograd eval`. */
export async function runEval(flags: EvalFlags): Promise<void> {
  if (flags.model === undefined) throw new UsageError('eval needs --model <dir>, a folder written by zerograd train');
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1);
  const limit = flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 1);
  const threads = flags.threads === undefined ? undefined : parseInteger(flags.threads, '--threads', 1);
  await activateBackend(flags.backend, threads);
  const { model, config } = loadModel(flags.model);
  const spec = flags.dataset ?? config.data ?? 'mnist';
  const data = prepareData(spec, { normalize: config.preprocessing.normalization, layout: config.preprocessing.layout, limit });
  if (data.classNames.length !== config.classNames.length) {
    throw new UsageError(`${spec} has ${data.classNames.length} classes but the model predicts ${config.classNames.length} (${config.classNames.join(', ')})`);
  }
  console.log(`model        ${flags.model} (${config.name ?? 'model'}, ${model.countParameters().total.toLocaleString('en-US')} parameters)`);
  console.log(`data         ${data.description}: ${data.heldOutTest ? 'held-out 10% of train' : 'test split'}, ${data.test.count.toLocaleString('en-US')} examples`);
  const result = scoreOnTest(model, data, batchSize);
  printTestResult(result, config.classNames);
  if (flags.json) {
    writeFileAtomic(flags.json, `${JSON.stringify({ model: flags.model, data: spec, test: testMetrics(result) }, null, 2)}\n`);
    console.log(`wrote        ${flags.json}`);
  }
}
